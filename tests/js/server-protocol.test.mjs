// realtime.v1 basics on the memory store: negotiation, heartbeat, acknowledged sends and their
// de-duplication, bad input, limits, authorization. Raw ws clients against a real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRealtimeServer, memoryStore } from 'realtime-wasm/server';
import { rawClient } from './server-helpers.mjs';

const T = { timeout: 20000 };
let rt;
const ran = new Map(); // message id → times the handler ran
const gates = new Map(); // message id → resolve(), for handlers that wait

before(async () => {
  rt = await createRealtimeServer({
    host: '127.0.0.1',
    limits: { maxMessageBytes: 1024, maxChannels: 3 },
    log: () => {},
    async onMessage(msg, client) {
      ran.set(msg.id, (ran.get(msg.id) ?? 0) + 1);
      if (msg.type === 'fail') throw new Error(`no: ${msg.payload}`);
      if (msg.type === 'slow') await new Promise((resolve) => gates.set(msg.id, resolve));
      if (msg.type === 'who') return { connection: client.id, identity: client.identity ?? null };
      if (msg.type === 'push') client.send('pushed', { n: msg.payload });
      return { echo: msg.payload };
    },
  });
});
after(() => rt.close());

const ack = (c, id) => c.next((f) => f.type === 'rt:ack' && f.payload.id === id);

test('the upgrade needs the realtime.v1 subprotocol (400 otherwise); the server selects it', T, async () => {
  const bad = await rawClient(rt.url, { protocols: ['chat'] });
  assert.equal(bad.status, 400);
  const none = await rawClient(rt.url, { protocols: [] });
  assert.equal(none.status, 400);
  const wrongPath = await rawClient(rt.url.replace('/realtime', '/other'));
  assert.equal(wrongPath.status, 404);
  const good = await rawClient(rt.url, { protocols: ['x', 'realtime.v1'] });
  assert.equal(good.status, 101);
  assert.equal(good.ws.protocol, 'realtime.v1');
  await good.close();
});

test('ping gets pong', T, async () => {
  const c = await rawClient(rt.url);
  c.send({ type: 'ping', id: 'p1', timestamp: Date.now() });
  assert.deepEqual(await c.next(), { type: 'pong', payload: {} });
  await c.close();
});

test('an acknowledged send gets the handler reply; client.send reaches the sender', T, async () => {
  const c = await rawClient(rt.url);
  c.send({ type: 'echo', id: 'a1', timestamp: 1, payload: { x: [1, 'two'] }, ack: true });
  assert.deepEqual(await ack(c, 'a1'), { type: 'rt:ack', payload: { id: 'a1', reply: { echo: { x: [1, 'two'] } } } });
  c.send({ type: 'push', id: 'a2', payload: 7, ack: true });
  const pushed = await c.ofType('pushed');
  assert.deepEqual(pushed.payload, { n: 7 });
  assert.equal(typeof pushed.id, 'string');
  assert.equal(typeof pushed.timestamp, 'number');
  await ack(c, 'a2');
  await c.close();
});

test('a handler that throws gives an ack with error server_error and its message', T, async () => {
  const c = await rawClient(rt.url);
  c.send({ type: 'fail', id: 'f1', payload: 'boom', ack: true });
  assert.deepEqual((await ack(c, 'f1')).payload, {
    id: 'f1',
    error: { code: 'server_error', message: 'no: boom' },
  });
  // the re-send gets the same error; the handler is not run again
  c.send({ type: 'fail', id: 'f1', payload: 'boom', ack: true });
  assert.equal((await ack(c, 'f1')).payload.error.message, 'no: boom');
  assert.equal(ran.get('f1'), 1);
  await c.close();
});

test('a re-send of a handled id (on another connection) gets the cached reply; the handler ran once', T, async () => {
  const c1 = await rawClient(rt.url);
  c1.send({ type: 'echo', id: 'r1', payload: 'first', ack: true });
  const first = await ack(c1, 'r1');
  await c1.close();
  const c2 = await rawClient(rt.url);
  c2.send({ type: 'echo', id: 'r1', payload: 'changed', ack: true });
  assert.deepEqual(await ack(c2, 'r1'), first);
  assert.equal(ran.get('r1'), 1);
  await c2.close();
});

