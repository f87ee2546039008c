// MessageBatcher, MessageThrottler, RealtimeEventBus / eventBus, selectRealtimeTechnology: the
// seed's "Message Batching and Throttling" and "Real-time Architecture Patterns". All three are
// plain TypeScript (no native object, nothing to load), and the cases of their former native
// tests are here too ("was tests/native/…").
//
// Time-dependent behaviour runs on a fake clock (performance.now and setTimeout, driven by hand)
// and a fake requestAnimationFrame; nothing here sleeps on a real timer to observe a policy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, test } from 'node:test';

import { EVENT_BUS_REPLAY_COUNT } from '../../dist/event-bus.js';
import { FRAME_FALLBACK_MS } from '../../dist/message-batcher.js';
import { MAX_TIMER_DELAY } from '../../dist/native-owner.js';
import {
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
    /** To the time `to`, firing due timers on the way. */
    advanceTo(to) {
      this.advance(to - now);
    },
    /** Moves the clock without firing timers (a late timer). */
    jump(to) {
      now = to;
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

  test('a batcher decides at once, with no runtime: in order, nothing lost', () => {
    // (As an embind object it queued arrival times until the module had loaded.)
    const batches = [];
    const b = new MessageBatcher({ batchSize: 10, flushInterval: 60_000, priority: 'size' },
      (m) => batches.push(m));
    // One whose onFlush adds and destroys it while its first batch is delivered.
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
    assert.deepEqual(batches, [range(10), range(10, 10)]);
    assert.equal(b.pending, 5);
    assert.deepEqual(self, [range(10), ['x'], ...range(15, 10).map((i) => [i])]);
    assert.equal(liveHandles(), 0, 'no native object');
    b.add(25);
    b.destroy();
    assert.deepEqual(batches.flat(), range(26));
  });
});

