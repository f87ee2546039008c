// The demo server (web/demo/server, on the server kit) through the package's own client: rooms
// are channels (history on join is their replay), messages are acknowledged sends handled once,
// typing and presence are plain frames, bad input gets an error and the server keeps serving,
// and the dashboard is a channel served as SSE.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ServerSentEventsManager, WebSocketManager, loadRuntime } from '../../dist/index.js';
import { startDemoServer } from '../../web/demo/server/demo-server.mjs';
import { waitFor } from './helpers.mjs';

let server;
before(async () => {
  await loadRuntime();
  server = await startDemoServer({ metricsIntervalMs: 50 });
});
after(() => server.close());

const wsUrl = (room, name) => `${server.url.replace('http', 'ws')}/realtime?room=${room}&name=${name}&user=${name}`;
const next = (manager, type, predicate = () => true) =>
  waitFor(`a '${type}' frame`, (resolve) => manager.subscribe(type, (payload) => predicate(payload) && resolve(payload)));

/** A user in a room; `messages` collects the room channel's 'message' publications. */
async function join(t, room, name) {
  const m = new WebSocketManager({ url: wsUrl(room, name), realtimeProtocol: true });
  t.after(() => m.dispose());
  const messages = [];
  const channel = m.channel(`room:${room}`, { since: { epoch: '', offset: 0 } });
  channel.subscribe('message', (p) => messages.push(p));
  const presence = next(m, 'presence');
  await m.connect();
  await presence;
  await waitFor(`room ${room} joined`, (resolve) => {
    const timer = setInterval(() => channel.position && resolve(), 5);
    return () => clearInterval(timer);
  });
  const until = (n) => waitFor(`${n} messages in ${room}`, (resolve) => {
    const timer = setInterval(() => messages.length >= n && resolve(), 5);
    return () => clearInterval(timer);
  });
  return { m, messages, until };
}

describe('demo server: chat', () => {
  test('two users in a room: messages, typing, presence, history on join', async (t) => {
    const ada = await join(t, 'r1', 'ada');
    const joined = next(ada.m, 'user_joined');
    const bob = await join(t, 'r1', 'bob');
    assert.equal((await joined).userName, 'bob');
    const typing = next(bob.m, 'typing_start');
    ada.m.send({ type: 'typing_start', payload: {} });
    assert.equal((await typing).userName, 'ada');
    const reply = await ada.m.sendWithAck({ type: 'send_message', payload: { content: ' hello ', type: 'text' } });
    assert.equal(typeof reply.offset, 'number');
    await bob.until(1);
    assert.equal(bob.messages[0].content, 'hello');
    assert.equal(bob.messages[0].author.name, 'ada');
    const cy = await join(t, 'r1', 'cy');
    await cy.until(1);
    assert.deepEqual(cy.messages.map((h) => h.content), ['hello']);  // the replay is the history
    const left = next(ada.m, 'user_left');
    bob.m.dispose();
    assert.equal((await left).userName, 'bob');
  });

  test('a re-send of the same message id is handled once', async (t) => {
    const dee = await join(t, 'r2', 'dee');
    const once = { type: 'send_message', id: 'm-1', payload: { content: 'once' } };
    const [a, b] = await Promise.all([dee.m.sendWithAck(once), dee.m.sendWithAck({ ...once })]);
    assert.deepEqual(a, b);
    await dee.m.sendWithAck({ type: 'send_message', payload: { content: 'twice' } });
    const eve = await join(t, 'r2', 'eve');
    await eve.until(2);
    assert.deepEqual(eve.messages.map((h) => h.content), ['once', 'twice']);
  });

  test('bad input gets an error (a reply or a rejected ack) and the server keeps serving', async (t) => {
    const mal = await join(t, 'r3', 'mal');
    const errors = [];
    mal.m.subscribe('error', (e) => errors.push(e.message));
    const serverErrors = [];
    mal.m.on('error', (e) => serverErrors.push(e.code));
    mal.m.send({ type: 'no_such_type', payload: {} });
    await assert.rejects(mal.m.sendWithAck({ type: 'send_message', payload: { content: '' } }),
      (e) => e.code === 'server_error' && /content must be a non-empty string/.test(e.message));
    await assert.rejects(mal.m.sendWithAck({ type: 'send_message', payload: { content: 'javascript:alert(1)', type: 'image' } }),
      (e) => e.code === 'server_error' && /an image must be an https: or data:image URL/.test(e.message));
    await assert.rejects(mal.m.sendWithAck({ type: 'send_message', payload: { content: 'x'.repeat(2001) } }),
      (e) => e.code === 'server_error' && /at most 2000 characters/.test(e.message));
    mal.m.send({ type: 'send_message', payload: { content: 'x'.repeat(70 * 1024) } });  // over maxMessageBytes
    await waitFor('the errors', (resolve) => {
      const timer = setInterval(() => errors.length >= 1 && serverErrors.includes('server_error') && resolve(), 5);
      return () => clearInterval(timer);
    });
    assert.deepEqual(errors, ["unknown message type 'no_such_type'"]);
    await mal.m.sendWithAck({ type: 'send_message', payload: { content: 'still here' } });
    await mal.until(1);
    assert.deepEqual(mal.messages.map((h) => h.content), ['still here']);
  });
});

describe('demo server: dashboard stream', () => {
  test('metrics and alerts arrive over SSE (a channel, resumable)', async (t) => {
    const feed = new ServerSentEventsManager({ url: `${server.url}/api/dashboard/stream`, transport: 'fetch' });
    t.after(() => feed.dispose());
    const metrics = waitFor('metrics', (resolve) => feed.subscribe('metrics', (e) => resolve(e)));
    const alert = waitFor('the alert', (resolve) =>
      feed.subscribe('alert', (e) => e.data.message === 'disk full' && resolve(e.data)));
    await feed.connect();
    const first = await metrics;
    assert.equal(first.data.length, 6);
    assert.match(first.id, /^[^:]+:\d+$/);  // epoch:offset
    assert.ok(first.data.every((m) => typeof m.value === 'number' && ['up', 'down', 'stable'].includes(m.trend)));
    await fetch(`${server.url}/api/alert?level=error&message=disk%20full`, { method: 'POST' });
    assert.equal((await alert).level, 'error');
  });
});
