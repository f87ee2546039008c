// useChannel and useWebSocket's sendWithAck against the real server kit, under jsdom with React
// Testing Library (StrictMode: effects run twice, the channel is joined once).
import 'global-jsdom/register';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { RealtimeConnectionPool, loadRuntime } from '../../dist/index.js';
import { RealtimeProvider, useChannel, useWebSocket } from '../../dist/react/index.js';
import { createRealtimeServer } from '../../web/server/index.mjs';
import { h, renderProbe } from './react-helpers.mjs';

before(() => loadRuntime());

const TIMEOUT = { timeout: 20_000 };

function quickPool() {
  const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
  return { pool, wrap: (el) => h(RealtimeProvider, { pool }, el) };
}

describe('useChannel', () => {
  test('data and position follow the channel; two hooks on one connection share one join', TIMEOUT, async (t) => {
    const joins = [];
    const rt = await createRealtimeServer({ port: 0, host: '127.0.0.1', authorize: ({ channel }) => {
      if (channel) joins.push(channel);
      return true;
    } });
    t.after(() => rt.close());
    const { wrap } = quickPool();
    const config = { url: rt.url, realtimeProtocol: true };
    const seen = [];
    const probe = renderProbe(() => ({
      a: useChannel(config, 'room', 'msg', (p, meta) => seen.push([p.n, meta.offset])),
      b: useChannel(config, 'room', 'msg'),
    }), { wrap, strict: true });
    await probe.until((v) => v.a.connectionState === 'connected');
    await rt.publish('room', 'msg', { n: 0 });  // may land before the join: then not delivered
    const timer = setInterval(() => rt.publish('room', 'msg', { n: 1 }), 20);
    const got = await probe.until((v) => v.a.data?.n === 1 && v.b.data?.n === 1);
    clearInterval(timer);
    assert.equal(got.a.position.offset, got.a.data && got.a.position.offset);
    assert.ok(got.a.position.offset >= 1);
    assert.equal(typeof got.a.position.epoch, 'string');
    assert.ok(seen.every(([, offset], i) => i === 0 || offset === seen[i - 1][1] + 1), JSON.stringify(seen));
    assert.deepEqual(joins, ['room']);
    probe.unmount();
  });
});

describe('useWebSocket().sendWithAck', () => {
  test('resolves with the reply, also when called before the connection is acquired', TIMEOUT, async (t) => {
    const rt = await createRealtimeServer({ port: 0, host: '127.0.0.1', onMessage: (m) => ({ ok: m.payload }) });
    t.after(() => rt.close());
    const { wrap } = quickPool();
    const probe = renderProbe(() => useWebSocket({ url: rt.url, realtimeProtocol: true }), { wrap });
    const early = probe.values[0].sendWithAck({ type: 'x', payload: 'early' });
    await probe.until((v) => v.connectionState === 'connected');
    const late = probe.values.at(-1).sendWithAck({ type: 'x', payload: 'late' });
    assert.deepEqual(await Promise.all([early, late]), [{ ok: 'early' }, { ok: 'late' }]);
    probe.unmount();
  });
});