describe('before the runtime has loaded (fresh process)', () => {
  // The runtime is loaded by the tests below; these run in a child process of their own.
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

  test('a flushInterval longer than a JS timer takes (2^31 - 1 ms) arms an early timer, then the rest', (t) => {
    // setTimeout fires at once for a longer delay; the batcher re-arms on an early timer.
    const clock = fakeClock(t, 0);
    const delays = [];
    const mocked = globalThis.setTimeout;
    globalThis.setTimeout = (fn, ms) => (delays.push(ms), mocked(fn, ms));
    t.after(() => (globalThis.setTimeout = mocked));
    const out = [];
    const b = new MessageBatcher({ batchSize: 10, flushInterval: 3e9, priority: 'time' }, (m) => out.push(m));
    b.add(1);
    assert.deepEqual(delays, [MAX_TIMER_DELAY]);
    clock.jump(MAX_TIMER_DELAY);
    t.mock.timers.tick(MAX_TIMER_DELAY);
    assert.deepEqual(out, [], 'not due yet');
    assert.deepEqual(delays, [MAX_TIMER_DELAY, 3e9 - MAX_TIMER_DELAY]);
    clock.jump(3e9);
    t.mock.timers.tick(3e9 - MAX_TIMER_DELAY);
    assert.deepEqual(out, [[1]]);
    // The throttler too.
    const runs = [];
    const th = new MessageThrottler(3e9);
    const f = th.throttle((v) => runs.push(v));
    f(1);
    f(2);
    assert.deepEqual(runs, [1]);
    assert.equal(delays.at(-1), MAX_TIMER_DELAY);
    th.dispose();
  });

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

describe('MessageBatcher (was tests/native/message_batcher_test.cpp)', () => {
  /** A batcher whose flushes are recorded as [time, messages]. */
  function recorder(clock, config) {
    const flushes = [];
    const b = new MessageBatcher(config, (m) => flushes.push([clock.now, m]));
    return { b, flushes };
  }

  test("'time': a steady stream is flushed every interval, not starved", (t) => {
    const clock = fakeClock(t, 0);
    const { b, flushes } = recorder(clock, { batchSize: 1000, flushInterval: 100, priority: 'time' });
    for (let i = 0; i < 100; i++) {  // one message every 10 ms for a second
      clock.advanceTo(i * 10);
      b.add(i * 10);
    }
    clock.advanceTo(2000);
    assert.deepEqual(flushes.flatMap(([, m]) => m), range(100).map((i) => i * 10));
    assert.equal(flushes.length, 10);
    assert.equal(Math.max(...flushes.map(([, m]) => m.length)), 10);
    assert.ok(flushes.every(([at, m]) => at - m[0] <= 100), 'latency ≤ flushInterval');
  });

  test("'adaptive': an add flushes when the oldest is older than the interval (late timer)", (t) => {
    const clock = fakeClock(t, 0);
    const { b, flushes } = recorder(clock, { batchSize: 100, flushInterval: 100, priority: 'adaptive' });
    b.add(0);
    clock.jump(150);  // the timer at 100 never came (a throttled background tab)
    b.add(1);
    assert.deepEqual(flushes, [[150, [0, 1]]]);
    b.destroy();
  });

  test("'adaptive': an add flushes when the quiet gap passed (late timer)", (t) => {
    const clock = fakeClock(t, 0);
    const { b, flushes } = recorder(clock, { batchSize: 100, flushInterval: 100, priority: 'adaptive' });
    for (let i = 0; i < 10; i++) {
      clock.jump(i);
      b.add(i);
    }
    assert.deepEqual(flushes, []);
    clock.jump(50);  // its quiet-gap timer (well before 0 + 100) never came
    b.add(10);
    assert.deepEqual(flushes, [[50, range(11)]]);
    b.destroy();
  });

  test("'adaptive': at a low rate it behaves like 'size'", (t) => {
    const clock = fakeClock(t, 0);
    const { b, flushes } = recorder(clock, { batchSize: 1000, flushInterval: 100, priority: 'adaptive' });
    for (let i = 0; i < 5; i++) {
      clock.advanceTo(i * 500);
      b.add(i);
      clock.advanceTo(i * 500 + 99);
      assert.equal(flushes.length, i, 'not before flushInterval');
      clock.advanceTo(i * 500 + 100);
      assert.deepEqual(flushes[i], [i * 500 + 100, [i]]);
    }
  });

  test("'adaptive': the quiet wait grows back after a burst", (t) => {
    const clock = fakeClock(t, 0);
    const { b, flushes } = recorder(clock, { batchSize: 1000, flushInterval: 100, priority: 'adaptive' });
    for (let i = 0; i < 20; i++) {
      clock.advance(1);
      b.add(i);
    }
    clock.advance(10);  // 1 ms gaps: quiet after the 10 ms floor
    assert.equal(flushes.length, 1);
    for (let i = 0; i < 20; i++) {  // then one message every 300 ms: each waits ~ flushInterval
      clock.advance(300);
      b.add(i);
    }
    const last = clock.now;
    clock.advance(99);
    assert.equal(flushes.length, 20, 'the 20th slow message still waits');
    clock.advance(1);
    assert.deepEqual(flushes.at(-1), [last + 100, [19]]);
  });

  test("'adaptive' delivers bursts sooner than 'size'", (t) => {
    // Bursts of 5 messages 1 ms apart every 500 ms: 'adaptive' delivers each burst shortly after
    // it ends, 'size' waits the full interval.
    const worst = (priority) => {
      const clock = fakeClock(t, 0);
      const arrival = [];
      let latency = 0;
      const b = new MessageBatcher({ batchSize: 100, flushInterval: 100, priority }, (m) => {
        for (const i of m) latency = Math.max(latency, clock.now - arrival[i]);
      });
      for (let burst = 0; burst < 50; burst++) {
        for (let i = 0; i < 5; i++) {
          clock.advanceTo(burst * 500 + i);
          arrival.push(clock.now);
          b.add(arrival.length - 1);
        }
      }
      clock.advance(1000);
      assert.equal(b.pending, 0);
      t.mock.reset();
      return latency;
    };
    assert.equal(worst('size'), 100);
    assert.ok(worst('adaptive') < 50);
  });
});

describe("MessageBatcher 'frame' mode", () => {
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
// The cases of tests/native/event_bus_test.cpp and message_throttler_test.cpp, from when the bus
// and the throttler were C++ (both are TypeScript now: docs/size.md, "Placement"). The native
// tests spoke in payload handles and subscription ids; here the same rules are checked on what
// the classes hold (a channel's history, the set of events kept) and on what subscribers and
// throttled functions see.

const serverEvent = (payload, type = 'update') => ({ type, payload, source: 'server' });
const isCode = (code) => (err) => err instanceof RealtimeError && err.code === code;

/** Payloads of the events the bus still keeps (every channel's history), sorted. */
const held = (bus) => [...bus.events].map((e) => e.payload).sort((a, b) => a - b);
/** Live subscriptions over all channels. */
const subscriptionCount = (bus) =>
  [...bus.channels.values()].reduce((n, c) => n + c.subscribers.length, 0);
/** Payloads a new subscriber is replayed (it unsubscribes at once). */
function replay(bus, channel) {
  const seen = [];
  bus.subscribe(channel, (e) => seen.push(e.payload))();
  return seen;
}

describe('RealtimeEventBus (was tests/native/event_bus_test.cpp)', () => {
  test('subscribe to an unknown channel is an error', () => {
    const bus = new RealtimeEventBus();
    assert.throws(() => bus.subscribe('nope', () => {}), isCode('unknown_channel'));
    assert.equal(subscriptionCount(bus), 0);
  });

  test('publish to an unknown channel is an error and stores nothing', () => {
    const bus = new RealtimeEventBus();
    let called = 0;
    bus.createChannel('other');
    bus.subscribe('other', () => called++);
    assert.throws(() => bus.publish('nope', serverEvent(7)), isCode('unknown_channel'));
    assert.equal(called, 0);
    assert.equal(bus.historySize('nope'), 0);
    assert.equal(bus.events.size, 0);
  });

  test('publish assigns a fresh UUID v4 and the current time', (t) => {
    let now = 1234.5;
    t.mock.method(Date, 'now', () => now);
    const bus = new RealtimeEventBus();
    bus.createChannel('chat');
    const seen = [];
    bus.subscribe('chat', (e) => seen.push(e));
    bus.publish('chat', { type: 'msg', payload: 11, source: 'alice', target: 'bob' });
    now = 1240;
    bus.publish('chat', serverEvent(12));
    const [a, b] = seen;
    assert.equal(a.type, 'msg');
    assert.equal(a.source, 'alice');
    assert.equal(a.target, 'bob');
    assert.equal(a.payload, 11);
    assert.equal(a.timestamp, 1234.5);
    assert.equal(b.timestamp, 1240);
    assert.equal(a.id.length, 36);
    assert.equal(a.id[8], '-');
    assert.equal(a.id[14], '4');
    assert.ok('89ab'.includes(a.id[19]));
    assert.match(a.id, UUID_V4);
    assert.notEqual(a.id, b.id);
  });

  test('publish reaches the subscribers in subscribe order', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const log = [];
    bus.subscribe('c', (e) => log.push(`s1:${e.payload}`));
    bus.subscribe('c', (e) => log.push(`s2:${e.payload}`));
    bus.publish('c', serverEvent(1));
    assert.deepEqual(log, ['s1:1', 's2:1']);
  });

  test('history is bounded and evicted events are let go', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 3);
    for (let h = 1; h <= 5; h++) bus.publish('c', serverEvent(h));
    assert.deepEqual(held(bus), [3, 4, 5]);  // 1 and 2 left
    assert.equal(bus.historySize('c'), 3);
    assert.deepEqual(replay(bus, 'c'), [3, 4, 5]);
  });

  test('default maxHistory is 100', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    for (let h = 1; h <= 100; h++) {
      bus.publish('c', serverEvent(h));
      assert.equal(held(bus)[0], 1, `nothing evicted at ${h}`);
    }
    bus.publish('c', serverEvent(101));
    assert.equal(held(bus)[0], 2, 'the 101st evicts the first');
    assert.equal(bus.historySize('c'), 100);
  });

  test('a new subscriber is replayed the last ten events, oldest first', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    for (let h = 1; h <= 3; h++) bus.publish('c', serverEvent(h));
    assert.deepEqual(replay(bus, 'c'), [1, 2, 3]);
    for (let h = 4; h <= 15; h++) bus.publish('c', serverEvent(h));
    assert.deepEqual(replay(bus, 'c'), range(10, 6));
  });

  test('one callback on two channels unsubscribes independently', () => {
    // The seed's unsubscribe broke this case; here every subscribe() is its own subscription.
    const bus = new RealtimeEventBus();
    bus.createChannel('a');
    bus.createChannel('b');
    const log = [];
    const cb = (e) => log.push(e.payload);
    const onA = bus.subscribe('a', cb);
    const onB = bus.subscribe('b', cb);
    bus.subscribe('a', cb);  // on_a_again
    onA();
    bus.publish('a', serverEvent('a1'));
    bus.publish('b', serverEvent('b2'));
    assert.deepEqual(log, ['a1', 'b2']);  // once each: on_a_again, on_b
    onB();
    bus.publish('b', serverEvent('b3'));
    bus.publish('a', serverEvent('a4'));
    assert.deepEqual(log, ['a1', 'b2', 'a4']);
    assert.equal(subscriptionCount(bus), 1);
  });

  test('unsubscribing an already removed subscription does nothing', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const log = [];
    const off = bus.subscribe('c', () => log.push('s'));
    bus.subscribe('c', () => log.push('other'));
    assert.equal(subscriptionCount(bus), 2);
    off();
    assert.equal(subscriptionCount(bus), 1);
    off();
    assert.equal(subscriptionCount(bus), 1, 'a second call removes nothing else');
    bus.publish('c', serverEvent(1));
    assert.deepEqual(log, ['other']);
  });

  test('maxHistory 0 keeps nothing and still delivers', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 0);
    const seen = [];
    bus.subscribe('c', (e) => seen.push(e.payload));
    bus.publish('c', serverEvent(5));
    assert.deepEqual(seen, [5]);
    assert.equal(bus.events.size, 0);
    assert.deepEqual(replay(bus, 'c'), []);
  });

  test('a negative maxHistory is invalid_config', () => {
    const bus = new RealtimeEventBus();
    assert.throws(() => bus.createChannel('c', -1), isCode('invalid_config'));
    assert.equal(bus.hasChannel('c'), false);
  });

  test('re-creating a channel keeps its subscribers and trims its history', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 5);
    const seen = [];
    bus.subscribe('c', (e) => seen.push(e.payload));
    for (let h = 1; h <= 5; h++) bus.publish('c', serverEvent(h));
    bus.createChannel('c', 2);
    assert.deepEqual(held(bus), [4, 5]);  // 1, 2, 3 left
    assert.equal(bus.historySize('c'), 2);
    bus.publish('c', serverEvent(6));
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
    assert.equal(bus.channels.size, 1);
  });

  test('removeChannel lets its events go and drops its subscriptions', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    bus.createChannel('d');
    const log = [];
    const off = bus.subscribe('c', (e) => log.push(`c:${e.payload}`));
    bus.subscribe('d', (e) => log.push(`d:${e.payload}`));
    bus.publish('c', serverEvent(1));
    bus.publish('c', serverEvent(2));
    bus.publish('d', serverEvent(10));
    assert.equal(bus.removeChannel('c'), true);
    assert.deepEqual(held(bus), [10]);
    assert.equal(bus.hasChannel('c'), false);
    assert.equal(subscriptionCount(bus), 1);
    off();  // harmless
    bus.publish('d', serverEvent(11));
    assert.throws(() => bus.publish('c', serverEvent(3)), isCode('unknown_channel'));
    assert.equal(bus.removeChannel('c'), false);
    assert.deepEqual(log, ['c:1', 'c:2', 'd:10', 'd:11']);
  });

  test('an unsubscribe during delivery is seen by the delivery loop', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    const delivered = [];
    let off2;
    bus.subscribe('c', () => {
      delivered.push('s1');
      off2();  // the first callback unsubscribes the second
    });
    off2 = bus.subscribe('c', () => delivered.push('s2'));
    bus.publish('c', serverEvent(1));
    assert.deepEqual(delivered, ['s1']);
  });

  // publish() listed the subscribers of the moment (a copy): who subscribes during a delivery
  // gets the next event, not the current one; who unsubscribes itself does not make the next
  // subscriber miss it.
  test('the subscribers of an event are those of the moment it was published', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 0);
    const log = [];
    let offSelf;
    offSelf = bus.subscribe('c', (e) => {
      log.push(`self:${e.payload}`);
      offSelf();
    });
    bus.subscribe('c', (e) => {
      log.push(`adder:${e.payload}`);
      if (e.payload === 1) bus.subscribe('c', (e2) => log.push(`late:${e2.payload}`));
    });
    bus.subscribe('c', (e) => log.push(`last:${e.payload}`));
    bus.publish('c', serverEvent(1));
    bus.publish('c', serverEvent(2));
    assert.deepEqual(log, ['self:1', 'adder:1', 'last:1', 'adder:2', 'last:2', 'late:2']);
  });

  // The replay list is taken at subscribe; an event that leaves the history while the replay
  // runs (a replayed callback publishes) is skipped, as the handles freed by the native bus were.
  test('a replay skips events evicted while it runs', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 3);
    for (const p of ['a', 'b', 'c']) bus.publish('c', serverEvent(p));
    const seen = [];
    bus.subscribe('c', (e) => {
      seen.push(e.payload);
      if (e.payload === 'a') {
        bus.publish('c', serverEvent('d'));  // evicts a
        bus.publish('c', serverEvent('e'));  // evicts b, not replayed yet
      }
    });
    assert.deepEqual(seen, ['a', 'd', 'e', 'c']);
  });

  // What the bus keeps is exactly what the histories hold, at every step: evicted by the bound,
  // trimmed, or gone with a removed channel, an event is let go, and never before.
  test('stream: the events kept are always exactly the histories', () => {
    const bus = new RealtimeEventBus();
    const random = rng(7);
    const names = ['a', 'b', 'c', 'd'];
    const model = new Map(names.map((n) => [n, { max: 8, history: [] }]));
    for (const n of names) bus.createChannel(n, 8);
    let published = 0;
    for (let i = 0; i < 5000; i++) {
      const name = names[Math.floor(random() * names.length)];
      const m = model.get(name);
      switch (Math.floor(random() * 20)) {
        case 0:
          m.max = Math.floor(random() * 12);
          bus.createChannel(name, m.max);
          m.history.splice(0, Math.max(0, m.history.length - m.max));
          break;
        case 1:
          bus.removeChannel(name);
          bus.createChannel(name, 8);
          model.set(name, { max: 8, history: [] });
          break;
        default:
          bus.publish(name, serverEvent(++published));
          m.history.push(published);
          if (m.history.length > m.max) m.history.shift();
      }
      const expected = [...model.values()].flatMap((c) => c.history).sort((x, y) => x - y);
      assert.deepEqual(held(bus), expected, `after step ${i}`);
      assert.equal(bus.historySize(name), model.get(name).history.length);
    }
    for (const n of names) bus.removeChannel(n);
    assert.equal(bus.events.size, 0);
    assert.equal(bus.channels.size, 0);
  });
});

