// Delivery guarantees end to end (issue 11): the client's acknowledged sends and channels against
// the real server kit (realtime-wasm/server), through a TCP proxy that cuts connections at random
// byte counts (in the middle of frames), and across two server processes on one real Redis with
// one of them SIGKILLed mid-stream.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { ServerSentEventsManager, WebSocketManager, loadRuntime } from '../../dist/index.js';
import { createRealtimeServer, memoryStore } from '../../web/server/index.mjs';
import { waitFor } from './helpers.mjs';
import { forkInstance, startRedis } from './server-helpers.mjs';

before(() => loadRuntime());

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A small deterministic generator (the cuts are random, but the same in every run). */
function seeded(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * A TCP proxy to 127.0.0.1:`targetPort` that cuts every connection after a random number of
 * bytes (client→server and server→client together) between `minBytes` and `maxBytes`: most cuts
 * land in the middle of a frame. `cuts` counts them; `stop()` stops cutting.
 */
async function startCuttingProxy(targetPort, { minBytes = 500, maxBytes = 6000, seed = 7 } = {}) {
  const random = seeded(seed);
  const sockets = new Set();
  const proxy = { cuts: 0, cutting: true };
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let budget = minBytes + Math.floor(random() * (maxBytes - minBytes));
    const cut = () => {
      proxy.cuts++;
      client.destroy();
      upstream.destroy();
    };
    const pipe = (from, to) => from.on('data', (chunk) => {
      if (!proxy.cutting) return to.write(chunk);
      if (chunk.length >= budget) {
        to.write(chunk.subarray(0, budget));  // part of a frame goes through, then the cut
        return cut();
      }
      budget -= chunk.length;
      to.write(chunk);
    });
    pipe(client, upstream);
    pipe(upstream, client);
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = server.address().port;
  proxy.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}

/** A realtime server on the memory store, and a cutting proxy in front of it. */
async function serverBehindProxy(t, options = {}, proxyOptions = {}) {
  const rt = await createRealtimeServer({ port: 0, host: '127.0.0.1', ...options });
  t.after(() => rt.close());
  const port = new URL(rt.url).port;
  const proxy = await startCuttingProxy(Number(port), proxyOptions);
  t.after(() => proxy.close());
  return { rt, proxy, url: `ws://127.0.0.1:${proxy.port}/realtime` };
}

// Reconnects as fast as the cuts come: a cut connection never stays up minUptime.
const STORMY = { realtimeProtocol: true, reconnectAttempts: Infinity, reconnectInterval: 5, maxReconnectInterval: 20, heartbeatInterval: 0 };

/** Collects a channel's publications of `type` (offsets and payloads) and its gaps. */
function record(channel, type) {
  const got = { offsets: [], payloads: [], gaps: [] };
  channel.subscribe(type, (payload, meta) => {
    got.offsets.push(meta.offset);
    got.payloads.push(payload);
  });
  channel.on('gap', (g) => got.gaps.push(g));
  got.until = (n, what = `${n} publications`) => waitFor(what, (done) => {
    const check = () => got.offsets.length >= n && done();
    const timer = setInterval(check, 10);
    check();
    return () => clearInterval(timer);
  }, { timeoutMs: 60_000, detail: () => `${got.offsets.length} so far` });
  return got;
}

/** Resolves once the channel has a position (the server answered the join). */
const joined = (channel) => waitFor(`channel ${channel.name} joined`, (done) => {
  const timer = setInterval(() => channel.position && done(), 5);
  return () => clearInterval(timer);
});

describe('acknowledged sends', () => {
  test('the reply comes back; a handler error is server_error with its message', async (t) => {
    const rt = await createRealtimeServer({
      port: 0, host: '127.0.0.1',
      onMessage: (m) => {
        if (m.payload.fail) throw new Error('room is closed');
        return { got: m.payload.n };
      },
    });
    t.after(() => rt.close());
    const m = new WebSocketManager({ url: rt.url, realtimeProtocol: true });
    t.after(() => m.dispose());
    await m.connect();
    assert.deepEqual(await m.sendWithAck({ type: 'say', payload: { n: 1 } }), { got: 1 });
    await assert.rejects(m.sendWithAck({ type: 'say', payload: { fail: true } }),
      (e) => e.code === 'server_error' && /room is closed/.test(e.message));
    assert.equal(m.stats.acksPending, 0);
  });

  test('no answer: ack_timeout; an AbortSignal: aborted; a server without realtime.v1: protocol_unsupported', async (t) => {
    const silent = await createRealtimeServer({ port: 0, host: '127.0.0.1', onMessage: () => new Promise(() => {}) });
    t.after(() => silent.close());
    const m = new WebSocketManager({ url: silent.url, realtimeProtocol: true });
    t.after(() => m.dispose());
    await m.connect();
    const started = Date.now();
    await assert.rejects(m.sendWithAck({ type: 'x', payload: 1 }, { timeout: 200 }), (e) => e.code === 'ack_timeout');
    assert.ok(Date.now() - started >= 190);
    const controller = new AbortController();
    const pending = m.sendWithAck({ type: 'x', payload: 2 }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e) => e.code === 'aborted');
    assert.equal(m.stats.acksPending, 0);

    const { WebSocketServer } = await import('ws');
    // A plain server that selects some other subprotocol it knows (not realtime.v1).
    const plain = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'chat' });
    await new Promise((resolve) => plain.once('listening', resolve));
    t.after(() => new Promise((resolve) => plain.close(resolve)));
    const p = new WebSocketManager({ url: `ws://127.0.0.1:${plain.address().port}`, protocols: ['chat'], realtimeProtocol: true });
    t.after(() => p.dispose());
    await p.connect();
    await assert.rejects(p.sendWithAck({ type: 'x', payload: 1 }), (e) => e.code === 'protocol_unsupported');
  });

  test('1,000 acknowledged sends through a proxy that cuts mid-frame: each handled once, in order', async (t) => {
    const handled = [];
    // Every reconnect re-sends all that is unacknowledged: a connection must carry more than
    // that burst for the acks to come back (20–150 kB here; the burst starts at ~130 kB).
    const { url, proxy } = await serverBehindProxy(t, {
      onMessage: async (msg) => {
        handled.push(msg.payload.n);
        await new Promise((resolve) => setImmediate(resolve));  // a handler that takes a moment
        return { n: msg.payload.n };
      },
    }, { minBytes: 20_000, maxBytes: 150_000 });
    const m = new WebSocketManager({ url, ...STORMY });
    t.after(() => m.dispose());
    await m.connect();
    const replies = await Promise.all(range(1, 1000).map((n) =>
      m.sendWithAck({ type: 'order', payload: { n } }, { timeout: 60_000 })));
    assert.deepEqual(replies.map((r) => r.n), range(1, 1000));
    assert.deepEqual(handled, range(1, 1000));
    assert.ok(proxy.cuts >= 5, `only ${proxy.cuts} cuts`);
    t.diagnostic(`${proxy.cuts} cuts, ${m.stats.reconnects} reconnects`);
  });
});

