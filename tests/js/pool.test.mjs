// RealtimeConnectionPool against real ws servers: sharing, idle close, eviction, capacity, destroy.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  RealtimeConnectionPool, RealtimeError, connectionPool, liveHandles, loadRuntime,
} from '../../dist/index.js';
import { startWsServer } from './helpers.mjs';

before(() => loadRuntime());

/** Resolves with the close code the server sees on `socket`. */
const serverClose = (socket) => new Promise((resolve) => socket.once('close', (code) => resolve(code)));
/** Resolves with the next pool event `name` that satisfies `predicate`. */
const poolEvent = (pool, name, predicate = () => true) => new Promise((resolve) => {
  const off = pool.on(name, (e) => {
    if (predicate(e)) {
      off();
      resolve(e);
    }
  });
});
const idle = () => new Promise((resolve) => setImmediate(resolve));

describe('RealtimeConnectionPool', () => {
  let server;
  before(async () => {
    server = await startWsServer();
  });
  after(() => server.close());

  test('the seed defaults, and a bad config is refused up front', () => {
    assert.deepEqual({ ...connectionPool.config }, {
      maxConnections: 10, idleTimeout: 300000, healthCheckInterval: 60000,
    });
    // The defaults are C++'s (ConnectionPoolConfig): a fresh pool's effective config is the same.
    assert.deepEqual({ ...new RealtimeConnectionPool().config }, { ...connectionPool.config });
    for (const bad of [{ maxConnections: 0 }, { maxConnections: 1.5 }, { idleTimeout: -1 },
      { idleTimeout: NaN }, { healthCheckInterval: 0 }, { healthCheckInterval: Infinity }]) {
      assert.throws(() => new RealtimeConnectionPool(bad),
        (e) => e instanceof RealtimeError && e.code === 'invalid_config', JSON.stringify(bad));
    }
  });

  test('getConnection shares one socket per id; it closes idleTimeout after the last release', async () => {
    const pool = new RealtimeConnectionPool({ idleTimeout: 30, healthCheckInterval: 10 });
    const before = server.connections.length;
    const [a, b] = await Promise.all([
      pool.getConnection('chat', { url: server.url }, 'ws'),
      pool.getConnection('chat', { url: server.url }, 'ws'),
    ]);
    assert.equal(a, b);
    assert.equal(a.isConnected, true);
    assert.equal(pool.users('chat'), 2);
    assert.equal(server.connections.length, before + 1);
    const socket = server.connections.at(-1);
    const closed = serverClose(socket);
    const released = Date.now();
    assert.equal(pool.releaseConnection('chat'), true);
    assert.equal(pool.releaseConnection('chat'), true);
    assert.equal(pool.releaseConnection('chat'), false, 'a third release has no user to release');
    assert.equal(pool.has('chat'), true, 'idle, still open');
    assert.equal(await closed, 1000);
    assert.ok(Date.now() - released >= 30, 'not before idleTimeout');
    assert.equal(pool.size, 0);
    await idle();
    assert.equal(liveHandles(), 0, 'manager, socket, timers and the native pool are all freed');
  });

  test('a quick re-acquire reuses the idle connection (no new socket)', async () => {
    const pool = new RealtimeConnectionPool({ idleTimeout: 60_000, healthCheckInterval: 60_000 });
    const first = pool.acquire('feed', { url: server.url }, 'ws');
    await first.connection.connect();
    const count = server.connections.length;
    first.release();
    first.release();  // idempotent
    assert.equal(pool.users('feed'), 0);
    const second = pool.acquire('feed', { url: server.url }, 'ws');
    assert.equal(second.connection, first.connection);
    assert.equal(second.connection.state, 'open');
    assert.equal(server.connections.length, count);
    second.release();
    pool.destroy();
    await idle();
    assert.equal(liveHandles(), 0);
  });

  test('a full pool evicts the least recently used idle connection', async () => {
    const byPath = new Map();
    const paths = await startWsServer((socket, request) => byPath.set(request.url, socket));
    const pool = new RealtimeConnectionPool({ maxConnections: 2 });
    const a = pool.acquire('a', { url: `${paths.url}/a` }, 'ws');
    const b = pool.acquire('b', { url: `${paths.url}/b` }, 'ws');
    await Promise.all([a.connection.connect(), b.connection.connect()]);
    const aClosed = serverClose(byPath.get('/a'));
    const evicted = poolEvent(pool, 'close');
    a.release();  // idle, and the least recently used
    b.release();
    const again = pool.acquire('b', { url: `${paths.url}/b` }, 'ws');
    assert.equal(again.connection, b.connection);
    again.release();  // b idle too, but used more recently than a
    const c = pool.acquire('c', { url: `${paths.url}/c` }, 'ws');
    assert.deepEqual(await evicted, { id: 'a', reason: 'evicted' });
    assert.equal(await aClosed, 1000, 'the server sees the evicted socket close');
    assert.deepEqual([pool.has('a'), pool.has('b'), pool.has('c')], [false, true, true]);
    await c.connection.connect();
    assert.equal(paths.connections.length, 3);
    c.release();
    pool.destroy();
    await paths.close();
    await idle();
    assert.equal(liveHandles(), 0);
  });

  test('over capacity is reported, and the extra connection closes with its last user', async () => {
    const pool = new RealtimeConnectionPool({ maxConnections: 1 });
    const a = pool.acquire('a', { url: server.url }, 'ws');
    const over = poolEvent(pool, 'over_capacity');
    const b = pool.acquire('b', { url: `${server.url}/b` }, 'ws');
    assert.deepEqual(await over, { id: 'b', size: 2, maxConnections: 1 });
    const closed = poolEvent(pool, 'close');
    b.release();
    assert.deepEqual(await closed, { id: 'b', reason: 'over_capacity' });
    assert.equal(pool.size, 1);
    a.release();
    pool.destroy();
  });

  test('destroy() closes connections still in use and tells their holders', async () => {
    const pool = new RealtimeConnectionPool();
    const reasons = [];
    const lease = pool.acquire('x', { url: server.url }, 'ws', { onClose: (r) => reasons.push(r) });
    await lease.connection.connect();
    const closed = serverClose(server.connections.at(-1));
    pool.destroy();
    assert.deepEqual(reasons, ['destroyed']);
    assert.equal(lease.released, true);
    assert.equal(await closed, 1000);
    lease.release();  // harmless
    assert.equal(pool.size, 0);
    await idle();
    assert.equal(liveHandles(), 0);
  });

  test('a stale lease cannot release a newer connection with the same id', async () => {
    const pool = new RealtimeConnectionPool();
    const old = pool.acquire('k', { url: server.url }, 'ws');
    pool.destroy();
    const fresh = pool.acquire('k', { url: server.url }, 'ws');
    old.release();
    assert.equal(pool.users('k'), 1);
    fresh.release();
    pool.destroy();
  });

  test('a connection that gave up is reconnected by the next user', async () => {
    const gone = await startWsServer();
    const url = gone.url;
    await gone.close();
    const pool = new RealtimeConnectionPool();
    const config = { url, reconnectAttempts: 1, reconnectInterval: 1 };
    await assert.rejects(pool.getConnection('g', config, 'ws'), (e) => e.code === 'gave_up');
    assert.equal(pool.users('g'), 0, 'a failed getConnection keeps no reference');
    const lease = pool.acquire('g', config, 'ws');
    assert.equal(lease.connection.state, 'connecting', 'connect() was called again');
    lease.release();
    pool.destroy();
  });

  test('one id cannot be two kinds of connection', () => {
    const pool = new RealtimeConnectionPool();
    const lease = pool.acquire('same', { url: server.url }, 'ws');
    assert.throws(() => pool.acquire('same', { url: 'http://127.0.0.1:1/' }, 'sse'), TypeError);
    lease.release();
    pool.destroy();
  });
});

