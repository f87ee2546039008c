// Robust connections against hostile servers (issue 9): no reconnect storm from a server that
// accepts and drops, no hang on a black hole, URL functions and failover lists, Infinity, and
// the SSE BOM rule — each against a real server on an ephemeral port.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { before, describe, test } from 'node:test';

import { ServerSentEventsManager, WebSocketManager, loadRuntime } from '../../dist/index.js';
import { SSE_HEADERS, collect, nextEvent, startHttpServer, startWsServer } from './helpers.mjs';

before(() => loadRuntime());

/** A TCP server that accepts and never answers (the HTTP upgrade or request hangs). */
async function startBlackHole() {
  const sockets = new Set();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    get accepted() { return accepted; },
    get open() { return sockets.size; },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port with nothing listening (connection refused). */
async function deadPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const errorsOf = (manager) => {
  const codes = [];
  manager.on('error', (e) => codes.push(e.code));
  return codes;
};

describe('WebSocketManager against hostile servers', () => {
  for (const [how, drop] of [
    ['closes with 1011 at once', (socket) => socket.close(1011, 'try again')],
    ['drops the TCP connection 5 ms after the handshake', (socket) => setTimeout(() => socket.terminate(), 5)],
  ]) {
    test(`a server that accepts and ${how}: at most reconnectAttempts + 1 connections, then gave_up`, async (t) => {
      const server = await startWsServer(drop);
      t.after(() => server.close());
      const m = new WebSocketManager({ url: server.url, reconnectAttempts: 3, reconnectInterval: 20, maxReconnectInterval: 40 });
      t.after(() => m.dispose());
      const errors = errorsOf(m);
      const opened = [];
      m.on('state', ({ newState }) => newState === 'open' && opened.push(1));
      const closed = nextEvent(m, 'state', (e) => e.newState === 'closed');
      await m.connect();  // the first open resolves it
      await closed;
      assert.equal(server.connections.length, 4, `${server.connections.length} connections`);
      assert.equal(opened.length, 4);
      assert.deepEqual(errors, ['gave_up']);
      assert.equal(m.state, 'closed');
    });
  }

  test('a black hole: connect() settles within connectTimeout × (attempts + 1) plus the backoff', async (t) => {
    const hole = await startBlackHole();
    t.after(() => hole.close());
    const m = new WebSocketManager({
      url: `ws://127.0.0.1:${hole.port}/`, connectTimeout: 300, reconnectAttempts: 2, reconnectInterval: 20,
    });
    t.after(() => m.dispose());
    const errors = errorsOf(m);
    const started = Date.now();
    await assert.rejects(m.connect(), (e) => e.code === 'gave_up');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 300 * 3 + 20 + 40 + 500, `settled after ${elapsed} ms`);
    assert.ok(elapsed >= 300 * 3, `settled after ${elapsed} ms: sooner than three timeouts`);
    assert.deepEqual(errors, ['connect_timeout', 'connect_timeout', 'connect_timeout', 'gave_up']);
    assert.equal(hole.accepted, 3);
  });

  test('a delay longer than a JS timer takes (2^31 - 1 ms) waits: no timer that fires at once, again and again', async (t) => {
    // setTimeout fires at once for a longer delay (Node after 1 ms, browsers at 0): each native
    // timer is armed in steps of at most 2^31 - 1 ms (emscripten/host_support.cpp Timer).
    const port = await deadPort();
    const delays = [];
    const original = globalThis.setTimeout;
    globalThis.setTimeout = (fn, ms, ...a) => (delays.push(ms), original(fn, ms, ...a));
    t.after(() => (globalThis.setTimeout = original));
    const m = new WebSocketManager({
      url: `ws://127.0.0.1:${port}/`, reconnectInterval: 3e9, maxReconnectInterval: 1e12, reconnectJitter: false,
      connectTimeout: 1e12,
    });
    t.after(() => m.dispose());
    m.on('error', () => {});
    const reconnecting = nextEvent(m, 'state', (e) => e.newState === 'reconnecting');
    m.connect().catch(() => {});
    await reconnecting;
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.setTimeout = original;
    assert.ok(delays.every((ms) => ms <= 0x7fffffff), `delays ${delays.join(', ')}`);
    assert.ok(delays.includes(0x7fffffff), `the reconnect's first step: ${delays.join(', ')}`);
    assert.equal(m.state, 'reconnecting');
    assert.equal(m.stats.reconnects, 0, 'no attempt made');
  });

  test('reconnectAttempts: Infinity keeps trying (it used to close at once)', async (t) => {
    let refused = 0;
    const server = await startWsServer((socket) => {
      if (refused < 8) {
        refused++;
        socket.terminate();
      } else {
        socket.send(JSON.stringify({ type: 'welcome', payload: { after: refused } }));
      }
    });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, reconnectAttempts: Infinity, reconnectInterval: 5, maxReconnectInterval: 20 });
    t.after(() => m.dispose());
    const welcome = collect(m, 'welcome', 1);
    m.connect().catch(() => {});
    assert.deepEqual(await welcome.done, [{ after: 8 }]);
    assert.equal(server.connections.length, 9);
    assert.equal(m.state, 'open');
  });

  test('a url function is called before every attempt (async, a fresh URL each time)', async (t) => {
    const server = await startWsServer((socket, request) => {
      socket.send(JSON.stringify({ type: 'hello', payload: request.url }));
      if (request.url === '/?sig=1') setTimeout(() => socket.terminate(), 5);
    });
    t.after(() => server.close());
    let calls = 0;
    const m = new WebSocketManager({
      url: async () => `${server.url}/?sig=${++calls}`,
      reconnectInterval: 10,
    });
    t.after(() => m.dispose());
    const hellos = collect(m, 'hello', 2);
    await m.connect();
    assert.deepEqual(await hellos.done, ['/?sig=1', '/?sig=2']);
    assert.equal(calls, 2);
  });

  test('a url function that throws is a failed attempt with a clear error, then it retries', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    let calls = 0;
    const m = new WebSocketManager({
      url: () => {
        if (++calls === 1) throw new Error('signing service down');
        return server.url;
      },
      reconnectInterval: 10,
    });
    t.after(() => m.dispose());
    const failure = nextEvent(m, 'error');
    await m.connect();
    const err = await failure;
    assert.equal(err.code, 'connect_failed');
    assert.match(err.message, /signing service down/);
    assert.equal(calls, 2);
  });

  test('a failover list reaches the live URL on the next attempt and stays on it', async (t) => {
    const dead = await deadPort();
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({
      url: [`ws://127.0.0.1:${dead}/`, server.url], reconnectInterval: 10, minUptime: 0,
    });
    t.after(() => m.dispose());
    const errors = errorsOf(m);
    await m.connect();
    assert.equal(server.connections.length, 1);
    assert.deepEqual(errors, []);  // the refused attempt is a reconnect, not an error event
    // It served (minUptime 0: any open counts): after a drop it comes back to the same URL.
    const reopened = nextEvent(m, 'state', (e) => e.newState === 'open');
    server.connections[0].terminate();
    await reopened;
    assert.equal(server.connections.length, 2);
  });

  test('a failover list also moves on when the server is killed mid-session', async (t) => {
    const a = await startWsServer();
    const b = await startWsServer((socket) => socket.send(JSON.stringify({ type: 'where', payload: 'b' })));
    t.after(() => b.close());
    const m = new WebSocketManager({ url: [a.url, b.url], reconnectInterval: 10 });
    t.after(() => m.dispose());
    await m.connect();
    const where = collect(m, 'where', 1);
    await a.close();  // a is gone for good: its URL refuses, the next attempt goes to b
    assert.deepEqual(await where.done, ['b']);
  });
});

