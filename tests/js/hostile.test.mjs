// Hostile input, everywhere the runtime parses, each against a real server: oversize frames and
// events, invalid UTF-8 (a raw TCP WebSocket server; SSE bytes), 100,000-level nesting, prototype
// keys, non-string types, and floods of 100,000 messages (event-loop responsiveness and memory).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { EventSource as EventSourcePackage } from 'eventsource';
import {
  EncryptedMessageHandler, RealtimeError, ServerSentEventsManager, WebSocketManager, loadRuntime,
} from '../../dist/index.js';
import {
  SSE_HEADERS, collect, envelope, framesUntilGood, nextEvent, startHttpServer, startWsServer, untilState,
} from './helpers.mjs';

let runtime;
before(async () => {
  runtime = await loadRuntime();
});
const heapBytes = () => runtime._heapBytes();

const NativeEventSource = globalThis.EventSource ?? EventSourcePackage;
const SSE_TRANSPORTS = [
  ['fetch', { transport: 'fetch' }],
  ['eventsource', { transport: 'eventsource', EventSource: NativeEventSource }],
];

const deepArray = (n) => '['.repeat(n) + ']'.repeat(n);


function assertPrototypesUntouched() {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), OBJECT_PROTO_KEYS);
  assert.equal({}.polluted, undefined);
  assert.equal([].polluted, undefined);
  assert.equal(Object.prototype.polluted, undefined);
}
const OBJECT_PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/**
 * A WebSocket server written on raw TCP, so that it can send what no conforming server would.
 * `onOpen(socket, n)` runs after the handshake of the n-th connection; `frame(text|Buffer)` makes
 * an unmasked text frame. Anything the client sends afterwards (its close frame) ends the socket.
 */
async function startRawWsServer(onOpen) {
  let count = 0;
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (data) => {
      const key = /sec-websocket-key:\s*(\S+)/i.exec(data.toString('latin1'))[1];
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      socket.on('data', () => socket.destroy());
      onOpen(socket, ++count);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function frame(payload) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  if (body.length >= 126) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x81, body.length]), body]);
}

/** Starts a server in a worker thread (so that its sending does not block OUR event loop). */
async function startWorkerServer(source) {
  const require = createRequire(import.meta.url);
  const worker = new Worker(source, { eval: true, workerData: { wsPath: require.resolve('ws') } });
  const port = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { port, close: () => worker.terminate() };
}

/** Measures the largest gap between ticks of a 1 ms interval while `work` runs. */
async function probeLoop(work) {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 1);
  const start = performance.now();
  try {
    await work();
  } finally {
    clearInterval(probe);
  }
  const now = performance.now();
  return { maxGap: Math.max(maxGap, now - last), ticks, ms: now - start };
}

describe('oversize input', () => {
  test('WS: frames over maxMessageBytes are dropped with an error; the connection stays', async (t) => {
    const frames = [
      envelope('x', 'a'.repeat(2000)),      // 2 KB of ASCII: refused before it is copied
      envelope('x', '€'.repeat(900)),        // ≤ 1000 UTF-16 units, 2.7 KB of UTF-8: refused in C++
      envelope('ok', 1),
    ];
    const server = await startWsServer((socket) => frames.forEach((f) => socket.send(f)));
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, maxMessageBytes: 1000 });
    t.after(() => m.dispose());
    const errors = [];
    m.on('error', (e) => errors.push(e));
    const ok = collect(m, 'ok', 1);
    await m.connect();
    await ok.done;
    assert.deepEqual(errors.map((e) => e.code), ['too_large', 'too_large']);
    assert.match(errors[0].message, /> 1000/);
    assert.equal(m.state, 'open');
    assert.equal(server.connections.length, 1);
    assert.equal(m.stats.errors, 2);
  });

  test('WS: a 32 MB frame is refused without being copied into WebAssembly memory', async (t) => {
    const huge = envelope('x', 'a'.repeat(32 * 1024 * 1024));
    const server = await startWsServer((socket) => {
      socket.send(huge);
      socket.send(envelope('ok', 1));
    });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });  // default limit: 1 MiB
    t.after(() => m.dispose());
    const before = heapBytes();
    const tooLarge = nextEvent(m, 'error', (e) => e.code === 'too_large');
    const ok = collect(m, 'ok', 1);
    await m.connect();
    await tooLarge;
    await ok.done;
    const grown = heapBytes() - before;
    t.diagnostic(`wasm heap growth for a 32 MB frame: ${grown} bytes`);
    assert.ok(grown < 4 * 1024 * 1024, `wasm heap grew by ${grown} bytes`);
  });

  for (const [name, transportConfig] of SSE_TRANSPORTS) {
    test(`SSE (${name}): an event over maxEventBytes is an error`, async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write('data: small-1\n\n');
        res.write(`data: ${'x'.repeat(5000)}\n\n`);
        res.write('data: small-2\n\n');
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, maxEventBytes: 1000, ...transportConfig });
      t.after(() => m.dispose());
      const errors = [];
      m.on('error', (e) => errors.push(e.code));
      const got = [];
      let secondSmall;
      const both = new Promise((resolve) => (secondSmall = resolve));
      m.subscribe('message', (e) => {
        got.push(e.data);
        if (got.length === 2) secondSmall();
      });
      const failed = nextEvent(m, 'error', (e) => e.code === 'stream_too_large');
      await m.connect();
      await failed;
      if (name === 'fetch') {
        // The C++ parser stops at the limit without buffering further: the stream fails (no
        // retry: resuming would fetch the same event again).
        await untilState(m, 'closed');
        assert.deepEqual(got, ['small-1']);
      } else {
        // The browser already parsed it: the event is dropped and the stream keeps serving.
        await both;
        assert.deepEqual(got, ['small-1', 'small-2']);
        assert.equal(m.state, 'open');
      }
      assert.deepEqual(errors, ['stream_too_large']);
    });
  }
});

