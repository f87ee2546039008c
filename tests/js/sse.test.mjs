import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { EventSource as EventSourcePackage } from 'eventsource';
import { RealtimeError, ServerSentEventsManager, liveHandles, loadRuntime } from '../../dist/index.js';
import { SSE_HEADERS, collect, nextEvent, startHttpServer, untilState } from './helpers.mjs';

before(() => loadRuntime());

// Both transports run: the fetch stream (C++ parser) and an EventSource — Node's own, which is
// browser-faithful (scripts/test.sh runs node with --experimental-eventsource), else the
// `eventsource` package.
const NativeEventSource = globalThis.EventSource ?? EventSourcePackage;
const TRANSPORTS = [
  ['fetch', { transport: 'fetch' }],
  ['eventsource', { transport: 'eventsource', EventSource: NativeEventSource }],
];


for (const [name, transportConfig] of TRANSPORTS) {
  describe(`ServerSentEventsManager (${name} transport) against a real HTTP server`, () => {
    test('named events with JSON and text data', async (t) => {
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write('event: update\nid: 1\ndata: {"price": 42}\n\n');
        res.write(': a comment\nevent: note\ndata: plain text\ndata: second line\n\n');
        res.write('data: {"unnamed": true}\n\n');
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: `${server.url}/stream`, ...transportConfig });
      t.after(() => m.dispose());
      const updates = collect(m, 'update', 1);
      const notes = collect(m, 'note', 1);
      const messages = collect(m, 'message', 1);
      await m.connect();
      assert.equal(m.isConnected, true);
      assert.equal(m.readyState, 1);
      assert.deepEqual(await updates.done, [{ id: '1', event: 'update', data: { price: 42 } }]);
      assert.deepEqual(await notes.done, [{ id: '1', event: 'note', data: 'plain text\nsecond line' }]);
      assert.deepEqual(await messages.done, [{ id: '1', event: 'message', data: { unnamed: true } }]);
      assert.equal(server.requests[0].headers.accept, 'text/event-stream');
    });

    test('data that starts like JSON but is not stays the string; non-ASCII data on either side', async (t) => {
      const texts = ['{not json', 'true story', '42 is the answer', '[1, 2', '"unterminated', 'null!'];
      const server = await startHttpServer((req, res) => {
        res.writeHead(200, SSE_HEADERS);
        // One write: every event in one chunk (the fetch transport decodes a chunk once when it is
        // all ASCII); the second write holds non-ASCII text, decoded event by event.
        res.write(texts.map((d) => `event: t\ndata: ${d}\n\n`).join('') + 'event: t\ndata: {"ok":1}\n\n');
        setTimeout(() => res.write('event: t\ndata: {"name":"Zoë ✓"}\n\nevent: t\ndata: Zoë [\n\n'), 20);
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, ...transportConfig });
      t.after(() => m.dispose());
      const got = collect(m, 't', texts.length + 3);
      await m.connect();
      assert.deepEqual((await got.done).map((e) => e.data), [...texts, { ok: 1 }, { name: 'Zoë ✓' }, 'Zoë [']);
    });

    test('a server that drops the stream every 100 of 2,000 events: all arrive, in order, once', async (t) => {
      const TOTAL = 2000;
      const server = await startHttpServer((req, res) => {
        const last = Number(req.headers['last-event-id'] ?? 0);
        res.writeHead(200, SSE_HEADERS);
        let out = 'retry: 5\n\n';
        for (let i = last + 1; i <= Math.min(last + 100, TOTAL); i++) {
          out += `id: ${i}\nevent: tick\ndata: {"n":${i}}\n\n`;
        }
        res.end(out);
      });
      t.after(() => server.close());
      const m = new ServerSentEventsManager({
        url: server.url, reconnectInterval: 5, ...transportConfig,
      });
      t.after(() => m.dispose());
      const ticks = collect(m, 'tick', TOTAL);
      await m.connect();
      const got = (await ticks.done).map((e) => e.data.n);
      assert.deepEqual(got, Array.from({ length: TOTAL }, (_, i) => i + 1));
      assert.equal(m.lastEventId, String(TOTAL));
      assert.ok(server.requests.length >= 20, `${server.requests.length} requests`);
      assert.equal(server.requests[1].headers['last-event-id'], '100');
    });

    test('HTTP 500 gives an error with the status and no retry loop', async (t) => {
      const server = await startHttpServer((req, res) => res.writeHead(500).end('boom'));
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, reconnectInterval: 1, ...transportConfig });
      t.after(() => m.dispose());
      const failure = nextEvent(m, 'error');
      await assert.rejects(m.connect(), (e) => e instanceof RealtimeError);
      const err = await failure;
      if (name === 'fetch') {
        assert.equal(err.code, 'http_status');
        assert.equal(err.status, 500);
        assert.match(err.message, /HTTP 500/);
      } else {
        assert.equal(err.code, 'connect_failed');
      }
      assert.equal(m.state, 'closed');
      assert.equal(server.requests.length, 1);
    });

    test('a wrong content type gives an error with the reason and no retry loop', async (t) => {
      const server = await startHttpServer((req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      t.after(() => server.close());
      const m = new ServerSentEventsManager({ url: server.url, reconnectInterval: 1, ...transportConfig });
      t.after(() => m.dispose());
      const failure = nextEvent(m, 'error');
      await assert.rejects(m.connect());
      const err = await failure;
      if (name === 'fetch') {
        assert.equal(err.code, 'bad_content_type');
        assert.match(err.message, /application\/json/);
      }
      assert.equal(server.requests.length, 1);
    });
  });
}

