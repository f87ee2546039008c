import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { WebSocket as WsWebSocket } from 'ws';
import { RealtimeError, WebSocketManager, liveHandles, loadRuntime } from '../../dist/index.js';
import {
  collect, envelope, framesUntilGood, nextEvent, nextServerMessage, startWsServer, untilState,
} from './helpers.mjs';

before(() => loadRuntime());

describe('WebSocketManager against a real ws server', () => {
  test('connects, sends, and receives by type', async (t) => {
    const server = await startWsServer((socket) => {
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type === 'hello') socket.send(envelope('greeting', { to: msg.payload.name }));
        socket.send(envelope('other', 1));
      });
    });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });
    t.after(() => m.dispose());
    const greetings = collect(m, 'greeting', 1);
    const others = collect(m, 'other', 1);
    await m.connect();
    assert.equal(m.isConnected, true);
    assert.equal(m.readyState, 1);
    const serverSocket = await server.nextConnection(1);
    const seen = nextServerMessage(serverSocket);
    assert.equal(m.send({ type: 'hello', payload: { name: 'ada' } }), true);
    const wire = await seen;
    assert.equal(wire.type, 'hello');
    assert.deepEqual(wire.payload, { name: 'ada' });
    assert.match(wire.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(Math.abs(wire.timestamp - Date.now()) < 60_000, 'timestamp is epoch milliseconds');
    assert.deepEqual(await greetings.done, [{ to: 'ada' }]);
    assert.deepEqual(await others.done, [1], "'other' reaches the 'other' subscribers, not 'greeting'");
  });

  test('messages sent while disconnected are queued and flushed in order', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });
    t.after(() => m.dispose());
    for (let i = 0; i < 10; i++) assert.equal(m.send({ type: 'n', payload: i }), false);
    const received = [];
    const all = server.nextConnection(1).then(
      (s) => new Promise((resolve) => s.on('message', (d) => {
        received.push(JSON.parse(String(d)).payload);
        if (received.length === 10) resolve();
      })),
    );
    await m.connect();
    await all;
    assert.deepEqual(received, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a full offline queue drops the oldest with a drop event', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, messageQueueSize: 3 });
    t.after(() => m.dispose());
    await loadRuntime();
    const drops = [];
    m.on('drop', (d) => drops.push(d));
    for (let i = 0; i < 5; i++) m.send({ type: 'n', payload: i });
    const received = [];
    const all = server.nextConnection(1).then(
      (s) => new Promise((resolve) => s.on('message', (d) => {
        received.push(JSON.parse(String(d)).payload);
        if (received.length === 3) resolve();
      })),
    );
    await m.connect();
    await all;
    assert.deepEqual(received, [2, 3, 4]);
    assert.deepEqual(drops, [{ reason: 'queue_full', count: 1 }, { reason: 'queue_full', count: 1 }]);
    assert.equal(m.stats.dropped, 2);
  });

  test('server drops the socket: reconnects with backoff and subscriptions still deliver', async (t) => {
    const server = await startWsServer((socket) => socket.send(envelope('welcome', server.connections.length)));
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, reconnectInterval: 20 });
    t.after(() => m.dispose());
    const welcomes = collect(m, 'welcome', 2);
    const states = [];
    m.on('state', (e) => states.push(e.newState));
    await m.connect();
    (await server.nextConnection(1)).terminate();
    await server.nextConnection(2);
    assert.deepEqual(await welcomes.done, [1, 2]);
    assert.deepEqual(states.slice(0, 4), ['connecting', 'open', 'reconnecting', 'open']);
    assert.equal(m.stats.reconnects, 1);
  });

  test('server gone for good: gives up after reconnectAttempts with an error and closed state', async (t) => {
    const server = await startWsServer();
    const m = new WebSocketManager({ url: server.url, reconnectInterval: 5, reconnectAttempts: 3 });
    t.after(() => m.dispose());
    await m.connect();
    let reconnecting = 0;
    m.on('state', (e) => e.newState === 'reconnecting' && reconnecting++);
    const gaveUp = nextEvent(m, 'error', (e) => e.code === 'gave_up');
    await server.close();
    const err = await gaveUp;
    assert.ok(err instanceof RealtimeError);
    assert.match(err.message, /3 attempts/);
    assert.equal(m.state, 'closed');
    assert.equal(m.readyState, 3);
    assert.equal(reconnecting, 1, 'one reconnecting phase spanning the attempts');
  });

  test('connect() to a server that never answers rejects with gave_up', async (t) => {
    const server = await startWsServer();
    const url = server.url;
    await server.close();
    const m = new WebSocketManager({ url, reconnectInterval: 1, reconnectAttempts: 2 });
    t.after(() => m.dispose());
    await assert.rejects(m.connect(), (e) => e instanceof RealtimeError && e.code === 'gave_up');
  });

  test('an invalid URL is an error, not a retry loop', async (t) => {
    const m = new WebSocketManager({ url: 'not a url' });
    t.after(() => m.dispose());
    await assert.rejects(m.connect(), (e) => e.code === 'invalid_url');
    assert.equal(m.state, 'closed');
  });

  test('disconnect() closes with 1000 and does not reconnect', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, reconnectInterval: 1 });
    t.after(() => m.dispose());
    await m.connect();
    const socket = await server.nextConnection(1);
    const closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
    const clientClose = nextEvent(m, 'close');
    m.disconnect();
    assert.equal(await closed, 1000);
    assert.deepEqual(await clientClose, { code: 1000, reason: 'Normal closure', wasClean: true });
    await untilState(m, 'closed');
    // Nothing pending: the native client is the only live handle (no timer, no socket).
    assert.equal(liveHandles(), 1);
    assert.equal(server.connections.length, 1);
  });

  test('malformed frames give one error each and the next good message still arrives', async (t) => {
    const frames = [
      'not json',
      JSON.stringify({ payload: 1 }),
      JSON.stringify([{ type: 'x' }]),
      JSON.stringify({ type: 42 }),
      JSON.stringify({ type: 'big', payload: 'x'.repeat(2 * 1024 * 1024) }),
      Buffer.from([1, 2, 3]),
      envelope('good', { ok: true }),
    ];
    const { manager: m, server, errors, good } = await framesUntilGood(t, frames, 'good');
    assert.deepEqual(good, [{ ok: true }]);
    assert.deepEqual(errors, [
      'not_json', 'type_missing', 'not_object', 'type_not_string', 'too_large', 'binary_frame',
    ]);
    assert.equal(m.state, 'open');
    assert.equal(server.connections.length, 1);
  });

  test('the server observes heartbeat pings', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, heartbeatInterval: 30 });
    t.after(() => m.dispose());
    await m.connect();
    const socket = await server.nextConnection(1);
    socket.on('message', (d) => {
      if (JSON.parse(String(d)).type === 'ping') socket.send(envelope('pong', {}));
    });
    const ping = await nextServerMessage(socket, (msg) => msg.type === 'ping');
    assert.deepEqual(ping.payload, {});
    await nextServerMessage(socket, (msg) => msg.type === 'ping');
    assert.ok(m.stats.rtt >= 0, 'rtt measured from ping to pong');
    assert.equal(m.state, 'open');
  });

  test('a server that goes silent is detected and the client reconnects', async (t) => {
    const server = await startWsServer();  // accepts, never sends anything
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, heartbeatInterval: 40, reconnectInterval: 10 });
    t.after(() => m.dispose());
    const timeout = nextEvent(m, 'error', (e) => e.code === 'heartbeat_timeout');
    await m.connect();
    await timeout;
    await server.nextConnection(2);
    await untilState(m, 'open');
    assert.equal(m.stats.reconnects, 1);
  });

  test('a WebSocket constructor passed in config is used', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    let constructed = 0;
    class Counting extends WsWebSocket {
      constructor(...args) {
        super(...args);
        constructed++;
      }
    }
    const m = new WebSocketManager({ url: server.url, WebSocket: Counting });
    t.after(() => m.dispose());
    await m.connect();
    assert.equal(constructed, 1);
  });

  test('a listener that throws does not break delivery', async (t) => {
    const server = await startWsServer((s) => { s.send(envelope('a', 1)); s.send(envelope('a', 2)); });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });
    t.after(() => m.dispose());
    const original = console.error;
    console.error = () => {};
    t.after(() => { console.error = original; });
    m.subscribe('a', () => { throw new Error('boom'); });
    const got = collect(m, 'a', 2);
    await m.connect();
    assert.deepEqual(await got.done, [1, 2]);
  });

  test('1,000 connect/disconnect cycles leave no live handles', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const reused = new WebSocketManager({ url: server.url });
    for (let i = 0; i < 500; i++) {
      await reused.connect();
      reused.disconnect();
      await untilState(reused, 'closed');
    }
    reused.dispose();
    for (let i = 0; i < 500; i++) {
      const m = new WebSocketManager({ url: server.url });
      await m.connect();
      m.dispose();
    }
    await new Promise((resolve) => setImmediate(resolve));  // deferred deletes run
    assert.equal(liveHandles(), 0);
    assert.equal(server.connections.length, 1000);
  });
});

