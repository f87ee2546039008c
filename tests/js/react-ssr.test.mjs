// Server-side rendering and import safety: no DOM globals in this process (no jsdom here).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { startWsServer } from './helpers.mjs';

test('importing realtime-wasm and realtime-wasm/react needs no window or document', async () => {
  assert.equal(typeof globalThis.window, 'undefined');
  assert.equal(typeof globalThis.document, 'undefined');
  const core = await import('realtime-wasm');
  const react = await import('realtime-wasm/react');
  for (const name of ['WebSocketManager', 'ServerSentEventsManager', 'RealtimeConnectionPool',
    'connectionPool', 'loadRuntime', 'liveHandles']) {
    assert.ok(name in core, name);
  }
  for (const name of ['useWebSocket', 'useWebSocketSubscription', 'useServerSentEvents',
    'useLiveDataFeed', 'useOptimizedRealtime', 'RealtimeProvider', 'useRealtimeContext']) {
    assert.equal(typeof react[name], 'function', name);
  }
  assert.equal(typeof globalThis.window, 'undefined', 'the import defined no DOM global');
  assert.equal(typeof globalThis.document, 'undefined');
  assert.equal(core.connectionPool.size, 0, 'importing opened nothing');
});

test('renderToString renders the disconnected state and opens no connection', async (t) => {
  const server = await startWsServer();
  t.after(() => server.close());
  const { createElement: h } = await import('react');
  const { renderToString } = await import('react-dom/server');
  const { connectionPool, liveHandles } = await import('realtime-wasm');
  const {
    RealtimeProvider, useLiveDataFeed, useOptimizedRealtime, useRealtimeContext, useWebSocket,
    useWebSocketSubscription,
  } = await import('realtime-wasm/react');
  function Page() {
    const ws = useWebSocket({ url: server.url });
    const sub = useWebSocketSubscription({ url: server.url }, 'price');
    const feed = useLiveDataFeed({ url: `http://127.0.0.1:${server.wss.address().port}` });
    const data = useOptimizedRealtime({ wsConfig: { url: server.url }, eventType: 'tick' });
    const { connectionStates } = useRealtimeContext();
    return h('p', null,
      [ws.connectionState, sub.connectionState, feed.connectionState, data.length,
        connectionStates.size].join(' '));
  }
  const html = renderToString(h(RealtimeProvider, null, h(Page)));
  assert.equal(html, '<p>disconnected disconnected disconnected 0 0</p>');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(server.connections.length, 0);
  assert.equal(connectionPool.size, 0);
  assert.equal(liveHandles(), 0, 'the runtime was not even loaded');
});