test('a duplicate arriving while the first handling runs waits for it: one run, two equal acks', T, async () => {
  const c1 = await rawClient(rt.url);
  const c2 = await rawClient(rt.url);
  c1.send({ type: 'slow', id: 's1', payload: 1, ack: true });
  c1.send({ type: 'ping' });
  await c1.ofType('pong'); // frames are handled in order: the handler runs by now
  assert.ok(gates.has('s1'));
  c2.send({ type: 'slow', id: 's1', payload: 1, ack: true });
  c2.send({ type: 'ping' }); // the connection is served meanwhile (pings are not queued behind handlers)
  await c2.ofType('pong');
  gates.get('s1')();
  const [a1, a2] = await Promise.all([ack(c1, 's1'), ack(c2, 's1')]);
  assert.deepEqual(a1, a2);
  assert.equal(ran.get('s1'), 1);
  await Promise.all([c1.close(), c2.close()]);
});

test('messages without ack run the handler (once per id) and get no frame', T, async () => {
  const c = await rawClient(rt.url);
  c.send({ type: 'echo', id: 'n1', payload: 1 });
  c.send({ type: 'echo', id: 'n1', payload: 1 });
  c.send({ type: 'echo', id: 'n2', payload: 2, ack: true });
  await ack(c, 'n2'); // handled in order: n1 is done by now
  assert.equal(ran.get('n1'), 1);
  assert.deepEqual(c.queue, []);
  await c.close();
});

test('each bad input gets rt:error and the connection serves the next good message', T, async () => {
  const c = await rawClient(rt.url);
  const cases = [
    ['not json', 'bad_json'],
    ['[1,2]', 'bad_message'],
    ['{"payload":1}', 'bad_message'],
    ['{"type":""}', 'bad_message'],
    ['{"type":42}', 'bad_message'],
    ['{"type":"x","id":7}', 'bad_message'],
    [JSON.stringify({ type: 'x', id: 'i'.repeat(200) }), 'bad_message'],
    ['{"type":"x","ack":true}', 'bad_message'],
    ['{"type":"rt:nope","id":"u1"}', 'unknown_type'],
    ['{"type":"rt:join","payload":{}}', 'bad_channel'],
    ['{"type":"rt:join"}', 'bad_channel'],
    ['{"type":"rt:join","payload":{"channel":"c","position":{"offset":-1}}}', 'bad_message'],
    ['{"type":"rt:join","payload":{"channel":"c","position":"x"}}', 'bad_message'],
    ['{"type":"rt:leave","payload":{"channel":"never"}}', 'not_joined'],
    [JSON.stringify({ type: 'echo', payload: 'x'.repeat(2000) }), 'too_large'],
    [Buffer.from([1, 2, 3]), 'bad_message'],
  ];
  for (const [i, [frame, code]] of cases.entries()) {
    c.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    const err = await c.ofType('rt:error');
    assert.equal(err.payload.code, code, `case ${i}: ${frame}`);
    assert.equal(typeof err.payload.message, 'string');
    c.send({ type: 'echo', id: `good-${i}`, payload: i, ack: true });
    assert.deepEqual((await ack(c, `good-${i}`)).payload.reply, { echo: i });
  }
  await c.close();
});

test('channels per connection are limited: too_many_channels; a leave frees a slot', T, async () => {
  const c = await rawClient(rt.url);
  for (const ch of ['l:1', 'l:2', 'l:3']) assert.equal((await c.join(ch)).type, 'rt:joined');
  const refused = await c.join('l:4');
  assert.equal(refused.type, 'rt:error');
  assert.equal(refused.payload.code, 'too_many_channels');
  assert.equal((await c.join('l:1')).type, 'rt:joined', 're-joining a joined channel is no new slot');
  c.send({ type: 'rt:leave', payload: { channel: 'l:2' } });
  assert.equal((await c.join('l:4')).type, 'rt:joined');
  await c.close();
});