test('works under plain node with no flags (the ws fallback)', async (t) => {
  const { spawn } = await import('node:child_process');
  const server = await startWsServer((socket) => socket.send(envelope('hi', 'plain node')));
  t.after(() => server.close());
  const script = `
    import { WebSocketManager } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    if (typeof globalThis.WebSocket !== 'undefined') throw new Error('expected no global WebSocket');
    const m = new WebSocketManager({ url: ${JSON.stringify(server.url)} });
    m.subscribe('hi', (p) => { console.log(p); m.dispose(); });
    await m.connect();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    execArgv: [], env: { ...process.env, NODE_OPTIONS: '' }, cwd: new URL('../..', import.meta.url),
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  assert.equal(out.trim(), 'plain node');
});

test('with no WebSocket implementation, connect() says to install ws or pass config WebSocket', async (t) => {
  const { cpSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { run } = await import('./process-helpers.mjs');
  // The package outside this checkout, where `ws` cannot be resolved (no node_modules above it).
  const dir = mkdtempSync(join(tmpdir(), 'rt-no-ws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(new URL('../../dist', import.meta.url), join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const script = `
    delete globalThis.WebSocket;  // Node 22+ has one; this is Node 20 without ws
    const { SecureWebSocketManager, WebSocketManager } = await import('./dist/index.js');
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = b64({ alg: 'none' }) + '.' + b64({ exp: Math.floor(Date.now() / 1000) + 3600 }) + '.sig';
    const results = [];
    for (const m of [
      new WebSocketManager({ url: 'ws://127.0.0.1:9' }),
      new SecureWebSocketManager({ url: 'ws://127.0.0.1:9', auth: { tokenProvider: async () => jwt } }),
    ]) {
      const errors = [];
      m.on('error', (e) => errors.push(e.code));
      try {
        await m.connect();
        results.push('connected?');
      } catch (e) {
        results.push({ code: e.code, message: e.message, errors, state: m.state });
      }
      m.dispose();
    }
    console.log(JSON.stringify(results));`;
  const out = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir, env: { ...process.env, NODE_OPTIONS: '', NODE_PATH: '' }, timeoutMs: 30_000,
    what: 'plain node without ws',
  });
  const results = JSON.parse(out.trim().split('\n').at(-1));
  assert.equal(results.length, 2, out);
  for (const [k, result] of results.entries()) {
    const which = ['WebSocketManager', 'SecureWebSocketManager'][k];
    assert.equal(result.code, 'no_websocket', `${which}: ${out}`);
    assert.match(result.message, /npm install ws/);
    assert.match(result.message, /config `WebSocket`/);
    assert.deepEqual(result.errors, ['no_websocket'], `${which}: one error event, not invalid_url`);
    assert.equal(result.state, 'closed');
  }
});
