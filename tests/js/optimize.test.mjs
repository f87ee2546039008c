// MessageBatcher, MessageThrottler, RealtimeEventBus / eventBus, selectRealtimeTechnology: the
// seed's "Message Batching and Throttling" and "Real-time Architecture Patterns". The batcher is
// the embind object of emscripten/optimize_bindings.cpp; the throttler and the bus are plain
// TypeScript (no native object, nothing to load: see tests/js/event-bus-throttler.test.mjs).
//
// Time-dependent behaviour runs on a fake clock (performance.now and setTimeout, driven by hand)
// and a fake requestAnimationFrame; nothing here sleeps on a real timer to observe a policy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { before, describe, test } from 'node:test';

import {
  EVENT_BUS_REPLAY_COUNT,
  FRAME_FALLBACK_MS,
  MessageBatcher,
  MessageThrottler,
  RealtimeError,
  RealtimeEventBus,
  createFrameBatcher,
  eventBus,
  liveHandles,
  loadRuntime,
  selectRealtimeTechnology,
  technologies,
} from '../../dist/index.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** performance.now and setTimeout under the test's control (ms steps of at most 1). */
function fakeClock(t, start = 1000) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = start;
  t.mock.method(performance, 'now', () => now);
  return {
    get now() {
      return now;
    },
    advance(ms) {
      while (ms > 0) {
        const step = Math.min(1, ms);
        now += step;
        ms -= step;
        t.mock.timers.tick(step);
      }
    },
  };
}

/** A requestAnimationFrame the test runs by hand: `frame()` runs the callbacks requested so far. */
function fakeFrames(t) {
  const callbacks = new Map();
  let nextId = 1;
  let requests = 0;
  globalThis.requestAnimationFrame = (cb) => {
    requests++;
    callbacks.set(nextId, cb);
    return nextId++;
  };
  globalThis.cancelAnimationFrame = (id) => callbacks.delete(id);
  t.after(() => {
    delete globalThis.requestAnimationFrame;
    delete globalThis.cancelAnimationFrame;
  });
  return {
    get waiting() {
      return callbacks.size;
    },
    get requests() {
      return requests;
    },
    frame(timestamp = performance.now()) {
      const due = [...callbacks.values()];
      callbacks.clear();
      for (const cb of due) cb(timestamp);
    },
  };
}

/** Deterministic PRNG (mulberry32). */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const isInvalidConfig = (err) => err instanceof RealtimeError && err.code === 'invalid_config';

// ---------------------------------------------------------------------------------------------
// First, while the runtime has not been loaded by anyone in this process.