describe('channels', () => {
  test('2,000 publications through a proxy that cuts mid-frame: each delivered once, in order, no gap', async (t) => {
    // The history holds the whole run: a client that falls behind across many cuts still
    // resumes (with the default 1000, a lag of 1000 is a gap, tested below).
    const { rt, url, proxy } = await serverBehindProxy(t, { store: memoryStore({ historySize: 5000 }) },
      { minBytes: 8000, maxBytes: 40000 });
    const m = new WebSocketManager({ url, ...STORMY });
    t.after(() => m.dispose());
    const channel = m.channel('feed');
    const got = record(channel, 'tick');
    await m.connect();
    await joined(channel);
    for (let i = 1; i <= 2000; i++) {
      await rt.publish('feed', 'tick', { i });
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));  // a live stream, not one burst
    }
    await got.until(2000);
    assert.deepEqual(got.offsets, range(1, 2000));
    assert.deepEqual(got.payloads.map((p) => p.i), range(1, 2000));
    assert.deepEqual(got.gaps, []);
    assert.ok(proxy.cuts >= 10, `only ${proxy.cuts} cuts`);
    t.diagnostic(`${proxy.cuts} cuts, ${m.stats.duplicates} duplicates dropped by the client`);
  });

  test('a history too short for the outage: a gap, then live delivery', async (t) => {
    const rt = await createRealtimeServer({ port: 0, host: '127.0.0.1', store: memoryStore({ historySize: 10 }) });
    t.after(() => rt.close());
    const m = new WebSocketManager({ url: rt.url, realtimeProtocol: true, heartbeatInterval: 0 });
    t.after(() => m.dispose());
    const channel = m.channel('feed');
    const got = record(channel, 'tick');
    await m.connect();
    await joined(channel);
    for (let i = 1; i <= 5; i++) await rt.publish('feed', 'tick', { i });
    await got.until(5);
    m.disconnect();
    for (let i = 6; i <= 40; i++) await rt.publish('feed', 'tick', { i });  // offsets 6..30 are trimmed
    await m.connect();
    await got.until(5 + 10);
    assert.equal(got.gaps.length, 1);
    assert.equal(got.gaps[0].from.offset, 5);
    assert.deepEqual(got.offsets.slice(5), range(31, 40));  // what the server still keeps
    await rt.publish('feed', 'tick', { i: 41 });
    await got.until(16);
    assert.equal(got.offsets.at(-1), 41);
    assert.equal(channel.position.offset, 41);
  });

  test('since resumes exactly after a saved position (a page reload)', async (t) => {
    const rt = await createRealtimeServer({ port: 0, host: '127.0.0.1' });
    t.after(() => rt.close());
    const first = new WebSocketManager({ url: rt.url, realtimeProtocol: true, heartbeatInterval: 0 });
    const channel = first.channel('feed');
    const got = record(channel, 'tick');
    await first.connect();
    await joined(channel);
    for (let i = 1; i <= 10; i++) await rt.publish('feed', 'tick', { i });
    await got.until(10);
    const saved = JSON.parse(JSON.stringify(channel.position));
    assert.equal(saved.offset, 10);
    first.dispose();
    for (let i = 11; i <= 20; i++) await rt.publish('feed', 'tick', { i });

    const second = new WebSocketManager({ url: rt.url, realtimeProtocol: true, heartbeatInterval: 0 });
    t.after(() => second.dispose());
    const resumed = record(second.channel('feed', { since: saved }), 'tick');
    await second.connect();
    await resumed.until(10);
    await rt.publish('feed', 'tick', { i: 21 });
    await resumed.until(11);
    assert.deepEqual(resumed.offsets, range(11, 21));
    assert.deepEqual(resumed.gaps, []);
  });

  test('an SSE stream of a channel (rt.sse) resumes through cuts: each event once, in order', async (t) => {
    const rt = await createRealtimeServer({ port: 0, host: '127.0.0.1' });
    t.after(() => rt.close());
    const handler = rt.sse('feed');
    const http = createHttpServer((req, res) => handler(req, res));
    await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      http.closeAllConnections();
      return new Promise((resolve) => http.close(resolve));
    });
    const proxy = await startCuttingProxy(http.address().port, { minBytes: 1500, maxBytes: 8000 });
    t.after(() => proxy.close());
    const feed = new ServerSentEventsManager({
      url: `http://127.0.0.1:${proxy.port}/feed`, transport: 'fetch', ...STORMY,
    });
    t.after(() => feed.dispose());
    const offsets = [];
    feed.subscribe('tick', (e) => offsets.push(Number(e.id.split(':').pop())));
    await feed.connect();
    // The stream starts live (no Last-Event-ID): publish once it is open, then keep publishing.
    for (let i = 1; i <= 500; i++) {
      await rt.publish('feed', 'tick', { i });
      if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor('500 SSE events', (done) => {
      const timer = setInterval(() => offsets.length >= 500 && done(), 10);
      return () => clearInterval(timer);
    }, { timeoutMs: 60_000, detail: () => `${offsets.length} so far` });
    assert.deepEqual(offsets, range(1, 500));
    assert.ok(proxy.cuts >= 5, `only ${proxy.cuts} cuts`);
  });
});

