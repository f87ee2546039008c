// The feed's replay/live merge, deterministically: a memory store wrapped so that publications
// land exactly in the windows that matter (between subscribe and the history read; a live
// fan-out message lost), and the store's history reset under a live feed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStore } from '../../web/server/memory-store.mjs';
import { openFeed, startOf } from '../../web/server/feed.mjs';

const T = { timeout: 10000 };
const pub = (store, channel, n) =>
  store.publish(channel, { type: 't', id: `id-${n}`, dedupe: false, timestamp: n, payloadJson: String(n) });

function collect() {
  const out = { joined: [], offsets: [], errors: [] };
  out.handlers = {
    onJoined: (j) => out.joined.push(j),
    onPublication: (p) => out.offsets.push(p.offset),
    onError: (e) => out.errors.push(e),
  };
  return out;
}

test('startOf: the resume rule', () => {
  const h = { epoch: 'e', oldest: 6, newest: 10 };
  assert.deepEqual(startOf(h, undefined), { from: 11, recovered: true });
  assert.deepEqual(startOf(h, { epoch: 'e', offset: 7 }), { from: 8, recovered: true });
  assert.deepEqual(startOf(h, { offset: 5 }), { from: 6, recovered: true });
  assert.deepEqual(startOf(h, { epoch: '', offset: 10 }), { from: 11, recovered: true });
  assert.deepEqual(startOf(h, { epoch: 'e', offset: 4 }), { from: 6, recovered: false });
  assert.deepEqual(startOf(h, { offset: 0 }), { from: 6, recovered: false });
  assert.deepEqual(startOf(h, { epoch: 'x', offset: 7 }), { from: 6, recovered: false });
  assert.deepEqual(startOf(h, { epoch: 'e', offset: 11 }), { from: 6, recovered: false });
  assert.deepEqual(startOf({ epoch: 'e', oldest: 1, newest: 0 }, { offset: 0 }), { from: 1, recovered: true });
});

test('publications between subscribe and the history read are delivered once, after the replay', T, async () => {
  const store = memoryStore();
  for (let i = 1; i <= 3; i++) await pub(store, 'c', i);
  const history = store.history.bind(store);
  let injected = false;
  store.history = async (channel, from) => {
    if (!injected) {
      injected = true;
      await pub(store, 'c', 4); // live (buffered) and in the history read below
      const h = await history(channel, from);
      await pub(store, 'c', 5); // live only: after the history snapshot
      return h;
    }
    return history(channel, from);
  };
  const out = collect();
  await openFeed(store, 'c', { offset: 1 }, out.handlers);
  await pub(store, 'c', 6);
  assert.deepEqual(out.joined.map((j) => [j.offset, j.recovered]), [[4, true]]);
  assert.deepEqual(out.offsets, [2, 3, 4, 5, 6]);
});

test('a live publication that skips ahead is filled in from the history first', T, async () => {
  const store = memoryStore();
  const subscribe = store.subscribe.bind(store);
  store.subscribe = async (channel, listener) => {
    return subscribe(channel, (p) => p.offset !== 2 && p.offset !== 3 && listener(p)); // 2, 3 lost
  };
  const out = collect();
  await openFeed(store, 'c', undefined, out.handlers);
  for (let i = 1; i <= 5; i++) await pub(store, 'c', i);
  while (out.offsets.length < 5) await new Promise(setImmediate);
  assert.deepEqual(out.offsets, [1, 2, 3, 4, 5]);
});

test('a history reset under a live feed (new epoch) re-joins with recovered false and replays it', T, async () => {
  const listeners = new Set();
  const p = (epoch, offset) => ({ channel: 'c', epoch, offset, type: 't', id: `${epoch}-${offset}`, timestamp: 0, payloadJson: '0' });
  let kept = [p('e1', 1), p('e1', 2)];
  const store = {
    async subscribe(channel, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async history(channel, from) {
      const newest = kept.at(-1)?.offset ?? 0;
      return { epoch: kept[0].epoch, oldest: kept[0].offset, newest, publications: kept.filter((x) => x.offset >= from) };
    },
  };
  const out = collect();
  const feed = await openFeed(store, 'c', { offset: 0 }, out.handlers);
  kept = [p('e2', 1)]; // Redis lost the channel; a publication made a new epoch
  for (const l of listeners) l(kept[0]);
  while (out.joined.length < 2) await new Promise(setImmediate);
  kept.push(p('e2', 2));
  for (const l of listeners) l(kept[1]);
  assert.deepEqual(out.joined, [
    { epoch: 'e1', offset: 2, recovered: true },
    { epoch: 'e2', offset: 1, recovered: false },
  ]);
  assert.deepEqual(out.offsets, [1, 2, 1, 2]);
  assert.deepEqual(feed.position, { epoch: 'e2', offset: 2 });
  feed.close();
  assert.equal(listeners.size, 0);
});