describe('ServerSentEventsManager specifics', () => {
  test('the retry field changes the reconnect delay', async (t) => {
    const server = await startHttpServer((req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.end(server.requests.length === 1 ? 'retry: 10\n\n' : 'data: again\n\n');
    });
    t.after(() => server.close());
    // Without the retry field the reconnect would wait a minute and the test would time out.
    const m = new ServerSentEventsManager({ url: server.url, reconnectInterval: 60_000, transport: 'fetch' });
    t.after(() => m.dispose());
    const again = collect(m, 'message', 1);
    await m.connect();
    assert.deepEqual((await again.done)[0].data, 'again');
    assert.equal(server.requests.length, 2);
  }, { timeout: 20_000 });

  test('custom headers and a POST body reach the server with the fetch transport', async (t) => {
    const server = await startHttpServer((req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write('data: ok\n\n');
    });
    t.after(() => server.close());
    const m = new ServerSentEventsManager({
      url: server.url,
      headers: { Authorization: 'Bearer abc', 'X-Trace': '7' },
      method: 'POST',
      body: JSON.stringify({ subscribe: ['prices'] }),
    });
    t.after(() => m.dispose());
    assert.equal(m.transport, 'fetch');
    const ok = collect(m, 'message', 1);
    await m.connect();
    await ok.done;
    const req = server.requests[0];
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.authorization, 'Bearer abc');
    assert.equal(req.headers['x-trace'], '7');
    assert.deepEqual(JSON.parse(req.body), { subscribe: ['prices'] });
  });

  test('EventSource cannot send headers: asking for both is a clear error', () => {
    assert.throws(
      () => new ServerSentEventsManager({ url: 'http://x', transport: 'eventsource', headers: { a: 'b' } }),
      /cannot send headers/,
    );
  });

  test('an endless 8 MiB line ends the stream with an error, memory bounded', async (t) => {
    const server = await startHttpServer((req, res) => {
      res.writeHead(200, SSE_HEADERS);
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(sent === chunk.length ? `data: ${chunk}` : chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    t.after(() => server.close());
    const mod = await loadRuntime();
    const heapBefore = mod.HEAPU8.length;
    const m = new ServerSentEventsManager({ url: server.url, transport: 'fetch' });
    t.after(() => m.dispose());
    const failure = nextEvent(m, 'error');
    await m.connect().catch(() => {});
    const err = await failure;
    assert.equal(err.code, 'stream_too_large');
    assert.match(err.message, /1048576 bytes/);
    await untilState(m, 'closed');
    assert.equal(server.requests.length, 1, 'no reconnect after the limit');
    const grown = mod.HEAPU8.length - heapBefore;
    assert.ok(grown <= 4 * 1024 * 1024, `wasm heap grew by ${grown} bytes`);
  });

  test('disconnect() means no reconnect and frees everything', async (t) => {
    const server = await startHttpServer((req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write('data: hi\n\n');
    });
    t.after(() => server.close());
    const m = new ServerSentEventsManager({ url: server.url, reconnectInterval: 1, transport: 'fetch' });
    const hi = collect(m, 'message', 1);
    await m.connect();
    await hi.done;
    m.disconnect();
    assert.equal(m.state, 'closed');
    assert.equal(m.readyState, 2);
    m.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(liveHandles(), 0);
    assert.equal(server.requests.length, 1);
  });

  test('a server that is gone gives up after reconnectAttempts', async (t) => {
    const server = await startHttpServer(() => {});
    const url = server.url;
    await server.close();
    const m = new ServerSentEventsManager({ url, reconnectInterval: 1, reconnectAttempts: 2, transport: 'fetch' });
    t.after(() => m.dispose());
    await assert.rejects(m.connect(), (e) => e.code === 'gave_up');
  });
});

test('without a global EventSource the fetch transport is chosen (plain Node)', () => {
  const saved = globalThis.EventSource;
  delete globalThis.EventSource;
  try {
    assert.equal(new ServerSentEventsManager({ url: 'http://x' }).transport, 'fetch');
  } finally {
    if (saved) globalThis.EventSource = saved;
  }
  if (saved) assert.equal(new ServerSentEventsManager({ url: 'http://x' }).transport, 'eventsource');
  assert.equal(new ServerSentEventsManager({ url: 'http://x', headers: { a: 'b' } }).transport, 'fetch');
});
