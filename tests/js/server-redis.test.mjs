// Two server PROCESSES on one redis-server are one system: publications through either
// instance reach receivers on both, a receiver whose instance is SIGKILLed mid-stream resumes on
// the other with nothing lost or doubled, and an acknowledged send whose handler died half-way is
// re-run on the other instance with its side effect (a publication with the message id) once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forkInstance, rawClient, startRedis } from './server-helpers.mjs';

let redis;
let run = 0;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.stop());

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Two instances with their own key prefix; killed at the end of the test. */
async function twoInstances(t, env = {}) {
  const prefix = `r${++run}:`;
  const [a, b] = await Promise.all(
    ['A', 'B'].map((name) => forkInstance({ REDIS_URL: redis.url, RT_PREFIX: prefix, RT_NAME: name, ...env })),
  );
  t.after(() => Promise.all([a.kill(), b.kill()]));
  return [a, b];
}

/**
 * A channel receiver that keeps every publication it gets; `resumeOn(url)` reconnects to
 * another instance with its position. `until(n)` resolves once it has offset n.
 */
async function receiver(url, channel) {
  const r = { pubs: [], epoch: '', waiters: [] };
  const attach = async (u, position) => {
    const c = await rawClient(u);
    c.ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.channel !== channel || f.offset === undefined) return;
      r.pubs.push(f);
      for (const w of r.waiters) if (f.offset >= w.n) w.resolve();
    });
    const joined = await c.join(channel, position);
    assert.equal(joined.type, 'rt:joined');
    r.epoch = joined.payload.epoch;
    r.client = c;
    return joined;
  };
  r.joined = await attach(url, { offset: 0 });
  r.last = () => r.pubs.at(-1)?.offset ?? 0;
  r.resumeOn = (u) => attach(u, { epoch: r.epoch, offset: r.last() });
  r.until = (n) => (r.last() >= n ? Promise.resolve() : new Promise((resolve) => r.waiters.push({ n, resolve })));
  return r;
}

test('2,000 publications through alternating instances, one SIGKILLed mid-stream: both receivers get 1..N once, in order', { timeout: 120000 }, async (t) => {
  const [a, b] = await twoInstances(t);
  const ra = await receiver(a.url, 'stream');
  const rb = await receiver(b.url, 'stream');
  assert.equal(ra.epoch, rb.epoch, 'one epoch for the channel across instances');
  const N = 2000;
  let aAlive = true;
  let retried = 0;
  const closedA = ra.client.closed;
  let atKill = 0;
  for (let i = 0; i < N; i++) {
    const args = ['stream', 'tick', { i }, { id: `p-${i}` }];
    const retry = () => {
      retried++;
      return b.call('publish', args); // same id: never appended twice
    };
    let sent;
    if (i === 700) {
      await ra.until(600); // A's receiver is mid-stream
      sent = a.call('publish', args).catch(retry); // in flight while A is killed: may or may not land
      await a.kill('SIGKILL');
      aAlive = false;
      assert.equal((await closedA).code, 1006);
      atKill = ra.last();
      await ra.resumeOn(b.url); // the receiver fails over with its last position
    } else {
      sent = (i % 2 === 0 && aAlive ? a : b).call('publish', args).catch(retry);
    }
    const { offset } = await sent;
    assert.equal(offset, i + 1);
  }
  // the publisher retries a publication whose answer it never got: idempotent across instances
  assert.deepEqual(await b.call('publish', ['stream', 'tick', { i: 5 }, { id: 'p-5' }]), { offset: 6 });
  await Promise.all([ra.until(N), rb.until(N)]);
  for (const r of [ra, rb]) {
    assert.deepEqual(r.pubs.map((p) => p.offset), range(1, N));
    assert.deepEqual(r.pubs.map((p) => p.id), range(0, N - 1).map((i) => `p-${i}`));
    assert.deepEqual(r.pubs.map((p) => p.payload.i), range(0, N - 1));
  }
  t.diagnostic(`publishes retried after the kill: ${retried}; A's receiver had ${atKill} at the kill`);
  await Promise.all([ra.client.close(), rb.client.close()]);
});

test('acknowledged sends: the handler publishes with the message id; after a SIGKILL the re-send to the other instance keeps every publication exactly once', { timeout: 60000 }, async (t) => {
  const [a, b] = await twoInstances(t, { RT_LEASE_MS: '800' });
  const orders = await receiver(b.url, 'orders');
  const N = 100;
  const hangAt = 40;
  const acks = new Map(); // id → reply
  let hungPublished;
  const hung = new Promise((resolve) => (hungPublished = resolve));
  a.child.on('message', (m) => m.event === 'handled' && m.id === `o-${hangAt}` && hungPublished());
  const message = (i) => ({
    type: 'order',
    id: `o-${i}`,
    timestamp: Date.now(),
    ack: true,
    payload: { n: i, ...(i === hangAt ? { hangOn: 'A' } : {}) },
  });

  const sendAll = async (c) => {
    // a window of 8 unacknowledged messages, like a client's send store
    const pending = new Set();
    const onFrame = (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== 'rt:ack') return;
      assert.equal(f.payload.error, undefined, JSON.stringify(f.payload.error));
      if (!acks.has(f.payload.id)) acks.set(f.payload.id, f.payload.reply);
      pending.delete(f.payload.id);
    };
    c.ws.on('message', onFrame);
    return { pending, onFrame };
  };

  // First on A: everything up to the hung message (and a few after it) is sent.
  const ca = await rawClient(a.url);
  const sa = await sendAll(ca);
  for (let i = 0; i < hangAt + 5; i++) {
    ca.send(message(i));
    sa.pending.add(`o-${i}`);
  }
  await hung; // A published o-40 and will never acknowledge it
  while (acks.size < hangAt) await ca.next((f) => f.type === 'rt:ack');
  await a.kill('SIGKILL');
  await ca.closed;
  assert.ok(acks.size >= hangAt && !acks.has(`o-${hangAt}`));

  // The client re-sends every unacknowledged message, in order, to B, then the rest.
  const cb = await rawClient(b.url);
  const sb = await sendAll(cb);
  const resend = range(0, N - 1).filter((i) => !acks.has(`o-${i}`));
  for (const i of resend) cb.send(message(i));
  // and an already-acknowledged one, as a client that lost the ack would: the cached reply
  cb.send(message(3));
  while (acks.size < N) await cb.next((f) => f.type === 'rt:ack');
  const again = await cb.next((f) => f.type === 'rt:ack' && f.payload.id === 'o-3');
  assert.deepEqual(again.payload.reply, acks.get('o-3'));
  assert.equal(acks.get(`o-${hangAt}`).by, 'B', 'B took over the hung message after the lease expired');

  await orders.until(N);
  assert.deepEqual(orders.pubs.map((p) => p.offset), range(1, N));
  assert.deepEqual(orders.pubs.map((p) => p.id), range(0, N - 1).map((i) => `o-${i}`), 'each side effect once, in order');
  for (const [id, reply] of acks) assert.equal(orders.pubs[reply.offset - 1].id, id, `${id}'s reply names its publication`);
  cb.ws.off('message', sb.onFrame);
  await Promise.all([cb.close(), orders.client.close()]);
});
