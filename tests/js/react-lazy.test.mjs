// A hook mounted before the runtime has loaded: it shows 'connecting' while the module loads,
// then connects (the pool needs the loaded runtime; the store waits for it).
import 'global-jsdom/register';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { h, renderProbe, serverClose, settle, transitions } from './react-helpers.mjs';
import { RealtimeConnectionPool, liveHandles } from '../../dist/index.js';
import { RealtimeProvider, useWebSocket } from '../../dist/react/index.js';
import { startWsServer } from './helpers.mjs';

test('mounting before loadRuntime(): connecting while loading, then connected', { timeout: 15_000 }, async (t) => {
  const server = await startWsServer();
  t.after(() => server.close());
  const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
  const probe = renderProbe(() => useWebSocket({ url: server.url }),
    { wrap: (el) => h(RealtimeProvider, { pool }, el), strict: true });
  await probe.until((v) => v.connectionState === 'connected');
  assert.deepEqual(transitions(probe.values, 'connectionState'),
    ['disconnected', 'connecting', 'connected']);
  assert.equal(server.connections.length, 1);
  const closed = serverClose(server.connections[0]);
  probe.unmount();
  await closed;
  await settle();
  assert.equal(liveHandles(), 0);
});
