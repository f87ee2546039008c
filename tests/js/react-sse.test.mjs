// useServerSentEvents and useLiveDataFeed against a real HTTP server streaming text/event-stream.
import 'global-jsdom/register';  // first: Testing Library binds `screen` to the document on import

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import * as React from 'react';

import { h, renderProbe, settle, transitions } from './react-helpers.mjs';
import { RealtimeConnectionPool, liveHandles, loadRuntime } from '../../dist/index.js';
import {
  RealtimeProvider, useLiveDataFeed, useServerSentEvents,
} from '../../dist/react/index.js';
import { SSE_HEADERS, startHttpServer } from './helpers.mjs';

before(() => loadRuntime());

const TIMEOUT = { timeout: 15_000 };

/** An SSE server: each stream gets `write(res)`'s events; `streamClosed` resolves when a client
 * goes away. */
async function sseServer(write) {
  let closedResolve;
  const streamClosed = new Promise((r) => (closedResolve = r));
  const server = await startHttpServer((req, res) => {
    res.writeHead(200, SSE_HEADERS);
    res.on('close', () => closedResolve());  // the client went away
    write(res);
  });
  return { ...server, streamClosed };
}

function quickPool() {
  const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
  return { pool, wrap: (el) => h(RealtimeProvider, { pool }, el) };
}

describe('useServerSentEvents', () => {
  test('connects, delivers named events with lastEvent, and closes the stream after unmount', TIMEOUT, async (t) => {
    const server = await sseServer((res) => {
      res.write('event: update\nid: 1\ndata: {"price": 42}\n\n');
      res.write('event: note\nid: 2\ndata: hello\n\n');
    });
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    const updates = [];
    const probe = renderProbe(() => {
      const sse = useServerSentEvents({ url: `${server.url}/stream` });
      const { subscribe } = sse;
      React.useEffect(() => subscribe('update', (e) => updates.push(e)), [subscribe]);
      return sse;
    }, { wrap });
    const got = await probe.until((v) => v.lastEvent !== null);
    assert.deepEqual(got.lastEvent, { id: '1', event: 'update', data: { price: 42 } });
    assert.deepEqual(updates, [got.lastEvent]);
    assert.equal(got.connectionState, 'connected');
    assert.equal(got.isConnected, true);
    assert.deepEqual(transitions(probe.values, 'connectionState'),
      ['disconnected', 'connecting', 'connected']);
    probe.unmount();
    await server.streamClosed;
    await settle();
    assert.equal(pool.size, 0);
    assert.equal(liveHandles(), 0);
  });

  test('an HTTP error ends in the error state', TIMEOUT, async (t) => {
    const server = await startHttpServer((req, res) => {
      res.writeHead(500);
      res.end();
    });
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const probe = renderProbe(() => useServerSentEvents({ url: server.url }), { wrap });
    t.after(() => probe.unmount());
    const failed = await probe.until((v) => v.connectionState === 'error');
    assert.equal(failed.isConnected, false);
  });
});

describe('useLiveDataFeed', () => {
  test('keeps the last 100 transformed items, newest first; a throwing transformer is an error', TIMEOUT, async (t) => {
    const server = await sseServer((res) => {
      for (let i = 0; i < 150; i++) res.write(`event: update\ndata: {"n": ${i}}\n\n`);
      res.write('event: update\ndata: {"n": "bad"}\n\n');
      res.write('event: other\ndata: {"n": -1}\n\n');
    });
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const transform = (d) => {
      if (typeof d.n !== 'number') throw new Error(`bad item ${JSON.stringify(d)}`);
      return d.n * 10;
    };
    const probe = renderProbe(
      () => useLiveDataFeed({ url: server.url }, 'update', transform, { frameAligned: true }), { wrap });
    t.after(() => probe.unmount());
    const last = await probe.until((v) => v.error !== null);
    assert.match(last.error.message, /bad item/);
    assert.equal(last.error.code, 'transform_failed');
    assert.equal(last.data.length, 100);
    assert.deepEqual(last.data, Array.from({ length: 100 }, (_, i) => (149 - i) * 10));
    assert.equal(last.connectionState, 'connected');
  });

  test('the default event type is "update"', TIMEOUT, async (t) => {
    const server = await sseServer((res) => res.write('event: update\ndata: 1\n\n'));
    t.after(() => server.close());
    const { pool, wrap } = quickPool();
    t.after(() => pool.destroy());
    const probe = renderProbe(() => useLiveDataFeed({ url: server.url }), { wrap });
    t.after(() => probe.unmount());
    const got = await probe.until((v) => v.data.length === 1);
    assert.deepEqual(got.data, [1]);
    assert.equal(got.error, null);
  });
});
