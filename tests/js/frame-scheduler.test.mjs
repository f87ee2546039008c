// FlushScheduler with real timers (no DOM here: the ~16 ms timer path; jsdom's real
// requestAnimationFrame path is exercised by react-batching.test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FlushScheduler } from '../../dist/index.js';

const nextFlush = (box) => new Promise((resolve) => (box.resolve = resolve));

test('many schedule() calls before the flush make one flush', async () => {
  const box = {};
  let flushes = 0;
  const s = new FlushScheduler(() => {
    flushes++;
    box.resolve?.();
  });
  const done = nextFlush(box);
  for (let i = 0; i < 10_000; i++) s.schedule();
  assert.equal(s.scheduled, true);
  await done;
  assert.equal(flushes, 1);
  assert.equal(s.scheduled, false);
});

test('at most one flush per frame (16 ms) without requestAnimationFrame; none after a quiet spell', async () => {
  const box = {};
  const times = [];
  const s = new FlushScheduler(() => {
    times.push(performance.now());
    box.resolve?.();
  });
  for (let i = 0; i < 5; i++) {
    const done = nextFlush(box);
    s.schedule();
    await done;
  }
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i] - times[i - 1] >= 15, `flushes ${i - 1}→${i} ${times[i] - times[i - 1]} ms apart`);
  }
});

test('an interval timing spaces flushes by the interval', async () => {
  const box = {};
  const times = [];
  const s = new FlushScheduler(() => {
    times.push(performance.now());
    box.resolve?.();
  }, { interval: 40 });
  for (let i = 0; i < 3; i++) {
    const done = nextFlush(box);
    s.schedule();
    await done;
  }
  assert.ok(times[1] - times[0] >= 39 && times[2] - times[1] >= 39, times.join(' '));
});

test('flushNow() flushes at once and cancels the scheduled flush; cancel() drops it', async () => {
  let flushes = 0;
  const s = new FlushScheduler(() => flushes++);
  s.schedule();
  s.flushNow();
  assert.equal(flushes, 1);
  assert.equal(s.scheduled, false);
  s.schedule();
  s.cancel();
  const box = {};
  const later = new FlushScheduler(() => box.resolve(), { interval: 30 });
  const done = nextFlush(box);
  later.schedule();
  await done;  // outlives anything the cancelled scheduler could have fired
  assert.equal(flushes, 1);
});

test('a page that never paints (hidden tab: rAF never fires) still flushes, on a timer', async (t) => {
  const requested = [];
  globalThis.requestAnimationFrame = (cb) => requested.push(cb);
  globalThis.cancelAnimationFrame = () => {};
  t.after(() => {
    delete globalThis.requestAnimationFrame;
    delete globalThis.cancelAnimationFrame;
  });
  const box = {};
  const s = new FlushScheduler(() => box.resolve());
  const done = nextFlush(box);
  s.schedule();
  assert.equal(requested.length, 1, 'asked for an animation frame');
  await done;
});
