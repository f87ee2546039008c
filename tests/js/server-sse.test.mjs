// rt.sse(channel) mounted on a Node http server (the same one the WebSocket endpoint shares),
// read with fetch: ids `<epoch>:<offset>`, resume with Last-Event-ID, gaps, authorization,
// heartbeat comments.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createRealtimeServer, memoryStore } from 'realtime-wasm/server';
import { rawClient, sseClient } from './server-helpers.mjs';

const T = { timeout: 20000 };
let http;
let rt;
let base;
before(async () => {
  http = createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  base = `http://127.0.0.1:${http.address().port}`;
  rt = await createRealtimeServer({
    server: http,
    store: memoryStore({ historySize: 5 }),
    limits: { sseHeartbeatMs: 100 },
    authorize: ({ request, channel }) => {
      const key = request.headers['x-key'];
      if (key === 'none') return false;
      if (channel === 'private' && key !== 'admin') return 'forbidden';
      return true;
    },
  });
  routes = { '/feed': rt.sse('feed'), '/private': rt.sse('private'), '/other': rt.sse('other') };
});
let routes = {};
after(async () => {
  await rt.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

test('a channel as SSE: headers, retry, id <epoch>:<offset>, event = type, data = payload; live', T, async () => {
  const s = await sseClient(`${base}/feed`);
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(s.headers.get('cache-control'), 'no-cache, no-transform');
  await s.next((e) => e.comment === 'realtime.v1'); // the stream is open: publish now
  await rt.publish('feed', 'metric', { cpu: 0.5 });
  await rt.publish('feed', 'alert', { level: 'error' });
  const [a, b] = await s.events(2);
  const c = await rawClient(rt.url); // the WebSocket endpoint on the same server agrees on the epoch
  const { epoch } = (await c.join('feed')).payload;
  await c.close();
  assert.deepEqual(a, { id: `${epoch}:1`, event: 'metric', data: { cpu: 0.5 } });
  assert.deepEqual(b, { id: `${epoch}:2`, event: 'alert', data: { level: 'error' } });
  await s.close();
});

test('resume with Last-Event-ID: exactly the missed ones, then live', T, async () => {
  const s1 = await sseClient(`${base}/other`);
  await s1.next((e) => e.comment === 'realtime.v1');
  for (let i = 1; i <= 4; i++) await rt.publish('other', 'n', i);
  const got = await s1.events(4);
  await s1.close();
  await rt.publish('other', 'n', 5); // missed while away
  const s2 = await sseClient(`${base}/other`, { headers: { 'last-event-id': got[1].id } });
  await rt.publish('other', 'n', 6);
  const resumed = await s2.events(4);
  assert.deepEqual(resumed.map((e) => e.data), [3, 4, 5, 6]);
  assert.equal(s2.queue.filter((e) => e.event === 'rt:gap').length, 0);
  await s2.close();
});

test('a position that cannot be honoured: an rt:gap event, then the replay from the oldest kept', T, async () => {
  for (let i = 1; i <= 8; i++) await rt.publish('feed', 'n', i); // feed now 3..10, keeps 6..10
  const epoch = (await rt.store.history('feed', Infinity)).epoch;
  const s = await sseClient(`${base}/feed`, { headers: { 'last-event-id': `${epoch}:1` } });
  const gap = await s.next((e) => e.event === 'rt:gap');
  assert.deepEqual(gap.data, { channel: 'feed', epoch, offset: 10, recovered: false });
  assert.deepEqual((await s.events(5)).map((e) => e.id), [6, 7, 8, 9, 10].map((o) => `${epoch}:${o}`));
  await s.close();
  const s2 = await sseClient(`${base}/feed`, { headers: { 'last-event-id': 'old-epoch:9' } });
  assert.equal((await s2.next((e) => e.event === 'rt:gap')).data.recovered, false);
  assert.equal((await s2.next((e) => e.id !== undefined)).id, `${epoch}:6`);
  await s2.close();
  // a bare offset is resumed in whatever the current epoch is
  const s3 = await sseClient(`${base}/feed`, { headers: { 'last-event-id': '8' } });
  assert.deepEqual((await s3.events(2)).map((e) => e.id), [`${epoch}:9`, `${epoch}:10`]);
  await s3.close();
});

test('authorize: 401 for the connection, 403 for the channel', T, async () => {
  const refused = await sseClient(`${base}/feed`, { headers: { 'x-key': 'none' } });
  assert.equal(refused.status, 401);
  const forbidden = await sseClient(`${base}/private`);
  assert.equal(forbidden.status, 403);
  const admin = await sseClient(`${base}/private`, { headers: { 'x-key': 'admin' } });
  assert.equal(admin.status, 200);
  await admin.close();
});

test('heartbeat comments keep an idle stream alive; close() ends open streams', T, async () => {
  const s = await sseClient(`${base}/other`);
  await s.next((e) => e.comment === 'heartbeat');
  const other = await createRealtimeServer({ host: '127.0.0.1' });
  const h2 = createServer(other.sse('x'));
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  const s2 = await sseClient(`http://127.0.0.1:${h2.address().port}/`);
  await s2.next((e) => e.comment === 'realtime.v1');
  await other.close();
  await s2.done; // the stream ended
  h2.close();
  await s.close();
});