describe('two server processes on one Redis', () => {
  let redis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  test('one is SIGKILLed mid-stream: receivers on both, and acknowledged orders, lose and double nothing', async (t) => {
    const env = { REDIS_URL: redis.url, RT_PREFIX: 'd1:', RT_LEASE_MS: '500' };
    const [a, b] = await Promise.all(['A', 'B'].map((RT_NAME) => forkInstance({ ...env, RT_NAME })));
    t.after(() => Promise.all([a.kill(), b.kill()]));
    const options = { realtimeProtocol: true, reconnectAttempts: Infinity, reconnectInterval: 20, heartbeatInterval: 500 };
    const onA = new WebSocketManager({ url: [a.url, b.url], ...options });
    const onB = new WebSocketManager({ url: [b.url, a.url], ...options });
    t.after(() => { onA.dispose(); onB.dispose(); });
    const gotA = record(onA.channel('feed'), 'tick');
    const gotB = record(onB.channel('feed'), 'tick');
    const orders = record(onB.channel('orders'), 'order');
    await Promise.all([onA.connect(), onB.connect()]);
    await Promise.all(['feed', 'orders'].map((n) => joined(onB.channel(n))).concat(joined(onA.channel('feed'))));

    const N = 2000;
    const publishing = b.call('publishMany', { channel: 'feed', count: N, idPrefix: 'p', concurrency: 1 });
    // Orders sent to A (the first URL of onA): each handler publishes it with the message id.
    const sent = range(1, 100).map((n) => onA.sendWithAck({ type: 'order', payload: { n } }, { timeout: 30_000 }));
    await gotA.until(N / 2, 'half the stream on A');
    await a.kill('SIGKILL');  // mid-stream, and probably mid-order
    await publishing;
    await Promise.all([gotA.until(N), gotB.until(N)]);
    assert.deepEqual(gotA.offsets, range(1, N), 'the receiver that failed over');
    assert.deepEqual(gotB.offsets, range(1, N), 'the receiver on the survivor');
    const replies = await Promise.all(sent);
    assert.equal(replies.length, 100);
    await orders.until(100, 'every order published');
    assert.deepEqual(orders.payloads.map((p) => p.n).sort((x, y) => x - y), range(1, 100));
    assert.deepEqual(orders.offsets, range(1, 100), 'each order published once');
    assert.deepEqual([...gotA.gaps, ...gotB.gaps, ...orders.gaps], []);
  });
});
