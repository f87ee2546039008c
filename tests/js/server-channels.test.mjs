// Channels over realtime.v1, on the memory store and on a real redis-server (one per file):
// joins with and without a position, resume, trimmed history, epoch mismatch, the replay/live
// race, leave, publish idempotency.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRealtimeServer, memoryStore, redisStore } from 'realtime-wasm/server';
import { rawClient, startRedis } from './server-helpers.mjs';

const T = { timeout: 30000 };
let redis;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.stop());

const offsets = (pubs) => pubs.map((p) => p.offset);
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
let prefixes = 0;
const stores = {
  memory: (historySize) => memoryStore({ historySize }),
  redis: (historySize) => redisStore({ url: redis.url, historySize, prefix: `t${++prefixes}:` }),
};

for (const [kind, makeStore] of Object.entries(stores)) {
  describe(`channels on the ${kind} store`, () => {
    let rt;
    let small; // historySize 5
    before(async () => {
      rt = await createRealtimeServer({ host: '127.0.0.1', store: makeStore(1000) });
      small = await createRealtimeServer({ host: '127.0.0.1', store: makeStore(5) });
    });
    after(async () => {
      await rt?.close();
      await small?.close();
    });

    const publishN = async (server, channel, n, type = 'msg') => {
      const out = [];
      for (let i = 0; i < n; i++) out.push((await server.publish(channel, type, { i })).offset);
      return out;
    };

    test('offsets are consecutive from 1 per channel', T, async () => {
      assert.deepEqual(await publishN(rt, 'count:a', 3), [1, 2, 3]);
      assert.deepEqual(await publishN(rt, 'count:b', 2), [1, 2]);
    });

    test('join without a position: live only from now', T, async () => {
      await publishN(rt, 'live:1', 3);
      const c = await rawClient(rt.url);
      const joined = await c.join('live:1');
      assert.equal(joined.type, 'rt:joined');
      assert.equal(joined.payload.offset, 3);
      assert.equal(joined.payload.recovered, true);
      assert.match(joined.payload.epoch, /^[0-9a-f]{16}$/);
      await rt.publish('live:1', 'note', { text: 'hi' });
      const [pub] = await c.publications('live:1', 1);
      assert.equal(pub.type, 'note');
      assert.equal(pub.offset, 4);
      assert.deepEqual(pub.payload, { text: 'hi' });
      assert.equal(typeof pub.id, 'string');
      assert.equal(typeof pub.timestamp, 'number');
      await c.close();
    });

    test('join with { offset: 0 }: the whole history, then live', T, async () => {
      await publishN(rt, 'replay:1', 4);
      const c = await rawClient(rt.url);
      const joined = await c.join('replay:1', { offset: 0 });
      assert.deepEqual([joined.payload.offset, joined.payload.recovered], [4, true]);
      await rt.publish('replay:1', 'msg', { i: 4 });
      const pubs = await c.publications('replay:1', 5);
      assert.deepEqual(offsets(pubs), [1, 2, 3, 4, 5]);
      assert.deepEqual(pubs.map((p) => p.payload.i), [0, 1, 2, 3, 4]);
      await c.close();
    });

    test('resume from a position: exactly the missing ones, then live', T, async () => {
      await publishN(rt, 'resume:1', 10);
      const c1 = await rawClient(rt.url);
      const { epoch } = (await c1.join('resume:1')).payload;
      await c1.close();
      const c = await rawClient(rt.url);
      const joined = await c.join('resume:1', { epoch, offset: 7 });
      assert.deepEqual(joined.payload, { channel: 'resume:1', epoch, offset: 10, recovered: true });
      await rt.publish('resume:1', 'msg', {});
      assert.deepEqual(offsets(await c.publications('resume:1', 4)), [8, 9, 10, 11]);
      // an up-to-date position replays nothing
      const c2 = await rawClient(rt.url);
      assert.equal((await c2.join('resume:1', { epoch, offset: 11 })).payload.recovered, true);
      await rt.publish('resume:1', 'msg', {});
      assert.deepEqual(offsets(await c2.publications('resume:1', 1)), [12]);
      await Promise.all([c.close(), c2.close()]);
    });

    test('trimmed history: recovered false, replay from the oldest kept', T, async () => {
      await publishN(small, 'trim:1', 10); // keeps 6..10
      const probe = await rawClient(small.url);
      const { epoch } = (await probe.join('trim:1')).payload;
      await probe.close();
      const c = await rawClient(small.url);
      const j1 = await c.join('trim:1', { epoch, offset: 3 });
      assert.deepEqual([j1.payload.offset, j1.payload.recovered], [10, false]);
      assert.deepEqual(offsets(await c.publications('trim:1', 5)), [6, 7, 8, 9, 10]);
      const c2 = await rawClient(small.url);
      const j2 = await c2.join('trim:1', { offset: 0 });
      assert.equal(j2.payload.recovered, false);
      assert.deepEqual(offsets(await c2.publications('trim:1', 5)), [6, 7, 8, 9, 10]);
      // the oldest kept is still recoverable: offset 5 means "send 6 on"
      const c3 = await rawClient(small.url);
      assert.equal((await c3.join('trim:1', { epoch, offset: 5 })).payload.recovered, true);
      assert.deepEqual(offsets(await c3.publications('trim:1', 5)), [6, 7, 8, 9, 10]);
      await Promise.all([c.close(), c2.close(), c3.close()]);
    });

    test('epoch mismatch: recovered false, replay from the oldest kept of the current epoch', T, async () => {
      await publishN(rt, 'epoch:1', 3);
      const c = await rawClient(rt.url);
      const j = await c.join('epoch:1', { epoch: 'an-old-epoch', offset: 2 });
      assert.equal(j.payload.recovered, false);
      assert.notEqual(j.payload.epoch, 'an-old-epoch');
      assert.deepEqual(offsets(await c.publications('epoch:1', 3)), [1, 2, 3]);
      // an offset ahead of the channel (same epoch) cannot be honoured either
      const c2 = await rawClient(rt.url);
      const j2 = await c2.join('epoch:1', { epoch: j.payload.epoch, offset: 99 });
      assert.equal(j2.payload.recovered, false);
      assert.deepEqual(offsets(await c2.publications('epoch:1', 3)), [1, 2, 3]);
      await Promise.all([c.close(), c2.close()]);
    });

    test('replay/live race: joins while publishing get contiguous offsets, no duplicates', T, async () => {
      const total = 1000;
      let published = 0;
      const publisher = (async () => {
        while (published < total) {
          await rt.publish('race:1', 'msg', { n: published });
          published++;
          await new Promise(setImmediate); // let joins interleave with the publications
        }
      })();
      const receivers = [];
      while (published < total && receivers.length < 12) {
        const c = await rawClient(rt.url);
        const replay = receivers.length % 2 === 1;
        const joined = await c.join('race:1', replay ? { offset: 0 } : undefined);
        receivers.push({ c, from: replay ? 1 : joined.payload.offset + 1, during: published < total });
      }
      await publisher;
      assert.ok(receivers.filter((r) => r.during).length >= 2, 'joined while publishing');
      for (const { c, from } of receivers) {
        const pubs = await c.publications('race:1', total - from + 1);
        assert.deepEqual(offsets(pubs), range(from, total));
        c.send({ type: 'ping' });
        await c.ofType('pong');
        assert.equal(c.queue.filter((f) => f.channel === 'race:1').length, 0, 'no duplicates');
        await c.close();
      }
    });

    test('leave stops delivery; a re-join with a position resumes', T, async () => {
      const c = await rawClient(rt.url);
      const { epoch } = (await c.join('leave:1')).payload;
      await rt.publish('leave:1', 'msg', {});
      await c.publications('leave:1', 1);
      c.send({ type: 'rt:leave', payload: { channel: 'leave:1' } });
      c.send({ type: 'ping' });
      await c.ofType('pong');
      await rt.publish('leave:1', 'msg', {});
      await rt.publish('leave:1', 'msg', {});
      c.send({ type: 'ping' });
      await c.ofType('pong');
      assert.equal(c.queue.length, 0, 'nothing after the leave');
      await c.join('leave:1', { epoch, offset: 1 });
      assert.deepEqual(offsets(await c.publications('leave:1', 2)), [2, 3]);
      await c.close();
    });

    test('publish with an id is idempotent: same offset, delivered once', T, async () => {
      const c = await rawClient(rt.url);
      await c.join('idem:1');
      const a = await rt.publish('idem:1', 'msg', { v: 1 }, { id: 'order-1' });
      const again = await rt.publish('idem:1', 'msg', { v: 'ignored' }, { id: 'order-1' });
      const b = await rt.publish('idem:1', 'msg', { v: 2 }, { id: 'order-2' });
      const parallel = await Promise.all(
        Array.from({ length: 5 }, () => rt.publish('idem:1', 'msg', { v: 3 }, { id: 'order-3' })),
      );
      assert.deepEqual([a, again, b], [{ offset: 1 }, { offset: 1 }, { offset: 2 }]);
      assert.deepEqual(parallel, Array(5).fill({ offset: 3 }));
      const pubs = await c.publications('idem:1', 3);
      assert.deepEqual(pubs.map((p) => [p.offset, p.id, p.payload.v]), [
        [1, 'order-1', 1],
        [2, 'order-2', 2],
        [3, 'order-3', 3],
      ]);
      // the same id on another channel is another publication
      assert.deepEqual(await rt.publish('idem:2', 'msg', {}, { id: 'order-1' }), { offset: 1 });
      c.send({ type: 'ping' });
      await c.ofType('pong');
      assert.equal(c.queue.length, 0);
      await c.close();
    });
  });
}
