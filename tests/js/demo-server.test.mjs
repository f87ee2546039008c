import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { WebSocket } from 'ws';
import { ServerSentEventsManager, WebSocketManager, loadRuntime } from '../../dist/index.js';
import { startDemoServer } from '../../web/demo/server/demo-server.mjs';

let server;
before(async () => {
  await loadRuntime();
  server = await startDemoServer({ metricsIntervalMs: 50 });
});
after(() => server.close());

const wsUrl = (room, name) => `${server.url.replace('http', 'ws')}/chat/${room}?name=${name}&user=${name}`;
const next = (manager, type, predicate = () => true) =>
  new Promise((resolve) => {
    const off = manager.subscribe(type, (payload) => {
      if (predicate(payload)) {
        off();
        resolve(payload);
      }
    });
  });

async function join(t, room, name) {
  const m = new WebSocketManager({ url: wsUrl(room, name) });
  t.after(() => m.dispose());
  const history = next(m, 'message_history');
  await m.connect();
  return { m, history: await history };
}

describe('demo server: chat', () => {
  test('two users in a room: messages, typing, presence, history on join', async (t) => {
    const { m: ada } = await join(t, 'r1', 'ada');
    const joined = next(ada, 'user_joined');
    const { m: bob } = await join(t, 'r1', 'bob');
    assert.equal((await joined).userName, 'bob');
    const typing = next(bob, 'typing_start');
    ada.send({ type: 'typing_start', payload: {} });
    assert.equal((await typing).userName, 'ada');
    const atBob = next(bob, 'message');
    ada.send({ type: 'send_message', payload: { content: ' hello ', type: 'text' } });
    const msg = await atBob;
    assert.equal(msg.content, 'hello');
    assert.equal(msg.author.name, 'ada');
    const { history } = await join(t, 'r1', 'cy');
    assert.deepEqual(history.map((h) => h.content), ['hello']);
    const left = next(ada, 'user_left');
    bob.dispose();
    assert.equal((await left).userName, 'bob');
  });

  test('a resend with the same clientId is delivered once', async (t) => {
    const { m } = await join(t, 'r2', 'dee');
    const first = next(m, 'message');
    m.send({ type: 'send_message', payload: { content: 'once', clientId: 'c-1' } });
    m.send({ type: 'send_message', payload: { content: 'once', clientId: 'c-1' } });
    m.send({ type: 'send_message', payload: { content: 'twice', clientId: 'c-2' } });
    assert.equal((await first).content, 'once');
    const { history } = await join(t, 'r2', 'eve');
    assert.deepEqual(history.map((h) => h.content), ['once', 'twice']);
  });

  test('bad input gets an error reply and the server keeps serving', async (t) => {
    const raw = new WebSocket(wsUrl('r3', 'mal'));
    t.after(() => raw.terminate());
    await new Promise((resolve) => raw.once('open', resolve));
    const replies = [];
    const gotAll = new Promise((resolve) => raw.on('message', (d) => {
      const msg = JSON.parse(String(d));
      if (msg.type === 'error') replies.push(msg.payload.message);
      if (replies.length === 6) resolve();
    }));
    raw.send('not json');
    raw.send(JSON.stringify({ type: 'no_such_type', payload: {} }));
    raw.send(JSON.stringify({ type: 7 }));
    raw.send(JSON.stringify({ type: 'send_message', payload: { content: '' } }));
    raw.send(JSON.stringify({ type: 'send_message', payload: { content: 'javascript:alert(1)', type: 'image' } }));
    raw.send('x'.repeat(70 * 1024));
    await gotAll;
    assert.deepEqual(replies, [
      'message is not valid JSON',
      "unknown message type 'no_such_type'",
      'message type must be a string',
      'content must be a non-empty string',
      'an image must be an https: or data:image URL',
      'message larger than 65536 bytes',
    ]);
    const { history } = await join(t, 'r3', 'ok');
    assert.deepEqual(history, []);
  });
});

describe('demo server: dashboard stream', () => {
  test('metrics and alerts arrive over SSE', async (t) => {
    const feed = new ServerSentEventsManager({ url: `${server.url}/api/dashboard/stream`, transport: 'fetch' });
    t.after(() => feed.dispose());
    const metrics = new Promise((resolve) => {
      const off = feed.subscribe('metrics', (e) => { off(); resolve(e.data); });
    });
    const alert = new Promise((resolve) => {
      const off = feed.subscribe('alert', (e) => { if (e.data.message === 'disk full') { off(); resolve(e.data); } });
    });
    await feed.connect();
    const first = await metrics;
    assert.equal(first.length, 6);
    assert.ok(first.every((m) => typeof m.value === 'number' && ['up', 'down', 'stable'].includes(m.trend)));
    await fetch(`${server.url}/api/alert?level=error&message=disk%20full`, { method: 'POST' });
    assert.equal((await alert).level, 'error');
  });
});