describe('invalid UTF-8', () => {
  test('WS: a raw server sends invalid UTF-8 in a text frame: an error, not a crash; then it reconnects', async (t) => {
    const server = await startRawWsServer((socket, n) => {
      if (n === 1) socket.write(frame(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])));  // {"\xff\xfe"}
      else socket.write(frame(envelope('ok', n)));
    });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, reconnectInterval: 10, heartbeatInterval: 0 });
    t.after(() => m.dispose());
    const errors = [];
    m.on('error', (e) => errors.push(e));
    const closes = [];
    m.on('close', (e) => closes.push(e));
    const ok = collect(m, 'ok', 1);
    await m.connect();
    assert.deepEqual(await ok.done, [2]);
    // The socket implementation (ws) validates UTF-8 and fails the connection (it sends 1007);
    // the runtime reports why, and the unclean close reconnects like any network failure.
    assert.equal(errors[0]?.code, 'invalid_utf8');
    assert.ok(errors[0] instanceof RealtimeError);
    assert.equal(closes[0].wasClean, false);
    assert.equal(m.state, 'open');
  });

  for (const [name, transportConfig] of SSE_TRANSPORTS) {
    test(`SSE (${name}): invalid UTF-8 bytes become U+FFFD`, async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(Buffer.concat([Buffer.from('data: a'), Buffer.from([0xff]), Buffer.from('b'),
          Buffer.from([0xc3]), Buffer.from('\n\n')]));
        res.write(Buffer.concat([Buffer.from('data: '), Buffer.from([0xe2, 0x82])]));  // cut…
        res.write(Buffer.concat([Buffer.from('x\n\n')]));                               // …never completed
        res.write(Buffer.concat([Buffer.from('data: '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('|'),
          Buffer.from([0xc0, 0xaf]), Buffer.from('\n\n')]));  // a surrogate and an overlong '/'
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, ...transportConfig });
      t.after(() => m.dispose());
      const got = collect(m, 'message', 3);
      await m.connect();
      assert.deepEqual((await got.done).map((e) => e.data), [
        'a\uFFFDb\uFFFD', '\uFFFDx', '\uFFFD\uFFFD\uFFFD|\uFFFD\uFFFD',
      ]);
    });
  }
});