test('a store\'s sends before its connection is acquired meet the one send queue, C++\'s', async (t) => {
  const { ConnectionStore } = await import('../../dist/connection-store.js');
  const received = [];
  const server = await startWsServer((socket) => socket.on('message', (d) => received.push(JSON.parse(String(d)))));
  t.after(() => server.close());
  const pool = new RealtimeConnectionPool();
  t.after(() => pool.destroy());
  const store = new ConnectionStore('ws', { url: server.url, messageQueueSize: 3, heartbeatInterval: 0 }, { pool });
  const errors = [];
  store.onError((e) => errors.push(e.code));
  for (let i = 0; i < 5; i++) assert.equal(store.send({ type: 'n', payload: i }), false);
  assert.equal(store.connection, null, 'nothing acquired yet');
  const off = store.subscribe(() => {});  // the first listener acquires the connection
  t.after(off);
  const { stats } = store.connection;
  assert.equal(stats.dropped, 2, 'messageQueueSize 3: the C++ queue dropped the two oldest');
  assert.equal(stats.queueDepth, 3);
  await server.nextConnection(1);
  const deadline = Date.now() + 10_000;
  while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(received.map((m) => m.payload), [2, 3, 4]);
  assert.deepEqual(errors, [], 'a drop, not an error (as for any send)');
});

test('the pool timer never keeps a Node process alive; acquire needs the loaded runtime', async () => {
  const dist = new URL('../../dist/index.js', import.meta.url).href;
  const script = `
    const { RealtimeConnectionPool, loadRuntime } = await import(${JSON.stringify(dist)});
    const pool = new RealtimeConnectionPool();
    try { pool.acquire('x', { url: 'ws://127.0.0.1:1' }); } catch (e) { console.log(e.code); }
    await loadRuntime();
    // An invalid URL: no socket keeps the process alive, only the pool's health-check timer could.
    const lease = pool.acquire('x', { url: 'not a url' });
    console.log(pool.size, pool.users('x'));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    timeout: 15_000,  // a timer that kept it alive would hang it for the 60 s health check
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  assert.deepEqual(out.trim().split('\n'), ['not_loaded', '1 1']);
});