describe('before the runtime has loaded', () => {
  test('importing the package loads no wasm and touches no window/document', () => {
    const url = new URL('../../dist/index.js', import.meta.url).href;
    const code = `
      const touched = [];
      const trap = (name) => new Proxy({}, {
        get(_, k) { touched.push(name + '.' + String(k)); return undefined; },
        has(_, k) { touched.push(name + ' has ' + String(k)); return false; },
      });
      globalThis.window = trap('window');
      globalThis.document = trap('document');
      let wasm = 0;
      for (const k of ['instantiate', 'instantiateStreaming', 'compile', 'compileStreaming']) {
        const orig = WebAssembly[k];
        WebAssembly[k] = (...a) => { wasm++; return orig.apply(WebAssembly, a); };
      }
      const m = await import(${JSON.stringify(url)});
      const bus = m.eventBus;
      const ok = bus instanceof m.RealtimeEventBus && bus.hasChannel('x') === false;
      new m.MessageBatcher({ batchSize: 2, flushInterval: 10, priority: 'size' }, () => {});
      new m.MessageThrottler(10).throttle(() => {});
      m.createFrameBatcher(() => {});
      m.selectRealtimeTechnology({ bidirectional: true, frequency: 'high', reliability: 'high', scalability: 'high' });
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ touched, wasm, ok, live: m.liveHandles() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), { touched: [], wasm: 0, ok: true, live: 0 });
  });

  test('a batcher used before the load decides once loaded: in order, nothing lost', async () => {
    const batches = [];
    const b = new MessageBatcher({ batchSize: 10, flushInterval: 60_000, priority: 'size' },
      (m) => batches.push(m));
    // One whose onFlush adds and destroys it while the first replayed batch is delivered.
    const self = [];
    let b2;
    b2 = new MessageBatcher({ batchSize: 10, flushInterval: 60_000, priority: 'size' }, (m) => {
      self.push(m);
      if (self.length === 1) {
        b2.add('x');
        b2.destroy();
      }
    });
    for (let i = 0; i < 25; i++) {
      b.add(i);
      b2.add(i);
    }
    assert.deepEqual(batches, [], 'no decision before the runtime is there');
    assert.equal(b.pending, 25);
    await loadRuntime();
    await nextTurn();
    assert.deepEqual(self, [range(10), range(10, 10), [...range(5, 20), 'x']]);
    assert.deepEqual(batches, [range(10), range(10, 10)]);
    assert.equal(b.pending, 5);
    b.add(25);
    b.destroy();
    assert.deepEqual(batches.flat(), range(26));
  });
});

describe('before the runtime has loaded (fresh process)', () => {
  // The runtime is loaded by the test above; these run in a child process of their own.
  // The throttler and the bus are TypeScript: they decide at once, with no runtime and no native
  // object (when they were embind objects, `before` was 0, `seenBefore` 0 and `live` 2).
  test('throttler and event bus calls made before the load take effect at once', () => {
    const url = new URL('../../dist/index.js', import.meta.url).href;
    const code = `
      const m = await import(${JSON.stringify(url)});
      const runs = [];
      const th = new m.MessageThrottler(60000);
      const f = th.throttle((v) => runs.push(v));
      for (let i = 1; i <= 5; i++) f(i);
      const before = runs.length;
      const bus = new m.RealtimeEventBus();
      bus.createChannel('c');
      let unknown = '';
      try { bus.subscribe('nope', () => {}); } catch (e) { unknown = e.code; }
      const seen = [];
      bus.subscribe('c', (e) => seen.push(e.payload));
      for (let i = 0; i < 3; i++) bus.publish('c', { type: 't', payload: i, source: 'test' });
      const seenBefore = seen.length;
      await m.loadRuntime();
      await new Promise((r) => setImmediate(r));
      th.flush();
      console.log(JSON.stringify({ before, runs, unknown, seenBefore, seen, live: m.liveHandles() }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
    }));
    assert.deepEqual(out, {
      before: 1,  // the leading call, at once
      runs: [1, 5],  // the leading call, then the latest one as the trailing call
      unknown: 'unknown_channel',  // still thrown at once
      seenBefore: 3,
      seen: [0, 1, 2],
      live: 0,
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('MessageBatcher', () => {
  before(() => loadRuntime());

  test('rejects a bad config with invalid_config', () => {
    const cb = () => {};
    for (const config of [
      { batchSize: 0, flushInterval: 10, priority: 'size' },
      { batchSize: -1, flushInterval: 10, priority: 'size' },
      { batchSize: 1.5, flushInterval: 10, priority: 'size' },
      { batchSize: 2, flushInterval: -1, priority: 'size' },
      { batchSize: 2, flushInterval: NaN, priority: 'time' },
      { batchSize: 2, flushInterval: Infinity, priority: 'adaptive' },
      { batchSize: 2, flushInterval: 10, priority: 'sometimes' },
    ]) {
      assert.throws(() => new MessageBatcher(config, cb), isInvalidConfig, JSON.stringify(config));
    }
    assert.throws(() => new MessageBatcher({ batchSize: 1, flushInterval: 0 }), TypeError);
    const b = new MessageBatcher({}, cb);
    assert.deepEqual({ ...b.config }, { batchSize: 10, flushInterval: 100, priority: 'size' });
    b.destroy();
  });

  test("'size': a full batch at once, a partial one flushInterval after its oldest message", (t) => {
    const clock = fakeClock(t);
    const out = [];
    const b = new MessageBatcher({ batchSize: 5, flushInterval: 100, priority: 'size' },
      (m) => out.push(m));
    for (let i = 0; i < 12; i++) b.add(i);
    assert.deepEqual(out, [range(5), range(5, 5)]);
    assert.equal(b.pending, 2);
    clock.advance(99);
    assert.equal(out.length, 2);
    clock.advance(1);
    assert.deepEqual(out, [range(5), range(5, 5), [10, 11]]);
    clock.advance(500);
    assert.equal(out.length, 3, 'no empty flushes');
    b.destroy();
  });

  test("'time': only the timer flushes, whatever the count", (t) => {
    const clock = fakeClock(t);
    const out = [];
    const b = new MessageBatcher({ batchSize: 2, flushInterval: 50, priority: 'time' },
      (m) => out.push(m));
    for (let i = 0; i < 7; i++) {
      b.add(i);
      clock.advance(5);
    }
    assert.deepEqual(out, []);
    clock.advance(14);  // oldest arrived at +0, now +49
    assert.deepEqual(out, []);
    clock.advance(1);
    assert.deepEqual(out, [range(7)]);
    b.destroy();
  });

  test("'adaptive': the end of a fast burst goes out when the stream goes quiet", (t) => {
    const clock = fakeClock(t);
    const adaptive = [];
    const size = [];
    const a = new MessageBatcher({ batchSize: 1000, flushInterval: 100, priority: 'adaptive' },
      (m) => adaptive.push([clock.now, m]));
    const s = new MessageBatcher({ batchSize: 1000, flushInterval: 100, priority: 'size' },
      (m) => size.push([clock.now, m]));
    const start = clock.now;
    for (let i = 0; i < 20; i++) {
      a.add(i);
      s.add(i);
      if (i < 19) clock.advance(1);
    }
    const last = clock.now;  // gaps of 1 ms: quiet after clamp(2 × 1, 100/10, 100) = 10 ms
    clock.advance(9);
    assert.deepEqual(adaptive, []);
    clock.advance(1);
    assert.deepEqual(adaptive, [[last + 10, range(20)]]);
    assert.deepEqual(size, []);
    clock.advance(start + 100 - clock.now);
    assert.deepEqual(size, [[start + 100, range(20)]], "'size' waits the full interval");
    // A full batch still goes out at once.
    const full = [];
    const b = new MessageBatcher({ batchSize: 3, flushInterval: 100, priority: 'adaptive' },
      (m) => full.push(m));
    for (let i = 0; i < 3; i++) b.add(i);
    assert.deepEqual(full, [[0, 1, 2]]);
    for (const x of [a, s, b]) x.destroy();
  });

  for (const priority of ['size', 'time', 'adaptive', 'frame']) {
    test(`'${priority}': 5000 adds with mixed timing, nothing lost or reordered, on time`, (t) => {
      const clock = fakeClock(t);
      const frames = priority === 'frame' ? fakeFrames(t) : null;
      const random = rng(42);
      const interval = 40;
      const arrival = [];
      const batches = [];
      let latest = 0;
      let framesRun = 0;
      let flushesSinceFrame = 0;
      const b = new MessageBatcher({ batchSize: 16, flushInterval: interval, priority },
        (m) => {
          batches.push(m);
          flushesSinceFrame++;
          for (const i of m) latest = Math.max(latest, clock.now - arrival[i]);
        });
      for (let i = 0; i < 5000; i++) {
        arrival.push(clock.now);
        b.add(i);
        const r = random();
        if (r < 0.3) clock.advance(Math.floor(random() * 4));
        else if (r < 0.33) clock.advance(Math.floor(random() * 3 * interval));
        else if (r < 0.34) b.flush();
        if (frames && random() < 0.1) {
          flushesSinceFrame = 0;
          frames.frame();
          framesRun++;
          assert.ok(flushesSinceFrame <= 1, 'at most one flush per frame');
          assert.ok(frames.waiting <= 1, 'at most one frame requested at a time');
        }
      }
      b.destroy();
      assert.deepEqual(batches.flat(), range(5000));
      assert.ok(batches.every((m) => m.length > 0), 'no empty batch');
      if (priority === 'size') assert.ok(batches.every((m) => m.length <= 16));
      if (priority !== 'frame') {
        // Every message was delivered within flushInterval of its arrival (destroy aside).
        assert.ok(latest <= interval, `max latency ${latest} ms`);
      } else {
        assert.ok(framesRun > 100);
        // Every frame request ends in a flush (by the frame, flush(), maxWait or destroy()).
        assert.ok(frames.requests <= batches.length, `${frames.requests} frame requests`);
      }
    });
  }

  test('destroy() flushes the rest; later adds are delivered at once; idempotent', () => {
    const out = [];
    const b = new MessageBatcher({ batchSize: 100, flushInterval: 60_000, priority: 'time' },
      (m) => out.push(m));
    b.add('a');
    b.add('b');
    b.destroy();
    assert.deepEqual(out, [['a', 'b']]);
    b.add('c');
    assert.deepEqual(out, [['a', 'b'], ['c']]);
    b.destroy();
    b.flush();
    assert.deepEqual(out, [['a', 'b'], ['c']]);
  });

  test('a message added from inside onFlush during destroy() is not lost', () => {
    const out = [];
    let b;
    b = new MessageBatcher({ batchSize: 100, flushInterval: 60_000, priority: 'size' }, (m) => {
      out.push(m);
      if (m[0] === 1) b.add(99);
    });
    b.add(1);
    b.add(2);
    b.destroy();
    assert.deepEqual(out, [[1, 2], [99]]);
  });

  test('onFlush runs one batch at a time, in order, even when it adds and flushes itself', () => {
    const seen = [];
    let depth = 0;
    let maxDepth = 0;
    let b;
    b = new MessageBatcher({ batchSize: 2, flushInterval: 60_000, priority: 'size' }, (m) => {
      maxDepth = Math.max(maxDepth, ++depth);
      if (m[0] < 10) {
        b.add(m[0] + 10);
        b.add(m[0] + 11);  // a full batch, flushed from inside onFlush
      }
      seen.push(...m);
      depth--;
    });
    b.add(0);
    b.add(1);
    assert.equal(maxDepth, 1);
    assert.deepEqual(seen, [0, 1, 10, 11]);
    b.destroy();
  });

  test('messages are handed over as they were given (no copy, no added timestamp)', () => {
    const out = [];
    const b = new MessageBatcher({ batchSize: 4, flushInterval: 10, priority: 'size' },
      (m) => out.push(...m));
    const obj = { type: 'x', timestamp: 5 };
    b.add('text');
    b.add(obj);
    b.add(7);
    b.add(null);
    assert.equal(out[0], 'text');
    assert.equal(out[1], obj);
    assert.deepEqual(obj, { type: 'x', timestamp: 5 });
    assert.deepEqual(out.slice(2), [7, null]);
    b.destroy();
  });

  test('an onFlush that throws is reported, and batching goes on', (t) => {
    const errors = t.mock.method(console, 'error', () => {});
    const out = [];
    const b = new MessageBatcher({ batchSize: 2, flushInterval: 10, priority: 'size' }, (m) => {
      if (m[0] === 0) throw new Error('boom');
      out.push(m);
    });
    for (let i = 0; i < 4; i++) b.add(i);
    assert.equal(errors.mock.callCount(), 1);
    assert.deepEqual(out, [[2, 3]]);
    b.destroy();
  });
});

describe("MessageBatcher 'frame' mode", () => {
  before(() => loadRuntime());

  test('10,000 messages over 20 frames: one flush per frame, every message, in order', (t) => {
    fakeClock(t);
    const frames = fakeFrames(t);
    const batches = [];
    const b = createFrameBatcher((m) => batches.push(m));
    assert.ok(b instanceof MessageBatcher);
    assert.equal(b.config.priority, 'frame');
    let next = 0;
    for (let f = 0; f < 20; f++) {
      for (let i = 0; i < 500; i++) b.add(next++);
      assert.equal(batches.length, f, 'nothing before the frame');
      assert.equal(frames.waiting, 1, 'one frame requested, not one per message');
      frames.frame();
      assert.equal(batches.length, f + 1, 'exactly one flush in the frame');
      assert.deepEqual(batches[f], range(500, f * 500));
    }
    assert.equal(frames.requests, 20);
    frames.frame();
    frames.frame();
    assert.equal(batches.length, 20, 'no flush for a frame with nothing pending');
    assert.equal(frames.waiting, 0, 'an idle batcher requests no frames');
    b.destroy();
  });

  test('batchSize does not flush between frames', (t) => {
    fakeClock(t);
    const frames = fakeFrames(t);
    const batches = [];
    const b = new MessageBatcher({ batchSize: 2, flushInterval: 1000, priority: 'frame' },
      (m) => batches.push(m));
    for (let i = 0; i < 9; i++) b.add(i);
    assert.deepEqual(batches, []);
    frames.frame();
    assert.deepEqual(batches, [range(9)]);
    b.destroy();
  });

  test('when no frame comes (hidden tab), maxWait bounds the wait', (t) => {
    const clock = fakeClock(t);
    const frames = fakeFrames(t);
    const batches = [];
    const b = createFrameBatcher((m) => batches.push(m), { maxWait: 50 });
    b.add('a');
    clock.advance(20);
    b.add('b');
    clock.advance(29);
    assert.deepEqual(batches, []);
    clock.advance(1);
    assert.deepEqual(batches, [['a', 'b']]);
    assert.equal(frames.waiting, 0, 'the frame request was cancelled');
    frames.frame();
    assert.equal(batches.length, 1);
    b.destroy();
  });

  test(`without requestAnimationFrame it uses a ${FRAME_FALLBACK_MS} ms timer`, (t) => {
    const clock = fakeClock(t);
    assert.equal(typeof globalThis.requestAnimationFrame, 'undefined');
    const batches = [];
    const b = createFrameBatcher((m) => batches.push(m));
    b.add(1);
    clock.advance(5);
    b.add(2);
    clock.advance(FRAME_FALLBACK_MS - 6);
    assert.deepEqual(batches, []);
    clock.advance(1);
    assert.deepEqual(batches, [[1, 2]]);
    b.add(3);
    clock.advance(FRAME_FALLBACK_MS);
    assert.deepEqual(batches, [[1, 2], [3]]);
    b.destroy();
  });

  test('destroy() delivers the rest and cancels the frame request', (t) => {
    fakeClock(t);
    const frames = fakeFrames(t);
    const batches = [];
    const b = createFrameBatcher((m) => batches.push(m));
    b.add(1);
    b.add(2);
    assert.equal(frames.waiting, 1);
    b.destroy();
    assert.deepEqual(batches, [[1, 2]]);
    assert.equal(frames.waiting, 0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('MessageThrottler', () => {
  before(() => loadRuntime());

  test('rejects a bad delay with invalid_config', () => {
    for (const delay of [-1, NaN, Infinity, '10']) {
      assert.throws(() => new MessageThrottler(delay), isInvalidConfig, String(delay));
    }
    assert.throws(() => new MessageThrottler(10).throttle(null), TypeError);
  });

  test('leading call at once; the trailing call gets the latest arguments, unmixed', (t) => {
    const clock = fakeClock(t);
    const th = new MessageThrottler(100);
    const runs = [];
    const f = th.throttle((a, b) => runs.push([a, b, clock.now]));
    f(1, 'a');
    assert.deepEqual(runs, [[1, 'a', 1000]]);
    clock.advance(10);
    f(2, 'b');
    clock.advance(10);
    f(3, 'c');
    clock.advance(10);
    f(4);  // fewer arguments: nothing of 'c' is kept
    assert.equal(runs.length, 1);
    assert.equal(th.hasPending, true);
    clock.advance(69);
    assert.equal(runs.length, 1);
    clock.advance(1);
    assert.deepEqual(runs, [[1, 'a', 1000], [4, undefined, 1100]]);
    assert.equal(th.hasPending, false);
    f(5, 'e');  // inside the window the trailing run started
    assert.equal(runs.length, 2);
    clock.advance(100);
    assert.deepEqual(runs[2], [5, 'e', 1200]);
    clock.advance(150);
    f(6, 'f');  // a full window later: at once
    assert.deepEqual(runs[3], [6, 'f', 1350]);
    clock.advance(1000);
    assert.equal(runs.length, 4, 'exactly one trailing run per window');
    th.dispose();
  });

  test('wrappers made by one throttler share its window (the seed made one per message)', (t) => {
    const clock = fakeClock(t);
    const th = new MessageThrottler(50);
    const runs = [];
    th.throttle((v) => runs.push(`a${v}`))(1);
    th.throttle((v) => runs.push(`b${v}`))(2);
    th.throttle((v) => runs.push(`c${v}`))(3);
    clock.advance(50);
    assert.deepEqual(runs, ['a1', 'c3']);
    th.dispose();
  });

  test('cancel() drops the trailing call; flush() runs it now', (t) => {
    const clock = fakeClock(t);
    const th = new MessageThrottler(100);
    const runs = [];
    const f = th.throttle((v) => runs.push(v));
    f(1);
    f(2);
    th.cancel();
    clock.advance(300);
    assert.deepEqual(runs, [1]);
    f(3);  // the window of 1 is over
    f(4);
    th.flush();
    assert.deepEqual(runs, [1, 3, 4]);
    f(5);  // flush started a window
    assert.deepEqual(runs, [1, 3, 4]);
    clock.advance(100);
    assert.deepEqual(runs, [1, 3, 4, 5]);
    th.flush();
    th.cancel();
    assert.deepEqual(runs, [1, 3, 4, 5], 'flush/cancel with nothing pending do nothing');
    th.dispose();
  });

  test('a stream of 3000 calls: runs spaced by the delay, each with the newest value', (t) => {
    const clock = fakeClock(t);
    const random = rng(7);
    const delay = 25;
    const th = new MessageThrottler(delay);
    let called = 0;
    const runs = [];  // [time, value, calls made so far]
    const f = th.throttle((v) => runs.push([clock.now, v, called]));
    for (let i = 0; i < 3000; i++) {
      called++;
      f(i);
      const r = random();
      clock.advance(r < 0.7 ? 0 : r < 0.97 ? Math.floor(random() * 5) : Math.floor(random() * 80));
    }
    clock.advance(delay);
    assert.ok(runs.length > 100 && runs.length < 1500, `${runs.length} runs`);
    for (let k = 1; k < runs.length; k++) {
      assert.ok(runs[k][0] - runs[k - 1][0] >= delay, 'at most one run per delay');
    }
    for (const [time, value, made] of runs) {
      assert.equal(value, made - 1, `the run at ${time} has the newest value`);
    }
    assert.equal(runs.at(-1)[1], 2999, 'the last value always arrives');
    th.dispose();
  });

  test('after dispose() the wrapped function does nothing', (t) => {
    const clock = fakeClock(t);
    const th = new MessageThrottler(10);
    const runs = [];
    const f = th.throttle((v) => runs.push(v));
    f(1);
    f(2);
    th.dispose();
    f(3);
    clock.advance(50);
    assert.deepEqual(runs, [1]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('RealtimeEventBus', () => {
  before(() => loadRuntime());
  const ev = (payload, extra = {}) => ({ type: 'update', payload, source: 'test', ...extra });

  test('an unknown channel is a clear error for subscribe and publish', () => {
    const bus = new RealtimeEventBus();
    const unknown = (name) => (err) =>
      err instanceof RealtimeError && err.code === 'unknown_channel' &&
      err.message === `Channel ${name} does not exist`;
    assert.throws(() => bus.subscribe('prices', () => {}), unknown('prices'));
    assert.throws(() => bus.publish('prices', ev(1)), unknown('prices'));
    bus.createChannel('prices');
    bus.removeChannel('prices');
    assert.throws(() => bus.publish('prices', ev(1)), unknown('prices'));
    bus.dispose();
  });

  test('publish adds a UUID v4 id and an epoch timestamp, and keeps the rest', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const seen = [];
    bus.subscribe('c', (e) => seen.push(e));
    const t0 = Date.now();
    bus.publish('c', ev({ n: 1 }, { target: 'user-2', extra: true }));
    bus.publish('c', ev(2));
    assert.equal(seen.length, 2);
    const [a, b] = seen;
    assert.match(a.id, UUID_V4);
    assert.match(b.id, UUID_V4);
    assert.notEqual(a.id, b.id);
    assert.ok(a.timestamp >= t0 && a.timestamp <= Date.now());
    assert.deepEqual({ ...a, id: 0, timestamp: 0 }, {
      type: 'update', payload: { n: 1 }, source: 'test', target: 'user-2', extra: true,
      id: 0, timestamp: 0,
    });
    assert.equal('target' in b, false);
    for (let i = 0; i < 1000; i++) bus.publish('c', ev(i));  // many refills of the random pool
    const ids = new Set(seen.map((e) => e.id));
    assert.equal(ids.size, 1002);
    assert.ok([...ids].every((id) => UUID_V4.test(id)));
    bus.dispose();
  });

  test('validates what it is given', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    assert.throws(() => bus.publish('c', { payload: 1, source: 's' }), TypeError);
    assert.throws(() => bus.publish('c', { type: 't', payload: 1 }), TypeError);
    assert.throws(() => bus.publish('c', { type: 't', source: 's', target: 3 }), TypeError);
    assert.throws(() => bus.subscribe('c', 'not a function'), TypeError);
    for (const bad of [-1, 1.5, NaN]) assert.throws(() => bus.createChannel('d', bad), isInvalidConfig);
    assert.equal(bus.hasChannel('d'), false);
    bus.dispose();
  });

  test(`a new subscriber is replayed the last ${EVENT_BUS_REPLAY_COUNT} events, oldest first`, () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    for (let i = 0; i < 25; i++) bus.publish('c', ev(i));
    const seen = [];
    bus.subscribe('c', (e) => seen.push(e.payload));
    assert.deepEqual(seen, range(10, 15));
    bus.publish('c', ev(25));
    assert.deepEqual(seen, [...range(10, 15), 25]);
    bus.createChannel('empty');
    const none = [];
    bus.subscribe('empty', (e) => none.push(e));
    assert.deepEqual(none, []);
    bus.dispose();
  });

  test('history is bounded by maxHistory (default 100), and 0 keeps none', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('default');
    bus.createChannel('three', 3);
    bus.createChannel('zero', 0);
    for (let i = 0; i < 250; i++) {
      for (const c of ['default', 'three', 'zero']) bus.publish(c, ev(i));
    }
    assert.equal(bus.historySize('default'), 100);
    assert.equal(bus.historySize('three'), 3);
    assert.equal(bus.historySize('zero'), 0);
    const three = [];
    bus.subscribe('three', (e) => three.push(e.payload));
    assert.deepEqual(three, [247, 248, 249]);
    const zero = [];
    bus.subscribe('zero', (e) => zero.push(e.payload));
    bus.publish('zero', ev('live'));
    assert.deepEqual(zero, ['live'], 'maxHistory 0 still delivers live events');
    // Only what the histories hold is kept on the JS side too.
    assert.equal(bus.events.size, 103);
    bus.createChannel('default', 5);  // re-creating trims, keeps subscribers
    assert.equal(bus.historySize('default'), 5);
    assert.equal(bus.events.size, 8);
    bus.removeChannel('default');
    assert.equal(bus.events.size, 3);
    bus.dispose();
  });

  test('re-creating a channel keeps its subscribers and history', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const seen = [];
    bus.subscribe('c', (e) => seen.push(e.payload));
    bus.publish('c', ev(1));
    bus.createChannel('c');
    bus.publish('c', ev(2));
    assert.deepEqual(seen, [1, 2]);
    assert.equal(bus.historySize('c'), 2);
    bus.dispose();
  });

  test('unsubscribe removes exactly that subscription', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('a');
    bus.createChannel('b');
    const seen = [];
    const cb = (e) => seen.push(`${e.source}:${e.payload}`);
    const offA = bus.subscribe('a', cb);
    const offB = bus.subscribe('b', cb);
    const offA2 = bus.subscribe('a', cb);
    bus.publish('a', { type: 't', payload: 1, source: 'a' });
    bus.publish('b', { type: 't', payload: 1, source: 'b' });
    assert.deepEqual(seen, ['a:1', 'a:1', 'b:1']);
    offA();
    offA();  // twice is harmless
    bus.publish('a', { type: 't', payload: 2, source: 'a' });
    bus.publish('b', { type: 't', payload: 2, source: 'b' });
    assert.deepEqual(seen.slice(3), ['a:2', 'b:2']);
    offA2();
    offB();
    bus.publish('a', { type: 't', payload: 3, source: 'a' });
    bus.publish('b', { type: 't', payload: 3, source: 'b' });
    assert.equal(seen.length, 5);
    assert.equal([...bus.channels.values()].reduce((n, c) => n + c.subscribers.length, 0), 0);
    bus.dispose();
  });

  test('subscribers are called in subscribe order and every one sees events in publish order', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const log = [];
    bus.subscribe('c', (e) => {
      log.push(`first:${e.payload}`);
      if (e.payload === 1) bus.publish('c', ev(2));  // published from inside a subscriber
    });
    let offSecond;
    offSecond = bus.subscribe('c', (e) => log.push(`second:${e.payload}`));
    bus.subscribe('c', (e) => {
      log.push(`third:${e.payload}`);
      if (e.payload === 2) offSecond();
    });
    bus.publish('c', ev(1));
    bus.publish('c', ev(3));
    assert.deepEqual(log, [
      'first:1', 'second:1', 'third:1',
      'first:2', 'second:2', 'third:2',
      'first:3', 'third:3',
    ]);
    bus.dispose();
  });

  test('a subscriber that throws is reported and does not stop the others', (t) => {
    const errors = t.mock.method(console, 'error', () => {});
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const seen = [];
    bus.subscribe('c', () => {
      throw new Error('boom');
    });
    bus.subscribe('c', (e) => seen.push(e.payload));
    bus.publish('c', ev(1));
    assert.deepEqual(seen, [1]);
    assert.equal(errors.mock.callCount(), 1);
    bus.dispose();
  });

  test('removeChannel ends its subscriptions', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const seen = [];
    const off = bus.subscribe('c', (e) => seen.push(e.payload));
    bus.publish('c', ev(1));
    assert.equal(bus.removeChannel('c'), true);
    assert.equal(bus.removeChannel('c'), false);
    assert.equal(bus.hasChannel('c'), false);
    bus.createChannel('c');
    bus.publish('c', ev(2));
    off();
    assert.deepEqual(seen, [1]);
    bus.dispose();
  });

  test('a disposed bus refuses to be used', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    bus.dispose();
    bus.dispose();
    assert.throws(() => bus.publish('c', ev(1)), (e) => e.code === 'disposed');
    assert.throws(() => bus.createChannel('d'), (e) => e.code === 'disposed');
  });

  test('eventBus is one shared RealtimeEventBus', async () => {
    assert.ok(eventBus instanceof RealtimeEventBus);
    const again = await import('../../dist/index.js');
    assert.equal(again.eventBus, eventBus);
    eventBus.createChannel('shared-test', 2);
    const seen = [];
    const off = eventBus.subscribe('shared-test', (e) => seen.push(e.payload));
    eventBus.publish('shared-test', ev('x'));
    off();
    eventBus.removeChannel('shared-test');
    assert.deepEqual(seen, ['x']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('selectRealtimeTechnology', () => {
  test('the seed rules and return strings', () => {
    const pick = (bidirectional, frequency) =>
      selectRealtimeTechnology({ bidirectional, frequency, reliability: 'high', scalability: 'high' });
    assert.equal(pick(true, 'high'), 'WebSockets');
    assert.equal(pick(false, 'medium'), 'Server-Sent Events');
    assert.equal(pick(false, 'low'), 'Polling');
    assert.equal(pick(true, 'low'), 'Polling');
    assert.equal(pick(true, 'medium'), 'WebSockets');
    assert.equal(pick(false, 'high'), 'WebSockets');
  });

  test('the technologies table', () => {
    assert.deepEqual(technologies.map((t) => [t.name, t.bidirectional, t.overhead, t.browserSupport]), [
      ['WebSockets', true, 'low', 'excellent'],
      ['Server-Sent Events', false, 'low', 'good'],
      ['Polling', false, 'high', 'excellent'],
      ['Long Polling', false, 'medium', 'excellent'],
    ]);
    assert.deepEqual(technologies[1].useCases,
      ['Live feeds', 'Notifications', 'Stock prices', 'Real-time dashboards']);
    assert.ok(Object.isFrozen(technologies) && Object.isFrozen(technologies[0]));
  });
});

// ---------------------------------------------------------------------------------------------

describe('on real timers (the timer path end to end, not a policy check)', () => {
  before(() => loadRuntime());
  const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  test('a batcher and a throttler under a bursty stream: everything arrives, in order', async () => {
    const random = rng(3);
    const batches = [];
    const b = new MessageBatcher({ batchSize: 50, flushInterval: 3, priority: 'adaptive' },
      (m) => batches.push(m));
    const runs = [];
    const th = new MessageThrottler(4);
    const f = th.throttle((v) => runs.push(v));
    for (let i = 0; i < 2000; i++) {
      b.add(i);
      f(i);
      if (random() < 0.02) await tick(random() * 6);
    }
    await tick(30);  // longer than flushInterval and delay: the timers have fired
    assert.equal(b.pending, 0, 'the last partial batch was flushed by its timer');
    assert.deepEqual(batches.flat(), range(2000));
    assert.equal(runs.at(-1), 1999, 'the trailing call carried the last value');
    assert.ok(runs.every((v, k) => k === 0 || v > runs[k - 1]));
    b.destroy();
    th.dispose();
  });
});

// ---------------------------------------------------------------------------------------------

describe('native object lifetime', () => {
  before(() => loadRuntime());

  // Only the batcher has a native object: the throttler and the bus are TypeScript (when they
  // were embind objects, each set held three and these counts were 9 and 6).
  /** Makes one of each and uses it, so that each that has a native object creates it. */
  function makeSet() {
    const b = new MessageBatcher({ batchSize: 1, flushInterval: 10, priority: 'size' }, () => {});
    b.add(1);  // batchSize 1: flushed at once, no timer left
    const th = new MessageThrottler(0);
    th.throttle(() => {})();
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    bus.publish('c', { type: 't', payload: 1, source: 's' });
    return [b, th, bus];
  }

  test('each class holds one native object until disposed', () => {
    const baseline = liveHandles();
    const sets = [makeSet(), makeSet(), makeSet()];
    assert.equal(liveHandles(), baseline + 3);
    for (const [b, th, bus] of sets) {
      b.destroy();
      th.dispose();
      bus.dispose();
    }
    assert.equal(liveHandles(), baseline);
  });

  test('an object that is never used creates no native object', () => {
    const baseline = liveHandles();
    const b = new MessageBatcher({}, () => {});
    const th = new MessageThrottler(5);
    const bus = new RealtimeEventBus();
    assert.equal(liveHandles(), baseline);
    b.destroy();
    th.dispose();
    bus.dispose();
  });

  test('an object dropped without dispose is freed by the FinalizationRegistry', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    const baseline = liveHandles();
    makeSet();
    makeSet();
    assert.equal(liveHandles(), baseline + 2);
    for (let i = 0; i < 50 && liveHandles() > baseline; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(liveHandles(), baseline);
  });
});
