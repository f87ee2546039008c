// The React hooks against real ws servers, under jsdom with React Testing Library.
import 'global-jsdom/register';  // first: Testing Library binds `screen` to the document on import
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { h, renderProbe, serverClose, settle, transitions } from './react-helpers.mjs';
import { connectionKey } from '../../dist/connection-pool.js';
import {
  RealtimeConnectionPool, WebSocketManager, liveHandles, loadRuntime,
} from '../../dist/index.js';
import {
  RealtimeProvider, useConnectionState, useRealtimeContext, useWebSocket,
  useWebSocketSubscription,
} from '../../dist/react/index.js';
import { envelope, startWsServer } from './helpers.mjs';

before(() => loadRuntime());

const TIMEOUT = { timeout: 15_000 };

/** A pool that closes released connections quickly, and a wrapper that provides it. */
function quickPool() {
  const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
  return { pool, wrap: (el) => h(RealtimeProvider, { pool }, el) };
}

describe('useWebSocket', () => {
  test('disconnected → connecting → connected; subscribe, lastMessage, sendMessage; closes after unmount', TIMEOUT, async (t) => {
    const server = await startWsServer((socket) => socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'hello') socket.send(envelope('greeting', { to: msg.payload }));
    }));
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    const greetings = [];
    const probe = renderProbe(() => {
      const ws = useWebSocket({ url: server.url });
      const { subscribe } = ws;
      React.useEffect(() => subscribe('greeting', (p) => greetings.push(p)), [subscribe]);
      return ws;
    }, { wrap });
    const open = await probe.until((v) => v.connectionState === 'connected');
    assert.deepEqual(transitions(probe.values, 'connectionState'),
      ['disconnected', 'connecting', 'connected']);
    assert.equal(open.isConnected, true);
    assert.equal(open.lastMessage, null);
    assert.ok(open.manager instanceof WebSocketManager);
    assert.equal(open.manager, pool.peek(connectionKey('ws', { url: server.url })));
    assert.equal(open.sendMessage({ type: 'hello', payload: 'ada' }), true);
    const got = await probe.until((v) => v.lastMessage !== null);
    assert.equal(got.lastMessage.type, 'greeting');
    assert.deepEqual(got.lastMessage.payload, { to: 'ada' });
    assert.ok(Math.abs(got.lastMessage.timestamp - Date.now()) < 60_000);
    assert.deepEqual(greetings, [{ to: 'ada' }]);
    assert.equal(got.subscribe, open.subscribe, 'stable callbacks across renders');
    assert.equal(got.sendMessage, open.sendMessage);

    const closed = serverClose(server.connections[0]);
    probe.unmount();
    assert.equal(await closed, 1000, 'the server sees a normal close once the socket idles out');
    assert.equal(pool.size, 0);
    await settle();
    assert.equal(liveHandles(), 0);
    assert.equal(server.connections.length, 1);
  });

  test('a server that is gone ends in the error state', TIMEOUT, async (t) => {
    const gone = await startWsServer();
    await gone.close();
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const probe = renderProbe(
      () => useWebSocket({ url: gone.url, reconnectAttempts: 1, reconnectInterval: 1 }), { wrap });
    await probe.until((v) => v.connectionState === 'error');
    assert.deepEqual(transitions(probe.values, 'connectionState'),
      ['disconnected', 'connecting', 'error']);
    assert.equal(probe.current.isConnected, false);
    probe.unmount();
  });

  test('messages sent before the connection is acquired are sent once it opens', TIMEOUT, async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const received = new Promise((resolve) => server.nextConnection(1).then((s) =>
      s.on('message', (d) => resolve(JSON.parse(String(d))))));
    function Child({ send }) {
      React.useEffect(() => void send({ type: 'early', payload: 1 }), [send]);  // runs first
      return null;
    }
    function Parent() {
      const { sendMessage } = useWebSocket({ url: server.url });
      return h(Child, { send: sendMessage });
    }
    const view = render(wrap(h(Parent)));
    t.after(() => view.unmount());
    const msg = await received;
    assert.equal(msg.type, 'early');
    assert.equal(msg.payload, 1);
  });

  test('StrictMode: one connection in the end, and nothing leaks after unmount', TIMEOUT, async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    const probe = renderProbe(() => useWebSocket({ url: server.url }), { wrap, strict: true });
    await probe.until((v) => v.connectionState === 'connected');
    assert.equal(server.connections.length, 1);
    assert.equal(pool.users(connectionKey('ws', { url: server.url })), 1,
      'the double mount released its first reference');
    const closed = serverClose(server.connections[0]);
    probe.unmount();
    assert.equal(await closed, 1000);
    await settle();
    assert.equal(pool.size, 0);
    assert.equal(liveHandles(), 0);
    assert.equal(server.connections.length, 1);
  });

  test('two components on one URL share one socket; it closes after the last unmount', TIMEOUT, async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    const key = connectionKey('ws', { url: server.url });
    function Status({ name }) {
      const { connectionState } = useWebSocket({ url: server.url });
      return h('p', null, `${name}:${connectionState}`);
    }
    const view = render(wrap(h(React.Fragment, null, h(Status, { name: 'a' }), h(Status, { name: 'b' }))));
    await screen.findByText('a:connected');
    await screen.findByText('b:connected');
    assert.equal(server.connections.length, 1);
    assert.equal(pool.users(key), 2);
    let closedEarly = false;
    const closed = serverClose(server.connections[0]).then((code) => ((closedEarly = true), code));
    view.rerender(wrap(h(Status, { name: 'a' })));
    assert.equal(pool.users(key), 1);
    assert.equal(closedEarly, false);
    assert.equal(pool.peek(key).isConnected, true);
    view.unmount();
    assert.equal(await closed, 1000);
    assert.equal(server.connections.length, 1);
  });
});

