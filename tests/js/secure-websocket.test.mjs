// SecureWebSocketManager against real ws servers: each token transport, refresh before expiry,
// a fresh token on every reconnect, one retry on 4001/4401, malformed tokens, and no token in any
// error, log line or event.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { WebSocket as WsWebSocket } from 'ws';
import { RealtimeError, SecureWebSocketManager, loadRuntime } from '../../dist/index.js';
import { nextEvent, untilState } from './helpers.mjs';
import {
  captureConsole, makeJwt, recordEvents, startAuthServer, tokenSource, untilMessages,
} from './security-helpers.mjs';

before(() => loadRuntime());

const ALL_EVENTS = ['state', 'error', 'close', 'drop', 'message', 'auth'];

function secure(t, url, auth, extra = {}) {
  const m = new SecureWebSocketManager({ url, heartbeatInterval: 0, reconnectInterval: 10, ...extra, auth });
  t.after(() => m.dispose());
  return m;
}

describe('SecureWebSocketManager', () => {
  test("'protocol' (default): the token is a subprotocol entry, the server selects realtime.v1", async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, server.url, { tokenProvider: tokens.provider, refreshThreshold: 1000, maxRetries: 0 });
    assert.equal(m.tokenTransport, 'protocol');
    await m.connect();
    const conn = await server.connection(1);
    assert.deepEqual(conn.offered, ['realtime.v1', `auth.${tokens.issued[0]}`]);
    assert.equal(conn.selected, 'realtime.v1', 'the server echoes a protocol of ours, not the token');
    assert.equal(conn.url.search, '', 'nothing in the URL');
    assert.equal(m.state, 'open');
    assert.ok(m.refreshScheduledAt > Date.now(), 'a refresh is scheduled before expiry');
  });

  test('your own protocols are offered first; the token is appended', async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, server.url, { tokenProvider: tokens.provider }, { protocols: ['chat.v2', 'realtime.v1'] });
    await m.connect();
    const conn = await server.connection(1);
    assert.deepEqual(conn.offered, ['chat.v2', 'realtime.v1', `auth.${tokens.issued[0]}`]);
  });

  test('refreshes refreshThreshold before expiry, and the reconnect uses the new token', async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource(1500);  // lives 1.5 s, refreshed 1 s before: at ~0.5 s
    const m = secure(t, server.url, { tokenProvider: tokens.provider, refreshThreshold: 1000 });
    const t0 = Date.now();
    await m.connect();
    const due = m.refreshScheduledAt;
    assert.ok(due - t0 >= 400 && due - t0 <= 600, `refresh due after ${due - t0} ms`);
    const refreshed = nextEvent(m, 'auth', (e) => e.phase === 'refreshed');
    await tokens.calls(2);
    const { expiresAt } = await refreshed;
    assert.ok(Date.now() - t0 >= 400, 'not before it was due');
    assert.ok(expiresAt > Date.now() + 1000);
    (await server.connection(1)).socket.terminate();  // network drop: reconnect
    const second = await server.connection(2);
    assert.equal(second.protocolToken, tokens.issued[1]);
    assert.notEqual(tokens.issued[0], tokens.issued[1]);
    await untilState(m, 'open');
  });

  test('an expired token: the reconnect waits for the refresh, never opens with the old one', async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource(400);
    const m = secure(t, server.url, { tokenProvider: tokens.provider, refreshThreshold: 0 });
    await m.connect();
    const first = await server.connection(1);
    // The refresh (due at expiry) hangs until we open the gate.
    let openGate;
    tokens.gate = new Promise((resolve) => (openGate = resolve));
    await tokens.calls(2);
    const waiting = nextEvent(m, 'auth', (e) => e.phase === 'waiting');
    first.socket.terminate();
    const w = await waiting;  // the native reconnect asked for a socket: it is held
    assert.equal(w.reason, 'expired');
    assert.equal(server.connections.length, 1, 'no socket opened with the expired token');
    const gateOpenedAt = Date.now();
    tokens.gate = null;
    openGate();
    const second = await server.connection(2);
    assert.equal(second.protocolToken, tokens.issued[1]);
    assert.ok(second.at >= gateOpenedAt);
    for (const c of server.connections) {
      const exp = JSON.parse(Buffer.from(c.protocolToken.split('.')[1], 'base64url')).exp * 1000;
      assert.ok(exp > c.at, 'every connection carried a token valid when it opened');
    }
  });

  test('4401: ONE refresh and retry, then an unauthorized error and closed (no loop)', async (t) => {
    const server = await startAuthServer((conn) => conn.socket.close(4401, 'token rejected'));
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, server.url, { tokenProvider: tokens.provider });
    const states = [];
    m.on('state', (e) => states.push(e.newState));
    const unauthorized = nextEvent(m, 'error', (e) => e.code === 'unauthorized');
    await m.connect();  // the socket opened before the server rejected it
    const err = await unauthorized;
    assert.ok(err instanceof RealtimeError);
    await untilState(m, 'closed');
    assert.equal(tokens.issued.length, 2, 'the initial token and one refresh');
    assert.equal(server.connections.length, 2);
    assert.equal(server.connections[0].protocolToken, tokens.issued[0]);
    assert.equal(server.connections[1].protocolToken, tokens.issued[1]);
    assert.deepEqual(states, ['connecting', 'open', 'reconnecting', 'open', 'closed']);
    assert.equal(m.refreshScheduledAt, null, 'no refresh timer left behind');
  });

  test('4001 once, then accepted with the refreshed token', async (t) => {
    const server = await startAuthServer((conn) => {
      if (server.connections.length === 1) conn.socket.close(4001, 'expired');
      else conn.socket.send(JSON.stringify({ type: 'welcome', payload: conn.protocolToken.length }));
    });
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, server.url, { tokenProvider: tokens.provider });
    const welcome = new Promise((resolve) => m.subscribe('welcome', resolve));
    const errors = [];
    m.on('error', (e) => errors.push(e.code));
    await m.connect();
    await welcome;
    assert.equal(server.connections[1].protocolToken, tokens.issued[1]);
    assert.equal(m.state, 'open');
    assert.deepEqual(errors, []);
  });

  test("'message': auth goes first on every open, before the queued messages, in order", async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, server.url, { tokenProvider: tokens.provider, transport: 'message' });
    for (let i = 0; i < 5; i++) m.send({ type: 'n', payload: i });  // queued offline
    await m.connect();
    m.send({ type: 'n', payload: 5 });
    const first = await server.connection(1);
    const got = await untilMessages(first, 7);
    assert.deepEqual(got[0].type, 'auth');
    assert.deepEqual(got[0].payload, { token: tokens.issued[0] });
    assert.deepEqual(got.slice(1).map((x) => x.payload), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(first.offered, [], 'no subprotocol');
    // Reconnect: auth first again; messages queued meanwhile follow it.
    first.socket.terminate();
    await untilState(m, 'reconnecting');
    m.send({ type: 'n', payload: 6 });
    const second = await server.connection(2);
    const again = await untilMessages(second, 2);
    assert.equal(again[0].type, 'auth');
    assert.deepEqual(again[1].payload, 6);
  });

  test("'message': a refreshed token is also sent on the open connection", async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource(600);
    const m = secure(t, server.url, { tokenProvider: tokens.provider, transport: 'message', refreshThreshold: 400 });
    await m.connect();
    const conn = await server.connection(1);
    const got = await untilMessages(conn, 2);
    assert.deepEqual(got.map((x) => [x.type, x.payload.token]), [
      ['auth', tokens.issued[0]], ['auth', tokens.issued[1]],
    ]);
  });

  test("'query': token in the query string, other parameters kept", async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, `${server.url}/socket?room=7`, { tokenProvider: tokens.provider, transport: 'query' });
    await m.connect();
    const conn = await server.connection(1);
    assert.equal(conn.url.pathname, '/socket');
    assert.equal(conn.url.searchParams.get('room'), '7');
    assert.equal(conn.queryToken, tokens.issued[0]);
    assert.deepEqual(conn.offered, []);
  });

  test('a malformed token: error malformed_token, connect() rejects, no socket opened', async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const bad = [
      'not-a-jwt',
      'a.b',
      `${Buffer.from('{"alg":"none"}').toString('base64')}.e30.`,  // '=' padding: not base64url here
      `${makeJwt().split('.')[0]}.${Buffer.from('[1]').toString('base64url')}.x`,  // payload not an object
      makeJwt().replace(/\.[^.]*\./, '.%%%.'),
    ];
    for (const token of bad) {
      const m = secure(t, server.url, { tokenProvider: async () => token, maxRetries: 0 });
      const errors = [];
      m.on('error', (e) => errors.push(e));
      await assert.rejects(m.connect(), (e) => e instanceof RealtimeError && e.code === 'malformed_token');
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, 'malformed_token');
      assert.ok(!errors[0].message.includes(token), 'the token is not echoed');
      assert.equal(m.state, 'closed');
    }
    const expired = secure(t, server.url, { tokenProvider: async () => makeJwt({ expMs: Date.now() - 1000 }) });
    await assert.rejects(expired.connect(), (e) => e.code === 'token_expired');
    assert.equal(server.connections.length, 0);
  });

  test('a failing tokenProvider is retried maxRetries times, then token_refresh_failed', async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const secret = makeJwt();
    let calls = 0;
    const m = secure(t, server.url, {
      tokenProvider: async () => {
        calls++;
        throw new Error(`auth server said no to ${secret}`);
      },
      maxRetries: 2,
    }, { reconnectInterval: 1 });
    const err = await m.connect().catch((e) => e);
    assert.equal(err.code, 'token_refresh_failed');
    assert.equal(calls, 3);
    assert.match(err.message, /3 time\(s\)/);
    assert.ok(!err.message.includes(secret), 'a token inside the provider error is redacted');
    assert.equal(server.connections.length, 0);
  });

  test('disconnect() and dispose() clear the refresh timer; it is unref\'d while it runs', async (t) => {
    const server = await startAuthServer();
    t.after(() => server.close());
    const tokens = tokenSource(3_600_000);
    const m = secure(t, server.url, { tokenProvider: tokens.provider, refreshThreshold: 1000 });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await m.connect();
    assert.ok(m.refreshScheduledAt !== null);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(timersAfter, timersBefore, 'the refresh timer keeps no process alive');
    m.disconnect();
    assert.equal(m.refreshScheduledAt, null);
    await untilState(m, 'closed');
    await m.connect();  // the still-valid token is reused and its refresh rescheduled
    assert.equal(tokens.issued.length, 1);
    assert.ok(m.refreshScheduledAt !== null);
    m.dispose();
    assert.equal(m.refreshScheduledAt, null);
  });

  test('a clean close 1000 from the server: closed, the refresh timer stopped, no reconnect', async (t) => {
    const server = await startAuthServer((conn) => conn.socket.close(1000, 'bye'));
    t.after(() => server.close());
    const tokens = tokenSource();
    const m = secure(t, server.url, { tokenProvider: tokens.provider });
    await m.connect();
    await untilState(m, 'closed');
    assert.equal(m.refreshScheduledAt, null);
    assert.equal(tokens.issued.length, 1);
    assert.equal(server.connections.length, 1);
  });

  for (const transport of ['protocol', 'message', 'query']) {
    test(`the token never appears in errors, logs or events ('${transport}')`, async (t) => {
      const server = await startAuthServer((conn) => {
        const n = server.connections.length;
        if (n === 1) conn.socket.terminate();          // network drop → reconnect
        else if (n === 2) conn.socket.close(4401, 'rejected');  // → one refresh and retry
        else conn.socket.close(4401, 'rejected');      // → unauthorized
      });
      t.after(() => server.close());
      const captured = captureConsole();
      t.after(captured.restore);
      const tokens = tokenSource();
      const m = secure(t, server.url, { tokenProvider: tokens.provider, transport }, {
        WebSocket: WsWebSocket,
      });
      const seen = recordEvents(m, ALL_EVENTS);
      m.subscribe('anything', () => {});
      const done = nextEvent(m, 'error', (e) => e.code === 'unauthorized');
      await m.connect().catch(() => {});
      await done;
      await untilState(m, 'closed');
      // A provider failure, a malformed token and an invalid URL, for good measure.
      const failing = secure(t, 'ws://[bad url', { tokenProvider: tokens.provider, transport });
      const failingSeen = recordEvents(failing, ALL_EVENTS);
      await failing.connect().catch((e) => failingSeen.push(`${e.message} ${e.stack}`));
      captured.restore();
      const everything = [...seen, ...failingSeen, ...captured.lines].join('\n');
      assert.ok(tokens.issued.length >= 3);
      for (const token of tokens.issued) {
        assert.ok(!everything.includes(token), 'a token leaked');
        assert.ok(!everything.includes(token.split('.')[1]), 'a token payload leaked');
      }
      assert.match(everything, /unauthorized/);
    });
  }
});