describe('hostile JSON', () => {
  test('WS: 100,000-level nesting is an error (too_deep), no stack overflow; the next message arrives', async (t) => {
    const frames = [
      `{"type":"x","payload":${deepArray(100_000)}}`,
      `{"type":"x","payload":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
      deepArray(100_000),
      envelope('ok', 1),
    ];
    const { manager: m, errors } = await framesUntilGood(t, frames, 'ok', { wildcard: true });
    assert.deepEqual(errors, ['too_deep', 'too_deep', 'too_deep']);
    assert.equal(m.state, 'open');
  });

  for (const [name, transportConfig] of SSE_TRANSPORTS) {
    test(`SSE (${name}): 100,000-level nested data is an error (too_deep); the stream keeps serving`, async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(`data: ${deepArray(100_000)}\n\n`);
        res.write('data: {"after":true}\n\n');
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, ...transportConfig });
      t.after(() => m.dispose());
      const errors = [];
      m.on('error', (e) => errors.push(e.code));
      const got = collect(m, 'message', 1);
      await m.connect();
      assert.deepEqual((await got.done).map((e) => e.data), [{ after: true }]);
      assert.deepEqual(errors, ['too_deep']);
      assert.equal(m.state, 'open');
    });
  }

  test('codec: a decrypted 100,000-level payload is an error (too_deep), not handed over', async (t) => {
    const key = new Uint8Array(randomBytes(32));
    const raw = new EncryptedMessageHandler();
    await raw.initialize(key);
    // Sealed directly with WebCrypto: encryptMessage would have to JSON.stringify such a value,
    // which overflows V8's stack (JSON.parse copes, a recursive walk of the result would not).
    const subtle = globalThis.crypto.subtle;
    const k = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, k, new TextEncoder().encode(deepArray(100_000))));
    const wire = Buffer.concat([iv, ct]).toString('base64');
    await assert.rejects(raw.decryptMessage(wire), (e) => e.code === 'too_deep');
    const server = await startWsServer(async (socket) => {
      socket.send(envelope('secret', wire));
      socket.send(envelope('secret', await raw.encryptMessage({ ok: true })));
    });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, codec: raw });
    t.after(() => m.dispose());
    const errors = [];
    m.on('error', (e) => errors.push(e.code));
    const ok = collect(m, 'secret', 1);
    await m.connect();
    assert.deepEqual(await ok.done, [{ ok: true }]);
    assert.deepEqual(errors, ['too_deep']);
  });

  test('WS: __proto__ and constructor keys do not pollute prototypes; they are own properties', async (t) => {
    const evil = '{"type":"x","__proto__":{"polluted":"envelope"},"payload":{"__proto__":{"polluted":"yes"},' +
      '"constructor":{"prototype":{"polluted":"yes"}},"a":1}}';
    const byName = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']
      .map((type) => `{"type":${JSON.stringify(type)},"payload":{"__proto__":{"polluted":"${type}"}}}`);
    const server = await startWsServer((socket) => {
      socket.send(evil);
      byName.forEach((f) => socket.send(f));
    });
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });
    t.after(() => m.dispose());
    const wildcard = [];
    m.on('message', (msg) => wildcard.push(msg));
    const x = collect(m, 'x', 1);
    const named = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'].map((type) => collect(m, type, 1));
    await m.connect();
    const [payload] = await x.done;
    assert.ok(Object.hasOwn(payload, '__proto__'), 'an own property named __proto__');
    assert.equal(Object.getPrototypeOf(payload), Object.prototype);
    assert.equal(payload.polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(payload, '__proto__').value, { polluted: 'yes' });
    assert.equal(payload.a, 1);
    for (const n of named) {
      const [p] = await n.done;
      assert.ok(Object.hasOwn(p, '__proto__'));
      assert.equal(Object.getPrototypeOf(p), Object.prototype);
    }
    assert.ok(Object.hasOwn(wildcard[0], '__proto__'));
    assert.equal(Object.getPrototypeOf(wildcard[0]), Object.prototype);
    assertPrototypesUntouched();
  });

  test('WS: an escaped spelling of "type" is the type, for the router and for JS alike', async (t) => {
    const server = await startWsServer((socket) => socket.send('{"type":"a","t\\u0079pe":"b","payload":1}'));
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });
    t.after(() => m.dispose());
    const seenA = [];
    m.subscribe('a', (p) => seenA.push(p));
    const wild = nextEvent(m, 'message');
    const b = collect(m, 'b', 1);
    await m.connect();
    assert.deepEqual(await b.done, [1]);
    assert.equal((await wild).type, 'b', 'JSON.parse agrees with the router');
    assert.deepEqual(seenA, []);
  });

  for (const [name, transportConfig] of SSE_TRANSPORTS) {
    test(`SSE (${name}): events named constructor/__proto__/toString are delivered; no pollution`, async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        for (const type of ['constructor', '__proto__', 'toString']) {
          res.write(`event: ${type}\ndata: {"__proto__":{"polluted":"${type}"},"constructor":{"prototype":{"polluted":1}}}\n\n`);
        }
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, ...transportConfig });
      t.after(() => m.dispose());
      const waits = ['constructor', '__proto__', 'toString'].map((type) => collect(m, type, 1));
      await m.connect();
      for (const w of waits) {
        const [event] = await w.done;
        assert.ok(Object.hasOwn(event.data, '__proto__'));
        assert.equal(Object.getPrototypeOf(event.data), Object.prototype);
        assert.equal(event.data.polluted, undefined);
      }
      assertPrototypesUntouched();
    });
  }

  test('WS: non-string "type" values are rejected, one error each', async (t) => {
    const frames = ['{"type":42}', '{"type":null}', '{"type":true}', '{"type":["a"]}', '{"type":{"a":1}}',
      '{"payload":1}', '{"type":"ok"}'];
    const { manager: m, errors } = await framesUntilGood(t, frames, 'ok');
    assert.deepEqual(errors, ['type_not_string', 'type_not_string', 'type_not_string', 'type_not_string',
      'type_not_string', 'type_missing']);
    assert.throws(() => m.send({ type: 42, payload: 1 }), TypeError);
    assert.throws(() => m.send({ type: null }), TypeError);
  });
});

describe('floods', () => {
  const N = 100_000;

  test('WS: 100,000 messages at once: all delivered in order, the event loop stays responsive', async (t) => {
    const server = await startWorkerServer(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { WebSocketServer } = require(workerData.wsPath);
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => parentPort.postMessage(wss.address().port));
      wss.on('connection', (s) => { for (let i = 0; i < ${N}; i++) s.send('{"type":"f","payload":' + i + '}'); });`);
    t.after(() => server.close());
    const m = new WebSocketManager({ url: `ws://127.0.0.1:${server.port}`, heartbeatInterval: 0 });
    t.after(() => m.dispose());
    let next = 0;
    let outOfOrder = 0;
    let done;
    const all = new Promise((resolve) => (done = resolve));
    m.subscribe('f', (n) => {
      if (n !== next) outOfOrder++;
      next = n + 1;
      if (n === N - 1) done();
    });
    await loadRuntime();
    const wasmBefore = heapBytes();
    const jsBefore = process.memoryUsage().heapUsed;
    const r = await probeLoop(async () => {
      await m.connect();
      await all;
    });
    const wasmGrowth = heapBytes() - wasmBefore;
    const jsGrowth = process.memoryUsage().heapUsed - jsBefore;
    t.diagnostic(`WS flood: ${N} messages in ${r.ms.toFixed(0)} ms; max event-loop gap ${r.maxGap.toFixed(1)} ms ` +
      `(${r.ticks} probe ticks); wasm heap +${wasmGrowth} B; JS heap ${(jsGrowth / 1e6).toFixed(1)} MB`);
    assert.equal(outOfOrder, 0);
    assert.equal(m.stats.messagesReceived, N);
    assert.ok(r.maxGap < 500, `the loop was blocked for ${r.maxGap.toFixed(0)} ms`);
    assert.ok(r.ticks > 10, 'the probe kept running during the flood');
    assert.equal(wasmGrowth, 0, 'no wasm memory growth: frames are processed one at a time');
    assert.equal(m.state, 'open');
  });

  for (const [name, transportConfig] of SSE_TRANSPORTS) {
    test(`SSE (${name}): 100,000 events at once: all delivered, the event loop stays responsive`, async (t) => {
      const server = await startWorkerServer(`
        const { parentPort } = require('node:worker_threads');
        const http = require('node:http');
        let body = ''; for (let i = 0; i < ${N}; i++) body += 'data: ' + i + '\\n\\n';
        const srv = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write(body); });
        srv.listen(0, '127.0.0.1', () => parentPort.postMessage(srv.address().port));`);
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: `http://127.0.0.1:${server.port}`, ...transportConfig });
      t.after(() => m.dispose());
      let count = 0;
      let done;
      const all = new Promise((resolve) => (done = resolve));
      m.subscribe('message', (e) => {
        if (e.data === count) count++;
        if (count === N) done();
      });
      const wasmBefore = heapBytes();
      const r = await probeLoop(async () => {
        await m.connect();
        await all;
      });
      const wasmGrowth = heapBytes() - wasmBefore;
      t.diagnostic(`SSE ${name} flood: ${N} events in ${r.ms.toFixed(0)} ms; max event-loop gap ` +
        `${r.maxGap.toFixed(1)} ms (${r.ticks} probe ticks); wasm heap +${wasmGrowth} B`);
      assert.equal(count, N, 'all, in order');
      assert.ok(r.maxGap < 500, `the loop was blocked for ${r.maxGap.toFixed(0)} ms`);
      assert.ok(wasmGrowth < 1 << 20);
    });
  }

  test('offline sends: 100,000 messages keep only messageQueueSize; memory is bounded by it', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, messageQueueSize: 100 });
    t.after(() => m.dispose());
    await loadRuntime();
    let dropped = 0;
    m.on('drop', (d) => (dropped += d.count));
    m.send({ type: 'warmup', payload: 0 });
    const wasmBefore = heapBytes();
    for (let i = 0; i < N; i++) m.send({ type: 'n', payload: { i, pad: 'x'.repeat(100) } });
    const wasmGrowth = heapBytes() - wasmBefore;
    t.diagnostic(`offline flood: queue ${m.stats.queueDepth}, dropped ${dropped}, wasm heap +${wasmGrowth} B`);
    assert.equal(m.stats.queueDepth, 100);
    assert.equal(dropped, N + 1 - 100);
    assert.ok(wasmGrowth < 1 << 20, `wasm heap grew by ${wasmGrowth}`);
    const received = [];
    const hundred = server.nextConnection(1).then((s) => new Promise((resolve) => s.on('message', (d) => {
      received.push(JSON.parse(String(d)).payload.i);
      if (received.length === 100) resolve();
    })));
    await m.connect();
    await hundred;
    assert.deepEqual(received, Array.from({ length: 100 }, (_, k) => N - 100 + k), 'the newest 100, in order');
  });
});