describe('ServerSentEventsManager against hostile servers', () => {
  for (const transport of ['fetch', 'eventsource']) {
    const extra = transport === 'eventsource' ? { EventSource: globalThis.EventSource } : {};
    test(`${transport}: no response headers in time is connect_timeout, then gave_up`, async (t) => {
      const hole = await startBlackHole();
      t.after(() => hole.close());
      const m = new ServerSentEventsManager({
        url: `http://127.0.0.1:${hole.port}/stream`, transport, ...extra,
        connectTimeout: 300, reconnectAttempts: 1, reconnectInterval: 20,
      });
      t.after(() => m.dispose());
      const errors = errorsOf(m);
      const started = Date.now();
      await assert.rejects(m.connect(), (e) => e.code === 'gave_up');
      assert.ok(Date.now() - started < 300 * 2 + 20 + 500);
      assert.deepEqual(errors, ['connect_timeout', 'connect_timeout', 'gave_up']);
    });

    test(`${transport}: a value's leading U+FEFF is kept (only the stream's first BOM goes)`, async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end('\uFEFFdata: \uFEFFx\n\nevent: named\ndata: \uFEFF{"a":1}\nid: \uFEFF7\n\n');
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, transport, reconnectAttempts: 0, ...extra });
      t.after(() => m.dispose());
      const plain = collect(m, 'message', 1);
      const named = collect(m, 'named', 1);
      m.connect().catch(() => {});
      const [first] = await plain.done;
      assert.equal(first.data, '\uFEFFx');
      const [second] = await named.done;
      assert.equal(second.data, '\uFEFF{"a":1}');  // not JSON with the BOM: the raw string
      assert.equal(second.id, '\uFEFF7');
    });
  }

  test('fetch: a failover list and a url function', async (t) => {
    const dead = await deadPort();
    const server = await startHttpServer((req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.end(`data: ${JSON.stringify(req.url)}\n\n`);
    });
    t.after(() => server.close());
    const listed = new ServerSentEventsManager({
      url: [`http://127.0.0.1:${dead}/`, `${server.url}/b`], transport: 'fetch', reconnectInterval: 10,
    });
    t.after(() => listed.dispose());
    const fromList = collect(listed, 'message', 1);
    listed.connect().catch(() => {});
    assert.deepEqual((await fromList.done).map((e) => e.data), ['/b']);

    let n = 0;
    const dynamic = new ServerSentEventsManager({
      url: () => Promise.resolve(`${server.url}/s${++n}`), transport: 'fetch', reconnectInterval: 10,
    });
    t.after(() => dynamic.dispose());
    const fromFn = collect(dynamic, 'message', 2);
    dynamic.connect().catch(() => {});
    assert.deepEqual((await fromFn.done).map((e) => e.data), ['/s1', '/s2']);
  });
});