describe('useWebSocketSubscription', () => {
  test('renders the latest payload; an inline handler always sees the latest render', TIMEOUT, async (t) => {
    const server = await startWsServer((socket) => socket.on('message', (d) => {
      const { type, payload } = JSON.parse(String(d));
      if (type === 'push') socket.send(envelope('price', payload));
    }));
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const calls = [];
    function Ticker({ tag }) {
      const { data, connectionState, error } = useWebSocketSubscription(
        { url: server.url }, 'price', (d) => calls.push(`${tag}:${d}`));
      return h('p', null, `${connectionState} ${data ?? '-'} ${error ? error.code : 'ok'}`);
    }
    const view = render(wrap(h(Ticker, { tag: 'a' })));
    t.after(() => view.unmount());
    await screen.findByText('connected - ok');
    const manager = pool.peek(connectionKey('ws', { url: server.url }));
    manager.send({ type: 'push', payload: 1 });
    await screen.findByText('connected 1 ok');
    view.rerender(wrap(h(Ticker, { tag: 'b' })));
    view.rerender(wrap(h(Ticker, { tag: 'c' })));
    manager.send({ type: 'push', payload: 2 });
    await screen.findByText('connected 2 ok');
    assert.deepEqual(calls, ['a:1', 'c:2'], 'each message once, to the handler of the latest render');
    assert.equal(server.connections.length, 1);
  });

  test('an error from the connection shows until the next message', TIMEOUT, async (t) => {
    const server = await startWsServer((socket) => socket.on('message', (d) => {
      const { payload } = JSON.parse(String(d));
      socket.send(payload === 'bad' ? 'not json' : envelope('price', payload));
    }));
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const probe = renderProbe(() => useWebSocketSubscription({ url: server.url }, 'price'), { wrap });
    t.after(() => probe.unmount());
    await probe.until((v) => v.connectionState === 'connected');
    const manager = pool.peek(connectionKey('ws', { url: server.url }));
    manager.send({ type: 'x', payload: 'bad' });
    const failed = await probe.until((v) => v.error !== null);
    assert.equal(failed.error.code, 'not_json');
    assert.equal(failed.connectionState, 'connected', 'a bad frame does not end the connection');
    manager.send({ type: 'x', payload: 7 });
    const ok = await probe.until((v) => v.data === 7);
    assert.equal(ok.error, null);
  });
});

describe('RealtimeProvider / useRealtimeContext', () => {
  test('createConnection re-renders with connected; removeConnection closes the socket', TIMEOUT, async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
    let ctx;
    function Panel() {
      ctx = useRealtimeContext();
      const { createConnection, removeConnection, connectionStates } = ctx;
      React.useEffect(() => {
        createConnection('feed', { url: server.url }, 'ws');
      }, [createConnection]);
      return h('div', null,
        h('p', null, `feed:${connectionStates.get('feed') ?? 'none'}`),
        h('button', { onClick: () => removeConnection('feed') }, 'remove'));
    }
    let lightRenders = 0;
    function Light() {
      lightRenders++;
      return h('p', null, `light:${useConnectionState('feed')}`);
    }
    const view = render(h(RealtimeProvider, { pool }, h(Panel), h(Light)));
    t.after(() => view.unmount());
    await screen.findByText('feed:connected');
    await screen.findByText('light:connected');
    const manager = ctx.getConnection('feed');
    assert.ok(manager instanceof WebSocketManager);
    assert.equal(manager.isConnected, true);
    assert.equal(ctx.connections.get('feed'), manager);
    assert.equal(server.connections.length, 1);
    assert.ok(lightRenders <= 3, `useConnectionState re-renders only on its state (${lightRenders})`);

    const closed = serverClose(server.connections[0]);
    fireEvent.click(screen.getByText('remove'));
    await screen.findByText('feed:none');
    await screen.findByText('light:disconnected');
    assert.equal(await closed, 1000);
    assert.equal(ctx.getConnection('feed'), null);
  });

  test('unmounting the provider releases its connections; StrictMode keeps exactly one', TIMEOUT, async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
    function Panel() {
      const { createConnection, connectionStates } = useRealtimeContext();
      React.useEffect(() => createConnection('a', { url: server.url }, 'ws'), [createConnection]);
      return h('p', null, `a:${connectionStates.get('a') ?? 'none'}`);
    }
    const view = render(h(React.StrictMode, null, h(RealtimeProvider, { pool }, h(Panel))));
    await screen.findByText('a:connected');
    assert.equal(server.connections.length, 1);
    const closed = serverClose(server.connections[0]);
    view.unmount();
    assert.equal(await closed, 1000);
    await settle();
    assert.equal(liveHandles(), 0);
  });

  test('useRealtimeContext outside the provider is a clear error', () => {
    const original = console.error;
    console.error = () => {};
    try {
      assert.throws(() => render(h(function Bare() {
        useRealtimeContext();
        return null;
      })), /within RealtimeProvider/);
    } finally {
      console.error = original;
    }
  });
});

after(() => settle());
