// RealtimeEventBus and MessageThrottler, case by case as tests/native/event_bus_test.cpp and
// message_throttler_test.cpp tested them when they were C++ (both are TypeScript now:
// docs/size.md, "placement"). The native tests spoke in payload handles and subscription ids;
// here the same rules are checked on what the classes hold (a channel's history, the set of
// events kept) and on what subscribers and throttled functions see. Time is a fake clock
// (performance.now, Date.now and setTimeout driven by hand).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MessageThrottler, RealtimeError, RealtimeEventBus } from '../../dist/index.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const ev = (payload, type = 'update') => ({ type, payload, source: 'server' });
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

/** Deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
    assert.throws(() => bus.publish('nope', ev(7)), isCode('unknown_channel'));
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
    bus.publish('chat', ev(12));
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
    bus.publish('c', ev(1));
    assert.deepEqual(log, ['s1:1', 's2:1']);
  });

  test('history is bounded and evicted events are let go', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 3);
    for (let h = 1; h <= 5; h++) bus.publish('c', ev(h));
    assert.deepEqual(held(bus), [3, 4, 5]);  // 1 and 2 left
    assert.equal(bus.historySize('c'), 3);
    assert.deepEqual(replay(bus, 'c'), [3, 4, 5]);
  });

  test('default maxHistory is 100', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    for (let h = 1; h <= 100; h++) {
      bus.publish('c', ev(h));
      assert.equal(held(bus)[0], 1, `nothing evicted at ${h}`);
    }
    bus.publish('c', ev(101));
    assert.equal(held(bus)[0], 2, 'the 101st evicts the first');
    assert.equal(bus.historySize('c'), 100);
  });

  test('a new subscriber is replayed the last ten events, oldest first', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c');
    for (let h = 1; h <= 3; h++) bus.publish('c', ev(h));
    assert.deepEqual(replay(bus, 'c'), [1, 2, 3]);
    for (let h = 4; h <= 15; h++) bus.publish('c', ev(h));
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
    bus.publish('a', ev('a1'));
    bus.publish('b', ev('b2'));
    assert.deepEqual(log, ['a1', 'b2']);  // once each: on_a_again, on_b
    onB();
    bus.publish('b', ev('b3'));
    bus.publish('a', ev('a4'));
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
    bus.publish('c', ev(1));
    assert.deepEqual(log, ['other']);
  });

  test('maxHistory 0 keeps nothing and still delivers', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 0);
    const seen = [];
    bus.subscribe('c', (e) => seen.push(e.payload));
    bus.publish('c', ev(5));
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
    for (let h = 1; h <= 5; h++) bus.publish('c', ev(h));
    bus.createChannel('c', 2);
    assert.deepEqual(held(bus), [4, 5]);  // 1, 2, 3 left
    assert.equal(bus.historySize('c'), 2);
    bus.publish('c', ev(6));
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
    bus.publish('c', ev(1));
    bus.publish('c', ev(2));
    bus.publish('d', ev(10));
    assert.equal(bus.removeChannel('c'), true);
    assert.deepEqual(held(bus), [10]);
    assert.equal(bus.hasChannel('c'), false);
    assert.equal(subscriptionCount(bus), 1);
    off();  // harmless
    bus.publish('d', ev(11));
    assert.throws(() => bus.publish('c', ev(3)), isCode('unknown_channel'));
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
    bus.publish('c', ev(1));
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
    bus.publish('c', ev(1));
    bus.publish('c', ev(2));
    assert.deepEqual(log, ['self:1', 'adder:1', 'last:1', 'adder:2', 'last:2', 'late:2']);
  });

  // The replay list is taken at subscribe; an event that leaves the history while the replay
  // runs (a replayed callback publishes) is skipped, as the handles freed by the native bus were.
  test('a replay skips events evicted while it runs', () => {
    const bus = new RealtimeEventBus();
    bus.createChannel('c', 3);
    for (const p of ['a', 'b', 'c']) bus.publish('c', ev(p));
    const seen = [];
    bus.subscribe('c', (e) => {
      seen.push(e.payload);
      if (e.payload === 'a') {
        bus.publish('c', ev('d'));  // evicts a
        bus.publish('c', ev('e'));  // evicts b, not replayed yet
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
          bus.publish(name, ev(++published));
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

/** performance.now and setTimeout under the test's control; `jump` moves the clock without
 * firing timers (a late timer). */
function fakeClock(t, start = 0) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = start;
  t.mock.method(performance, 'now', () => now);
  return {
    get now() {
      return now;
    },
    /** To `to`, firing due timers on the way (steps of at most 1 ms). */
    advanceTo(to) {
      while (now < to) {
        const step = Math.min(1, to - now);
        now += step;
        t.mock.timers.tick(step);
      }
    },
    jump(to) {
      now = to;
    },
  };
}

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
    const clock = fakeClock(t);
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
    const clock = fakeClock(t);
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
    const clock = fakeClock(t);
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
    const clock = fakeClock(t);
    const { th, f, runs } = logged(clock, 100);
    f(0);
    assert.equal(th.timer, null, 'no timer armed without a pending call');
    clock.advanceTo(500);
    assert.equal(runs.length, 1);
  });

  test('a call after the window while its timer is late runs now and drops the trailing call', (t) => {
    const clock = fakeClock(t);
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
    const clock = fakeClock(t);
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
    const clock = fakeClock(t);
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
    const clock = fakeClock(t);
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