/** A throttler whose runs are logged as [time, value]. */
function logged(clock, delay) {
  const th = new MessageThrottler(delay);
  const runs = [];
  const f = th.throttle((v) => runs.push([clock.now, v]));
  return { th, f, runs };
}

describe('MessageThrottler (was tests/native/message_throttler_test.cpp)', () => {
  test('rejects a bad delay', () => {
    for (const delay of [-1, NaN, Infinity, -5]) {
      assert.throws(() => new MessageThrottler(delay), isCode('invalid_config'), String(delay));
    }
    assert.equal(new MessageThrottler(0).delay, 0);
    assert.equal(new MessageThrottler(250).delay, 250);
  });

  test('the first call runs, even with a small clock', (t) => {
    // The seed compared against lastExecution = 0 and deferred a first call at now < delay.
    const clock = fakeClock(t, 3);
    const { th, f, runs } = logged(clock, 1000);
    f(1);
    assert.deepEqual(runs, [[3, 1]]);
    assert.equal(th.hasPending, false);
  });

  test('calls inside the window are deferred to its end, which does not move', (t) => {
    const clock = fakeClock(t, 0);
    const { th, f, runs } = logged(clock, 100);
    f(0);
    assert.equal(runs.length, 1);
    clock.advanceTo(10);
    f(10);
    assert.equal(th.hasPending, true);
    clock.advanceTo(70);
    f(70);
    assert.equal(runs.length, 1);
    clock.advanceTo(99);
    assert.equal(runs.length, 1);
    assert.equal(th.hasPending, true);
    clock.advanceTo(100);
    assert.deepEqual(runs, [[0, 0], [100, 70]]);
    assert.equal(th.hasPending, false);
    clock.advanceTo(500);
    assert.equal(runs.length, 2, 'runs once');
  });

  test('the trailing run starts a new window', (t) => {
    const clock = fakeClock(t, 0);
    const { f, runs } = logged(clock, 100);
    f(0);
    clock.advanceTo(50);
    f(50);
    clock.advanceTo(100);
    assert.deepEqual(runs.at(-1), [100, 50]);
    clock.advanceTo(150);
    f(150);
    assert.equal(runs.length, 2, 'deferred to 200');
    clock.advanceTo(200);
    assert.deepEqual(runs.at(-1), [200, 150]);
    clock.advanceTo(250);
    f(250);
    assert.equal(runs.length, 3);
    clock.advanceTo(300);
    assert.deepEqual(runs.at(-1), [300, 250]);
    clock.advanceTo(400);
    f(400);  // a full window after the last run
    assert.deepEqual(runs.at(-1), [400, 400]);
  });

  test('the trailing call carries the latest value', (t) => {
    const clock = fakeClock(t, 0);
    const { f, runs } = logged(clock, 100);
    f(1);
    clock.advanceTo(10);
    f(2);
    clock.advanceTo(20);
    f(3);
    clock.advanceTo(90);
    f(4);
    clock.advanceTo(100);
    assert.deepEqual(runs.map(([, v]) => v), [1, 4]);
  });

  test('with nothing pending no timer runs anything', (t) => {
    const clock = fakeClock(t, 0);
    const { th, f, runs } = logged(clock, 100);
    f(0);
    assert.equal(th.timer, null, 'no timer armed without a pending call');
    clock.advanceTo(500);
    assert.equal(runs.length, 1);
  });

  test('a call after the window while its timer is late runs now and drops the trailing call', (t) => {
    const clock = fakeClock(t, 0);
    const { th, f, runs } = logged(clock, 100);
    f(0);
    clock.advanceTo(50);
    f(50);
    assert.equal(runs.length, 1);
    // The timer for 100 is late; a newer call at 130 carries the newest value: it runs now.
    clock.jump(130);
    f(130);
    assert.deepEqual(runs, [[0, 0], [130, 130]]);
    assert.equal(th.hasPending, false);
    t.mock.timers.tick(60);  // the late timer's time comes: nothing to run
    assert.equal(runs.length, 2);
    clock.jump(200);
    f(200);  // deferred to 230
    assert.equal(runs.length, 2);
    for (let at = 201; at <= 230; at++) {
      clock.jump(at);
      t.mock.timers.tick(1);
      if (at < 230) assert.equal(runs.length, 2, `not at ${at}`);
    }
    assert.deepEqual(runs.at(-1), [230, 200]);
  });

  test('delay 0 never defers', (t) => {
    const clock = fakeClock(t, 5);
    const { f, runs } = logged(clock, 0);
    for (let i = 0; i < 10; i++) f(i);
    assert.deepEqual(runs.map(([, v]) => v), range(10));
  });

  test('flush() runs the pending call now and starts a window', (t) => {
    const clock = fakeClock(t, 0);
    const { th, f, runs } = logged(clock, 100);
    th.flush();
    assert.equal(runs.length, 0, 'nothing to flush');
    f(0);
    clock.advanceTo(10);
    f(10);
    clock.advanceTo(20);
    th.flush();
    assert.deepEqual(runs, [[0, 0], [20, 10]]);
    assert.equal(th.hasPending, false);
    clock.advanceTo(60);
    f(60);  // the flush started a window at 20: deferred to 120
    clock.advanceTo(100);
    assert.equal(runs.length, 2, 'the old window end runs nothing');
    clock.advanceTo(119);
    assert.equal(runs.length, 2);
    clock.advanceTo(120);
    assert.deepEqual(runs.at(-1), [120, 60]);
  });

  test('cancel() drops the pending call', (t) => {
    const clock = fakeClock(t, 0);
    const { th, f, runs } = logged(clock, 100);
    th.cancel();
    f(0);
    clock.advanceTo(10);
    f(10);
    th.cancel();
    assert.equal(th.hasPending, false);
    clock.advanceTo(300);
    assert.deepEqual(runs, [[0, 0]]);
  });

  // Random call times: runs are never closer than `delay`, every run carries the latest value
  // at that moment, and the last value is always delivered.
  test('stream: runs are spaced and the last value always arrives', (t) => {
    const clock = fakeClock(t, 0);
    const random = rng(42);
    let latest = -1;
    const th = new MessageThrottler(50);
    const runTimes = [];
    const runValues = [];
    const f = th.throttle((v) => {
      assert.equal(v, latest, 'the run carries the latest value');
      runTimes.push(clock.now);
      runValues.push(v);
    });
    for (let i = 0; i < 3000; i++) {
      clock.advanceTo(clock.now + random() * 30);
      latest = i;
      f(i);
    }
    clock.advanceTo(clock.now + 1000);
    assert.ok(runValues.length > 0);
    assert.equal(runValues.at(-1), 2999);
    for (let i = 1; i < runTimes.length; i++) {
      assert.ok(runTimes[i] - runTimes[i - 1] >= 50 - 1e-9, `runs ${i - 1} and ${i}`);
      assert.ok(runValues[i] > runValues[i - 1]);
    }
    assert.ok(runTimes.length < 3000 / 2, 'it did throttle');
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

describe('native objects', () => {
  before(() => loadRuntime());

  // The batcher, the throttler and the bus are TypeScript (as embind objects, a set of the three
  // held three native objects, and one dropped without dispose() waited for a FinalizationRegistry).
  test('the batcher, the throttler and the bus hold none', () => {
    const baseline = liveHandles();
    const sets = [];
    for (let i = 0; i < 3; i++) {
      const b = new MessageBatcher({ batchSize: 2, flushInterval: 10, priority: 'adaptive' }, () => {});
      b.add(1);  // a timer is armed: the batcher is in use
      const th = new MessageThrottler(0);
      th.throttle(() => {})();
      const bus = new RealtimeEventBus();
      bus.createChannel('c');
      bus.publish('c', { type: 't', payload: 1, source: 's' });
      sets.push([b, th, bus]);
    }
    assert.equal(liveHandles(), baseline);
    for (const [b, th, bus] of sets) {
      b.destroy();
      th.dispose();
      bus.dispose();
    }
  });
});
