// Frame-aligned delivery, measured with React's <Profiler>: a server pushes thousands of messages
// as fast as it can (and paced at 10,000/s); every message must reach the component, in order,
// while React commits at most once per animation frame.
import 'global-jsdom/register';  // first: Testing Library binds `screen` to the document on import

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { render } from '@testing-library/react';
import * as React from 'react';
import { WebSocket as WsWebSocket } from 'ws';

import { h, serverClose, settle } from './react-helpers.mjs';
import { RealtimeConnectionPool, liveHandles, loadRuntime } from '../../dist/index.js';
import {
  RealtimeProvider, useOptimizedRealtime, useWebSocketSubscription,
} from '../../dist/react/index.js';
import { envelope, startWsServer } from './helpers.mjs';

before(() => loadRuntime());

const TIMEOUT = { timeout: 30_000 };
const FRAME_MS = 1000 / 60;
// ws's client, not jsdom's WebSocket (4× slower: it would measure jsdom, not the runtime).
const ws = (url) => ({ url, WebSocket: WsWebSocket });

/** A server that sends `count` 'tick' envelopes (0…count-1) to each client: all at once, or
 * `perBurst` every `everyMs` (perBurst 100 every 10 ms = 10,000 messages/s). */
function tickServer(count, { perBurst = count, everyMs = 0 } = {}) {
  return startWsServer((socket) => {
    let next = 0;
    const burst = () => {
      const end = Math.min(count, next + perBurst);
      for (; next < end; next++) socket.send(envelope('tick', next));
      if (next < count) setTimeout(burst, everyMs);
    };
    burst();
  });
}

/**
 * Renders `Component` inside a <Profiler> and a RealtimeProvider. Resolves once `done(commit)`
 * holds for a commit; each commit records the value `Component` reported for it.
 */
function profile(Component, done) {
  const pool = new RealtimeConnectionPool({ idleTimeout: 20, healthCheckInterval: 10 });
  const commits = [];
  let reported;
  let resolve;
  const finished = new Promise((r) => (resolve = r));
  const onRender = (id, phase, actualDuration, baseDuration, startTime, commitTime) => {
    const commit = { phase, commitTime, at: performance.now(), value: reported };
    commits.push(commit);
    if (done(commit)) resolve();
  };
  const report = (value) => {
    reported = value;
  };
  const view = render(h(RealtimeProvider, { pool },
    h(React.Profiler, { id: 'feed', onRender }, h(Component, { report }))));
  return { commits, finished, view, pool };
}

/** Message commits: those whose value changed from the previous commit's. */
const messageCommits = (commits, key) =>
  commits.filter((c, i) => i > 0 && key(c.value) !== key(commits[i - 1].value));

describe('frame-aligned delivery', () => {
  test('useOptimizedRealtime: 3,000 messages at full speed, all in order, a few commits', TIMEOUT, async (t) => {
    const N = 3000;
    const server = await tickServer(N);
    t.after(() => server.close());
    function Feed({ report }) {
      const data = useOptimizedRealtime({
        wsConfig: ws(server.url), eventType: 'tick', frameAligned: true, maxItems: Infinity,
      });
      report(data);
      return h('p', null, String(data.length));
    }
    const run = profile(Feed, (c) => c.value?.length === N);
    await run.finished;
    const data = run.commits.at(-1).value;
    assert.deepEqual(data, Array.from({ length: N }, (_, i) => N - 1 - i), 'all, newest first');
    const batches = messageCommits(run.commits, (v) => v.length);
    const sizes = batches.map((c, i) => c.value.length - (i ? batches[i - 1].value.length : 0));
    t.diagnostic(`${N} messages, ${run.commits.length} commits, batches ${sizes.join(',')}`);
    assert.ok(run.commits.length < N / 20, `commits ≪ messages (${run.commits.length})`);
    // Each batch is a contiguous, in-order run: nothing lost, duplicated or reordered.
    let seen = 0;
    for (const c of batches) {
      const fresh = c.value.slice(0, c.value.length - seen).reverse();
      assert.deepEqual(fresh, Array.from({ length: fresh.length }, (_, i) => seen + i));
      seen += fresh.length;
    }
    const closed = serverClose(server.connections[0]);
    run.view.unmount();
    await closed;
    await settle();
    assert.equal(liveHandles(), 0);
  });

  test('10,000 messages/s into one subscriber: at most one commit per frame, none lost', TIMEOUT, async (t) => {
    const N = 3000;
    const server = await tickServer(N, { perBurst: 100, everyMs: 10 });
    t.after(() => server.close());
    const received = [];
    function Sub({ report }) {
      const snap = useWebSocketSubscription(ws(server.url), 'tick',
        (tick) => received.push(tick), { frameAligned: true });
      report(snap);
      return h('p', null, String(snap.data));
    }
    const run = profile(Sub, (c) => c.value?.data === N - 1);
    await run.finished;
    t.after(() => run.view.unmount());
    assert.deepEqual(received, Array.from({ length: N }, (_, i) => i), 'every message, in order');
    const batches = messageCommits(run.commits, (v) => v.data);
    const first = batches[0].at;
    const span = batches.at(-1).at - first;
    const frames = Math.ceil(span / FRAME_MS) + 1;
    t.diagnostic(`${N} messages over ${span.toFixed(0)} ms: ${batches.length} message commits ` +
      `(${frames} frames), ${run.commits.length} commits in all`);
    assert.ok(batches.length <= frames, `at most one commit per frame (${batches.length} > ${frames})`);
    assert.ok(run.commits.length < N / 10, 'commits ≪ messages');
  });

  test('without frameAligned every message is its own commit (the cost the option removes)', TIMEOUT, async (t) => {
    const N = 100;
    const server = await tickServer(N, { perBurst: 1, everyMs: 2 });  // one message per task
    t.after(() => server.close());
    function Sub({ report }) {
      const snap = useWebSocketSubscription(ws(server.url), 'tick');
      report(snap);
      return h('p', null, String(snap.data));
    }
    const run = profile(Sub, (c) => c.value?.data === N - 1);
    await run.finished;
    t.after(() => run.view.unmount());
    const batches = messageCommits(run.commits, (v) => v.data);
    t.diagnostic(`${N} messages, ${batches.length} message commits`);
    assert.ok(batches.length > N / 2, 'many more commits than with frameAligned');
  });

  test('batchingConfig and throttleDelay batch losslessly too (the seed throttle dropped messages)', TIMEOUT, async (t) => {
    const N = 1000;
    const server = await tickServer(N, { perBurst: 50, everyMs: 2 });
    t.after(() => server.close());
    for (const options of [
      { batchingConfig: { batchSize: 100, flushInterval: 50, priority: 'size' } },
      { batchingConfig: { batchSize: 100, flushInterval: 30, priority: 'time' } },
      { throttleDelay: 40 },
    ]) {
      function Feed({ report }) {
        const data = useOptimizedRealtime({
          wsConfig: ws(server.url), eventType: 'tick', maxItems: Infinity, ...options,
        });
        report(data);
        return null;
      }
      const run = profile(Feed, (c) => c.value?.length === N);
      await run.finished;
      run.view.unmount();
      assert.deepEqual(run.commits.at(-1).value, Array.from({ length: N }, (_, i) => N - 1 - i),
        JSON.stringify(options));
      const batches = messageCommits(run.commits, (v) => v.length);
      t.diagnostic(`${JSON.stringify(options)}: ${batches.length} message commits`);
      assert.ok(batches.length < N / 10, JSON.stringify(options));
    }
  });
});