describe('hostile options', () => {
  // Each option is read by C++ with its default and its range (emscripten/ws_client.cpp,
  // sse_client.cpp, host_support.cpp JsConfig): one it cannot take is an invalid_config error
  // naming it, and the connection never opens, instead of running on a coerced value (NaN
  // reconnectInterval gave up at once; -1 messageQueueSize wrapped around).
  const WS_BAD = [
    [{ messageQueueSize: -1 }, 'messageQueueSize must be an integer >= 0 and <= 4294967295'],
    [{ reconnectInterval: NaN }, 'reconnectInterval must be a number >= 0'],
    [{ reconnectAttempts: 1.5 }, 'reconnectAttempts must be an integer >= 0'],
    [{ maxMessageBytes: '1000' }, 'maxMessageBytes must be an integer >= 1 and <= 4294967295'],
    [{ maxDepth: 1e12 }, 'maxDepth must be an integer >= 1 and <= 4294967295'],
    [{ heartbeatMissedLimit: 0 }, 'heartbeatMissedLimit must be an integer >= 1 and <= 4294967295'],
    [{ connectTimeout: -5 }, 'connectTimeout must be a number >= 0'],
    [{ reconnectJitter: 'yes' }, 'reconnectJitter must be true or false'],
  ];
  for (const [options, detail] of WS_BAD) {
    test(`WS: ${JSON.stringify(options)} is invalid_config, and nothing is opened`, async (t) => {
      const server = await startWsServer();
      t.after(() => server.close());
      const m = new WebSocketManager({ url: server.url, ...options });
      t.after(() => m.dispose());
      const errors = [];
      m.on('error', (e) => errors.push(e));
      const states = [];
      m.on('state', (e) => states.push(e.newState));
      await assert.rejects(m.connect(), (e) => e instanceof RealtimeError && e.code === 'invalid_config');
      assert.deepEqual(errors.map((e) => [e.code, e.message]), [['invalid_config', `invalid configuration: ${detail}`]]);
      assert.deepEqual(states, ['connecting', 'closed']);
      assert.equal(server.connections.length, 0);
    });
  }

  test('WS: the same options in range connect as before (0, Infinity, booleans, null as absent)', async (t) => {
    const server = await startWsServer();
    t.after(() => server.close());
    const m = new WebSocketManager({
      url: server.url, messageQueueSize: 0, reconnectAttempts: Infinity, maxReconnectInterval: Infinity,
      heartbeatInterval: 0, connectTimeout: 0, reconnectJitter: false, minUptime: null, maxDepth: undefined,
    });
    t.after(() => m.dispose());
    m.on('error', (e) => assert.fail(`unexpected error ${e.code}: ${e.message}`));
    await m.connect();
    assert.equal(server.connections.length, 1);
  });

  for (const [name, transport] of SSE_TRANSPORTS) {
    test(`SSE (${name}): maxEventBytes 0 is invalid_config, and no request is made`, async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, ...transport, maxEventBytes: 0 });
      t.after(() => m.dispose());
      const errors = [];
      m.on('error', (e) => errors.push(e.message));
      await assert.rejects(m.connect(), (e) => e.code === 'invalid_config');
      assert.deepEqual(errors, ['invalid configuration: maxEventBytes must be an integer >= 1 and <= 4294967295']);
      assert.equal(server.requests.length, 0);
    });
  }
});