test('a frame past maxFrameBytes closes with 1009 (ws will not buffer it)', T, async () => {
  const c = await rawClient(rt.url);
  c.send(JSON.stringify({ type: 'echo', payload: 'x'.repeat(20 * 1024) }));
  assert.equal((await c.closed).code, 1009);
});

test('publish validates its arguments', T, async () => {
  await assert.rejects(rt.publish('', 't', 1), TypeError);
  await assert.rejects(rt.publish('c', 'rt:x', 1), TypeError);
  await assert.rejects(rt.publish('c', 'a\nb', 1), TypeError);
  await assert.rejects(rt.publish('c', 't', 1, { id: 5 }), TypeError);
});

test('authorize: refused connection closes 4401, forbidden marker 4403, identity reaches onMessage, join refused is rt:error forbidden', T, async () => {
  const seen = [];
  const guarded = await createRealtimeServer({
    host: '127.0.0.1',
    authorize({ request, channel }) {
      const token = new URL(request.url, 'http://x').searchParams.get('token');
      seen.push(channel ?? '(connection)');
      if (token === 'banned') return 'forbidden';
      if (token === 'throws') throw new Error('token expired');
      if (token !== 'good') return false;
      if (channel === undefined) return { user: 'ann' };
      return !channel.startsWith('secret:');
    },
    onMessage: (msg, client) => ({ identity: client.identity }),
  });
  try {
    for (const [token, code] of [['bad', 4401], ['throws', 4401], ['banned', 4403]]) {
      const c = await rawClient(`${guarded.url}?token=${token}`);
      assert.equal((await c.closed).code, code, token);
    }
    const c = await rawClient(`${guarded.url}?token=good`);
    c.send({ type: 'who', id: 'w1', ack: true });
    assert.deepEqual((await ack(c, 'w1')).payload.reply, { identity: { user: 'ann' } });
    const refused = await c.join('secret:1');
    assert.deepEqual(refused.type, 'rt:error');
    assert.equal(refused.payload.code, 'forbidden');
    assert.equal(refused.payload.channel, 'secret:1');
    assert.equal((await c.join('open:1')).type, 'rt:joined');
    assert.deepEqual(seen.slice(-3), ['(connection)', 'secret:1', 'open:1']);
    await c.close();
  } finally {
    await guarded.close();
  }
});

test('close() closes clients with 1001', T, async () => {
  const other = await createRealtimeServer({ host: '127.0.0.1' });
  const c = await rawClient(other.url);
  await other.close();
  assert.equal((await c.closed).code, 1001);
});

test('a slow consumer (more than maxBufferedBytes unsent) is closed with 1013 and can resume', T, async () => {
  const slow = await createRealtimeServer({
    host: '127.0.0.1',
    store: memoryStore({ historySize: 4000 }),
    limits: { maxBufferedBytes: 64 * 1024 },
  });
  try {
    const c = await rawClient(slow.url);
    const { epoch } = (await c.join('big')).payload;
    c.ws._socket.pause(); // stop reading: the server's send buffer grows
    const blob = 'x'.repeat(4 * 1024);
    const n = 4000; // more than the socket buffers of the loopback hold
    for (let i = 1; i <= n; i++) {
      await slow.publish('big', 'blob', blob);
      if (i % 100 === 0) await new Promise(setImmediate); // let the server write (and notice)
    }
    c.ws._socket.resume();
    assert.equal((await c.closed).code, 1013);
    const got = c.queue.filter((f) => f.channel === 'big').length;
    assert.ok(got < n, `${got} of ${n} delivered before the close`);
    const again = await rawClient(slow.url);
    assert.equal((await again.join('big', { epoch, offset: got })).payload.recovered, true);
    assert.equal((await again.next((f) => f.channel === 'big')).offset, got + 1);
    await again.close();
  } finally {
    await slow.close();
  }
});
