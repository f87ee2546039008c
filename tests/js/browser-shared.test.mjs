// runtime 'shared' | 'worker' in real headless Chromium (issue 12): several pages of one browser
// context are tabs of one origin (they share SharedWorkers, BroadcastChannel and Web Locks). The
// package is served from dist/ to pages on 127.0.0.1; the servers are a real `ws` server (counts
// its sockets) and realtime-wasm/server (channels, acks). Waits poll the page or the server
// state (page.waitForFunction / until), never a fixed sleep.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createRealtimeServer, memoryStore } from 'realtime-wasm/server';
import { launchChromium, serveDist } from './browser-helpers.mjs';
import { startWsServer } from './helpers.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const T = { timeout: 60_000 };
const WAIT = { timeout: 15_000 };
// A strict CSP: no eval (only WebAssembly compilation), scripts and workers from this origin.
const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self' ws://127.0.0.1:*";
const NO_WORKERS_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'; connect-src 'self' ws://127.0.0.1:*";

let browser;
let http;
let origin;

before(async () => {
  assert.ok(existsSync(join(root, 'dist/worker/shared-entry.js')), 'dist/ is not built: run scripts/build.sh');
  browser = await launchChromium();
  // ?csp=strict|none on the page: the page and the scripts it loads (workers included: their
  // fetch's referrer is the page) carry that policy.
  http = await serveDist({
    headers: (req, url) => {
      const wanted = url.searchParams.get('csp') ?? /[?&]csp=(\w+)/.exec(req.headers.referer ?? '')?.[1];
      const csp = { strict: STRICT_CSP, none: NO_WORKERS_CSP }[wanted];
      return csp ? { 'content-security-policy': csp } : {};
    },
  });
  origin = http.origin;
});

after(async () => {
  await browser?.close();
  await http?.close();
});

/** Waits until `predicate()` holds (re-checked every 20 ms). */
async function until(predicate, what, timeoutMs = WAIT.timeout) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A ws server that broadcasts every 'say' as a 'b' to every socket, and counts its sockets. */
async function broadcastServer() {
  const said = [];
  const server = await startWsServer((socket) => {
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type !== 'say') return;
      said.push(msg.payload);
      for (const s of server.wss.clients) s.send(JSON.stringify({ type: 'b', payload: msg.payload }));
    });
  });
  return Object.assign(server, { said, open: () => server.wss.clients.size });
}

/** Opens a tab with a WebSocketManager; deliveries land in window.rt. */
async function openTab(context, url, config, { query = '' } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}/app${query}`);
  await page.evaluate(async ({ url, config }) => {
    const { WebSocketManager } = await import('/dist/index.js');
    const rt = { got: [], warnings: [], states: [] };
    rt.m = new WebSocketManager({ url, ...config });
    rt.m.on('warning', (w) => rt.warnings.push(w));
    rt.m.on('state', (e) => rt.states.push(e.newState));
    rt.m.subscribe('b', (p) => rt.got.push(p));
    window.rt = rt;
    await rt.m.connect();
  }, { url, config });
  return { page, problems };
}

const got = (page) => page.evaluate(() => window.rt.got.map((p) => p.from));
const say = (page, from) => page.evaluate((from) => window.rt.m.send({ type: 'say', payload: { from } }), from);
const hostInfo = (page, mode) => page.evaluate(async (mode) => (await import('/dist/worker/remote.js')).remoteInfo(mode), mode);

/** Every tab sends once; every tab must get every broadcast, and the server each send once. */
async function everyoneHearsEveryone(server, tabs, round) {
  const before = server.said.length;
  const ids = tabs.map((_, i) => `${round}-${i}`);
  for (const [i, tab] of tabs.entries()) await say(tab.page, ids[i]);
  for (const tab of tabs) {
    await tab.page.waitForFunction((ids) => ids.every((id) => window.rt.got.some((p) => p.from === id)), ids, WAIT);
  }
  await until(() => server.said.length >= before + ids.length, 'the server to get every send');
  const arrived = server.said.slice(before).map((p) => p.from).sort();
  assert.deepEqual(arrived, [...ids].sort(), 'each send arrives once');
  for (const tab of tabs) {
    const mine = (await got(tab.page)).filter((f) => ids.includes(f));
    assert.deepEqual(mine.sort(), [...ids].sort(), 'each broadcast reaches each tab once');
  }
}

async function fourTabsOneSocket(t, { leader }) {
  const server = await broadcastServer();
  t.after(() => server.close());
  const context = await browser.newContext();
  t.after(() => context.close());
  if (leader) await context.addInitScript(() => { delete window.SharedWorker; });
  const tabs = [];
  for (let i = 0; i < 4; i++) tabs.push(await openTab(context, server.url, { runtime: 'shared' }));
  assert.equal(server.open(), 1, 'four tabs, one socket at the server');
  assert.equal(server.connections.length, 1, 'one socket was ever opened');
  await everyoneHearsEveryone(server, tabs, 'a');
  const info = await hostInfo(tabs[3].page, 'shared');
  assert.equal(info.tabs, 4, 'the host serves four tabs');
  assert.equal(info.sockets, 1);
  for (const tab of tabs) {
    assert.deepEqual(await tab.page.evaluate(() => window.rt.warnings), [], 'no fallback');
    assert.equal(await tab.page.evaluate(async () => (await import('/dist/runtime.js')).runtimeIfLoaded()), null,
      'no tab loads the module (the leader runs it in a worker of its own)');
    assert.deepEqual(tab.problems, []);
  }
  return { server, context, tabs };
}

describe("runtime 'shared' in headless Chromium", () => {
  test('four tabs share one socket; every tab gets every broadcast; each send arrives once; tabs close one by one', T, async (t) => {
    const { server, tabs } = await fourTabsOneSocket(t, { leader: false });
    // Close tabs one by one: the others keep working, on the same socket.
    for (let n = 3; n >= 1; n--) {
      await tabs.pop().page.close();
      await until(async () => (await hostInfo(tabs[0].page, 'shared')).tabs === n, `the host to serve ${n} tab(s)`);
      assert.equal(server.open(), 1);
      await everyoneHearsEveryone(server, tabs, `close${n}`);
    }
    assert.equal(server.connections.length, 1, 'still the first socket');
    // A tab's disconnect() detaches that tab only; the last one closes the socket.
    const second = await openTab(tabs[0].page.context(), server.url, { runtime: 'shared' });
    await second.page.evaluate(() => window.rt.m.disconnect());
    await second.page.waitForFunction(() => window.rt.m.state === 'closed', null, WAIT);
    assert.equal(server.open(), 1, 'the other tab still uses the socket');
    await everyoneHearsEveryone(server, tabs, 'after-disconnect');
    await tabs[0].page.evaluate(() => window.rt.m.disconnect());
    await until(() => server.open() === 0, 'the socket to close when no tab uses it');
  });

  test('never shared across credentials: other protocols or a function url are other sockets; a shareKey shares; a SecureWebSocketManager moves into the host (its own socket), a WebSocket option keeps it in the page', T, async (t) => {
    const tokens = [];
    const server = await startWsServer((socket, request) => {
      const auth = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).find((p) => p.startsWith('auth.'));
      if (auth) tokens.push(auth.slice(5));
    });
    t.after(() => server.close());
    const sockets = () => server.wss.clients.size;
    const context = await browser.newContext();
    t.after(() => context.close());
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'u', exp: Date.now() / 1000 + 3600 })}.${b64('sig')}`;
    const tab = async (setup, extra = {}) => {
      const page = await context.newPage();
      await page.goto(`${origin}/app`);
      await page.evaluate(setup, { url: server.url, jwt, ...extra });
      return page;
    };
    // Two tabs, each with its own URL function: two sockets; two more with one shareKey: one.
    const withFunction = async ({ url, shareKey }) => {
      const { WebSocketManager } = await import('/dist/index.js');
      const m = new WebSocketManager({ url: () => url, runtime: 'shared', shareKey });
      window.rt = { m };
      await m.connect();
    };
    await tab(withFunction);
    await tab(withFunction);
    assert.equal(sockets(), 2, 'a function url is its tab\'s own');
    await tab(withFunction, { shareKey: 'the-feed' });
    await tab(withFunction, { shareKey: 'the-feed' });
    assert.equal(sockets(), 3, 'tabs with the same shareKey share one socket');
    // Other protocols, other socket.
    const withProtocols = async ({ url }) => {
      const { WebSocketManager } = await import('/dist/index.js');
      window.rt = { m: new WebSocketManager({ url, runtime: 'shared', protocols: ['v2'] }) };
      await window.rt.m.connect();
    };
    await tab(withProtocols);
    assert.equal(sockets(), 4);
    // SecureWebSocketManager moves into the host: its token provider runs in the tab, the host
    // injects the token into the socket it opens; the socket is that manager's own.
    const secure = await tab(async ({ url, jwt }) => {
      const { SecureWebSocketManager } = await import('/dist/index.js');
      const warnings = [];
      const m = new SecureWebSocketManager({ url, runtime: 'shared', auth: { tokenProvider: async () => jwt } });
      m.on('warning', (w) => warnings.push(w.code));
      window.rt = { m, warnings };
      await m.connect();
    });
    assert.deepEqual(await secure.evaluate(() => window.rt.warnings), [], 'no fallback');
    assert.equal(await secure.evaluate(async () => (await import('/dist/runtime.js')).runtimeIfLoaded()), null,
      'the secure tab does not load the module');
    assert.deepEqual(tokens, [jwt], 'the token went with the secure tab\'s own socket');
    assert.equal(sockets(), 5);
    // What still cannot move: a WebSocket constructor option keeps it in the page, with a warning.
    const pinned = await tab(async ({ url, jwt }) => {
      const { SecureWebSocketManager } = await import('/dist/index.js');
      const warnings = [];
      const m = new SecureWebSocketManager({
        url, runtime: 'shared', WebSocket: window.WebSocket, auth: { tokenProvider: async () => jwt },
      });
      m.on('warning', (w) => warnings.push(w.code));
      window.rt = { m, warnings };
      await m.connect();
    });
    assert.deepEqual(await pinned.evaluate(() => window.rt.warnings), ['runtime_fallback']);
    assert.equal(await pinned.evaluate(async () => (await import('/dist/runtime.js')).runtimeIfLoaded() !== null), true,
      'the module runs in that page');
    assert.deepEqual(tokens, [jwt, jwt]);
    assert.equal(sockets(), 6);
  });

  test('no SharedWorker: a leader tab holds the socket; closing tabs, then the leader (takeover within ~2 s)', T, async (t) => {
    const { server, tabs } = await fourTabsOneSocket(t, { leader: true });
    // A follower closes: the rest keep working on the leader's socket.
    await tabs.pop().page.close();
    await until(async () => (await hostInfo(tabs[0].page, 'shared')).tabs === 3, 'the leader to serve 3 tabs');
    await everyoneHearsEveryone(server, tabs, 'follower-closed');
    assert.equal(server.connections.length, 1);
    // The leader (the first tab: it took the lock first) closes.
    const leader = tabs.shift();
    const closedAt = Date.now();
    await leader.page.close();
    await until(async () => (await hostInfo(tabs[0].page, 'shared'))?.tabs === 2 && server.open() === 1,
      'a new leader serving the two tabs', 5_000);
    const takeover = Date.now() - closedAt;
    t.diagnostic(`leader takeover: ${takeover} ms`);
    assert.ok(takeover < 3_000, `takeover took ${takeover} ms`);
    await everyoneHearsEveryone(server, tabs, 'new-leader');
    assert.equal(server.open(), 1, 'one socket again');
  });

  test('no SharedWorker: plain sends made while the leader tab hands over are held, then arrive once', T, async (t) => {
    const { server, tabs } = await fourTabsOneSocket(t, { leader: true });
    // A listener of each follower's own on the same channel, made after the manager's: by the
    // spec's ordering (BroadcastChannel objects in creation order) the manager has seen a
    // message when this one has.
    for (const tab of tabs.slice(1)) {
      await tab.page.evaluate(() => {
        window.sawLeaving = false;
        new BroadcastChannel('realtime-wasm').onmessage = (e) => {
          if (e.data?.op === 'leaving') window.sawLeaving = true;
        };
      });
    }
    const leader = tabs.shift();
    await leader.page.close();
    for (const tab of tabs) await tab.page.waitForFunction(() => window.sawLeaving, null, WAIT);
    // No host serves now (the next one takes about a second): these used to go to nobody.
    const before = server.said.length;
    const ids = [];
    for (const [i, tab] of tabs.entries()) {
      for (let k = 0; k < 5; k++) {
        ids.push(`held-${i}-${k}`);
        await say(tab.page, `held-${i}-${k}`);
      }
    }
    await until(() => server.said.length >= before + ids.length, 'the held sends to reach the server', 10_000);
    const arrived = server.said.slice(before).map((p) => p.from);
    assert.deepEqual([...arrived].sort(), [...ids].sort(), 'each once');
    for (const i of tabs.keys()) {
      const mine = (list) => list.filter((id) => id.startsWith(`held-${i}-`));
      assert.deepEqual(mine(arrived), mine(ids), "in each tab's order");
    }
    for (const tab of tabs) {
      await tab.page.waitForFunction((ids) => ids.every((id) => window.rt.got.some((p) => p.from === id)), ids, WAIT);
    }
    await everyoneHearsEveryone(server, tabs, 'after-handover');
  });

  test('no SharedWorker: a channel loses nothing and doubles nothing across the leader handover', T, async (t) => {
    const rt = await createRealtimeServer({ host: '127.0.0.1', store: memoryStore() });
    t.after(() => rt.close());
    const context = await browser.newContext();
    t.after(() => context.close());
    await context.addInitScript(() => { delete window.SharedWorker; });
    const pages = [];
    for (let i = 0; i < 3; i++) {
      const page = await context.newPage();
      await page.goto(`${origin}/app`);
      await page.evaluate(async (url) => {
        const { WebSocketManager } = await import('/dist/index.js');
        const m = new WebSocketManager({ url, runtime: 'shared', realtimeProtocol: true });
        const offsets = [];
        m.channel('news').subscribe('item', (_p, meta) => offsets.push(meta.offset));
        window.rt = { m, offsets };
        await m.connect();
      }, rt.url);
      pages.push(page);
    }
    const N = 60;
    const seenAll = (page, n) => page.waitForFunction((n) => window.rt.offsets.length >= n, n, WAIT);
    for (let i = 1; i <= 20; i++) await rt.publish('news', 'item', { i });
    for (const page of pages) await seenAll(page, 20);
    // The leader goes while publications keep coming.
    const closing = pages.shift().close();
    for (let i = 21; i <= N; i++) {
      await rt.publish('news', 'item', { i });
      if (i === 30) await closing;
    }
    for (const page of pages) {
      await seenAll(page, N);
      const offsets = await page.evaluate(() => window.rt.offsets);
      assert.deepEqual(offsets, Array.from({ length: N }, (_, i) => i + 1), 'every publication once, in order');
    }
  });

  test('a tab that joins a shared channel later, from the start, gets the history; the others get nothing twice', T, async (t) => {
    const rt = await createRealtimeServer({ host: '127.0.0.1', store: memoryStore() });
    t.after(() => rt.close());
    const context = await browser.newContext();
    t.after(() => context.close());
    const join = async (page) => {
      await page.goto(`${origin}/app`);
      await page.evaluate(async (url) => {
        const { WebSocketManager } = await import('/dist/index.js');
        const m = new WebSocketManager({ url, runtime: 'shared', realtimeProtocol: true });
        const offsets = [];
        m.channel('log', { since: { epoch: '', offset: 0 } }).subscribe('line', (_p, meta) => offsets.push(meta.offset));
        window.rt = { m, offsets };
        await m.connect();
      }, rt.url);
    };
    const offsetsOf = (page) => page.evaluate(() => window.rt.offsets);
    const first = await context.newPage();
    await join(first);
    for (let i = 1; i <= 5; i++) await rt.publish('log', 'line', { i });
    await first.waitForFunction(() => window.rt.offsets.length >= 5, null, WAIT);
    const second = await context.newPage();
    await join(second);
    await second.waitForFunction(() => window.rt.offsets.length >= 5, null, WAIT);
    for (let i = 6; i <= 8; i++) await rt.publish('log', 'line', { i });
    for (const page of [first, second]) await page.waitForFunction(() => window.rt.offsets.length >= 8, null, WAIT);
    const all = [1, 2, 3, 4, 5, 6, 7, 8];
    assert.deepEqual(await offsetsOf(second), all, 'the late tab got the history, then live');
    assert.deepEqual(await offsetsOf(first), all, 'the first tab got nothing twice');
    assert.equal((await hostInfo(first, 'shared')).sockets, 1);
  });

  test('an acknowledged send from each of two tabs is acked to its sender; server errors keep their code; stats', T, async (t) => {
    const handled = [];
    const rt = await createRealtimeServer({
      host: '127.0.0.1', store: memoryStore(),
      onMessage: (msg) => {
        handled.push(msg.payload.n);
        if (msg.payload.n === 3) throw new Error('three is refused');
        return { echo: msg.payload.n };
      },
    });
    t.after(() => rt.close());
    const context = await browser.newContext();
    t.after(() => context.close());
    const pages = [];
    for (const n of [1, 2]) {
      const page = await context.newPage();
      await page.goto(`${origin}/app`);
      const reply = await page.evaluate(async ({ url, n }) => {
        const { WebSocketManager } = await import('/dist/index.js');
        const m = new WebSocketManager({ url, runtime: 'shared', realtimeProtocol: true });
        window.rt = { m };
        await m.connect();
        return m.sendWithAck({ type: 'job', payload: { n } });
      }, { url: rt.url, n });
      assert.deepEqual(reply, { echo: n }, 'the reply goes to the tab that sent');
      pages.push(page);
    }
    assert.deepEqual(handled.sort(), [1, 2], 'each acked send handled once');
    await pages[0].waitForFunction(() => window.rt.m.stats?.messagesSent >= 2, null, WAIT);
    // A server error comes back as a typed error, with the C++ code's name (sent by the host).
    const err = await pages[1].evaluate(async () => {
      try {
        await window.rt.m.sendWithAck({ type: 'job', payload: { n: 3 } });
        return null;
      } catch (e) {
        return { code: e.code, message: e.message };
      }
    });
    assert.deepEqual(err, { code: 'server_error', message: 'server_error: three is refused' });
  });
});

describe("ServerSentEventsManager with runtime 'shared' in headless Chromium", () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`two tabs share one SSE stream (${transport} transport in the SharedWorker)`, T, async (t) => {
      const streams = new Set();
      const sse = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
        res.write(': open\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
      });
      await new Promise((resolve) => sse.listen(0, '127.0.0.1', resolve));
      t.after(() => new Promise((resolve) => { sse.closeAllConnections(); sse.close(resolve); }));
      const url = `http://127.0.0.1:${sse.address().port}/events`;
      const context = await browser.newContext();
      t.after(() => context.close());
      const pages = [];
      for (let i = 0; i < 2; i++) {
        const page = await context.newPage();
        await page.goto(`${origin}/app`);
        await page.evaluate(async ({ url, transport }) => {
          const { ServerSentEventsManager } = await import('/dist/index.js');
          const m = new ServerSentEventsManager({ url, transport, runtime: 'shared' });
          const got = [];
          m.subscribe('tick', (e) => got.push(e.data.n));
          window.rt = { m, got };
          await m.connect();
        }, { url, transport });
        pages.push(page);
      }
      assert.equal(streams.size, 1, 'two tabs, one stream at the server');
      for (let n = 1; n <= 3; n++) for (const res of streams) res.write(`event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`);
      for (const page of pages) {
        await page.waitForFunction(() => window.rt.got.length >= 3, null, WAIT);
        assert.deepEqual(await page.evaluate(() => window.rt.got), [1, 2, 3]);
      }
      await pages[1].waitForFunction(() => window.rt.m.lastEventId === '3' && window.rt.m.stats?.eventsReceived >= 3, null, WAIT);
      for (const page of pages) await page.evaluate(() => window.rt.m.disconnect());
      await until(() => streams.size === 0, 'the stream to close when no tab uses it');
    });
  }
});

/** The claims of a JWT (the server here only reads them). */
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/** A ws server that reads each socket's token from Sec-WebSocket-Protocol (`auth.<jwt>`), else
 * from the query (`?token=`), else from a first `auth` message; refuses a socket without one
 * (4001), and records { sub, n, via } per socket. */
async function tokenServer() {
  const seen = [];
  const server = await startWsServer((socket, request) => {
    const protocol = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
      .find((p) => p.startsWith('auth.'))?.slice(5);
    const query = new URL(request.url, 'http://x').searchParams.get('token');
    let who = null;
    const accept = (jwt, via) => {
      const { sub, n } = claims(jwt);
      who = { sub, n };
      seen.push({ sub, n, via, socket });
    };
    if (protocol) accept(protocol, 'protocol');
    else if (query) accept(query, 'query');
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (!who && msg.type === 'auth') return accept(msg.payload.token, 'message');
      if (!who) return socket.close(4001, 'no token');
      if (msg.type === 'whoami') socket.send(JSON.stringify({ type: 'you', payload: who }));
    });
  });
  return Object.assign(server, { seen, open: () => server.wss.clients.size });
}

/** A tokenServer and a browser context, both closed after test `t`. */
async function tokenSetup(t) {
  const server = await tokenServer();
  t.after(() => server.close());
  const context = await browser.newContext();
  t.after(() => context.close());
  return { server, context };
}

/** Opens a tab with a SecureWebSocketManager whose tokenProvider counts its calls in the page
 * (window.rt.calls) and returns a JWT with the claims { sub, n: calls }, valid an hour. */
async function secureTab(context, url, { sub, auth = {}, ...config }) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}/app`);
  await page.evaluate(async ({ url, sub, auth, config }) => {
    const { SecureWebSocketManager } = await import('/dist/index.js');
    const b64 = (o) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const rt = { calls: 0, you: [], warnings: [], auth: [] };
    rt.m = new SecureWebSocketManager({
      url, ...config,
      auth: {
        ...auth,
        tokenProvider: async () => {
          rt.calls++;
          if (rt.hang) return new Promise(() => {});  // never answers (the test closes this tab)
          return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, n: rt.calls, exp: Math.floor(Date.now() / 1000) + 3600 })}.${b64('sig')}`;
        },
      },
    });
    rt.m.on('warning', (w) => rt.warnings.push(w.code));
    rt.m.on('auth', (e) => rt.auth.push(e.phase));
    rt.m.subscribe('you', (p) => rt.you.push(p));
    window.rt = rt;
    await rt.m.connect();
  }, { url, sub, auth, config });
  return { page, problems };
}

/** Asks the server who this tab's socket is; resolves with the answer ({ sub, n }). */
const whoami = async (page) => {
  const before = await page.evaluate(() => window.rt.you.length);
  await page.evaluate(() => window.rt.m.send({ type: 'whoami', payload: {} }));
  await page.waitForFunction((n) => window.rt.you.length > n, before, WAIT);
  return page.evaluate(() => window.rt.you.at(-1));
};
const inPage = (page) => page.evaluate(async () => ({
  calls: window.rt.calls,
  warnings: window.rt.warnings,
  loadedHere: (await import('/dist/runtime.js')).runtimeIfLoaded() !== null,
}));

describe("SecureWebSocketManager in runtime 'shared' | 'worker' in headless Chromium", () => {
  test("two tabs without a shareKey: two sockets, each with its own tab's token; the provider runs in the tab", T, async (t) => {
    const { server, context } = await tokenSetup(t);
    const a = await secureTab(context, server.url, { sub: 'alice', runtime: 'shared' });
    const b = await secureTab(context, server.url, { sub: 'bob', runtime: 'shared' });
    assert.equal(server.open(), 2, 'one socket per token provider');
    assert.deepEqual(server.seen.map(({ sub, n }) => ({ sub, n })).sort((x, y) => x.sub.localeCompare(y.sub)),
      [{ sub: 'alice', n: 1 }, { sub: 'bob', n: 1 }], "each socket carries its own tab's token");
    assert.deepEqual(await whoami(a.page), { sub: 'alice', n: 1 });
    assert.deepEqual(await whoami(b.page), { sub: 'bob', n: 1 });
    for (const tab of [a, b]) {
      assert.deepEqual(await inPage(tab.page), { calls: 1, warnings: [], loadedHere: false },
        'the provider ran once, in this tab; the module runs in the SharedWorker');
      assert.deepEqual(await tab.page.evaluate(() => window.rt.auth), ['refreshing', 'refreshed'], "'auth' events reach the tab");
      assert.deepEqual(tab.problems, []);
    }
    assert.equal((await hostInfo(a.page, 'shared')).sockets, 2);
  });

  test('two tabs with one shareKey share one socket; a 4001 close asks a live tab for a new token and reconnects with it', T, async (t) => {
    const { server, context } = await tokenSetup(t);
    // retryResetAfter 1 ms: a connection that opened earns its 4001 retry back (two 4001s here).
    const config = { sub: 'team', runtime: 'shared', shareKey: 'team-feed', auth: { retryResetAfter: 1 } };
    const a = await secureTab(context, server.url, config);
    const b = await secureTab(context, server.url, config);
    assert.equal(server.open(), 1, 'the same shareKey: one socket');
    assert.equal(server.connections.length, 1);
    assert.deepEqual(await inPage(a.page), { calls: 1, warnings: [], loadedHere: false }, 'the first tab gave the token');
    assert.deepEqual(await inPage(b.page), { calls: 0, warnings: [], loadedHere: false }, 'the second joined the open socket');
    assert.deepEqual(await whoami(b.page), { sub: 'team', n: 1 });
    // The server rejects the token: the host asks a tab for a new one, reconnects with it.
    server.seen[0].socket.close(4001, 'token revoked');
    await until(() => server.seen.length === 2 && server.open() === 1, 'a reconnect with a new token');
    assert.equal(server.seen[1].n, 2, "the new socket carries the provider's second token");
    await a.page.waitForFunction(() => window.rt.calls === 2 && window.rt.m.state === 'open', null, WAIT);
    assert.deepEqual(await whoami(b.page), { sub: 'team', n: 2 });
    // The tab that answered closes: the remaining one is asked next time.
    await a.page.close();
    await until(async () => (await hostInfo(b.page, 'shared')).tabs === 1, 'the host to serve one tab');
    assert.equal(server.open(), 1, 'the other tab still uses the socket');
    server.seen[1].socket.close(4001, 'token revoked');
    await until(() => server.seen.length === 3 && server.open() === 1, 'a reconnect with the remaining tab\'s token');
    await b.page.waitForFunction(() => window.rt.calls === 1 && window.rt.m.state === 'open', null, WAIT);
    assert.equal(server.seen[2].n, 1, "the remaining tab's provider gave it");
    assert.deepEqual(await whoami(b.page), { sub: 'team', n: 1 });
    assert.deepEqual(b.problems, []);
  });

  test('a tab asked for a token that closes before answering: the host asks another tab of the shareKey', T, async (t) => {
    const { server, context } = await tokenSetup(t);
    // connectTimeout 60 s: the held attempt cannot time out and retry within the test's waits.
    const config = { sub: 'team', runtime: 'shared', shareKey: 'team-feed', connectTimeout: 60_000 };
    const a = await secureTab(context, server.url, config);
    const b = await secureTab(context, server.url, config);
    assert.equal(server.open(), 1);
    await a.page.evaluate(() => { window.rt.hang = true; });
    server.seen[0].socket.close(4001, 'token revoked');
    await a.page.waitForFunction(() => window.rt.calls === 2, null, WAIT);  // asked; it hangs
    assert.equal(await b.page.evaluate(() => window.rt.calls), 0, 'only one tab is asked');
    await a.page.close();
    await b.page.waitForFunction(() => window.rt.calls === 1 && window.rt.m.state === 'open', null, WAIT);
    assert.deepEqual(await whoami(b.page), { sub: 'team', n: 1 }, "the new socket carries the other tab's token");
    assert.equal(server.seen.length, 2);
    assert.deepEqual(b.problems, []);
  });

  test('no SharedWorker: the leader tab\'s host asks a tab for the token; after the leader closes, the new leader asks a remaining tab', T, async (t) => {
    const { server, context } = await tokenSetup(t);
    await context.addInitScript(() => { delete window.SharedWorker; });
    const config = { sub: 'team', runtime: 'shared', shareKey: 'team-feed' };
    const a = await secureTab(context, server.url, config);  // the leader: it took the lock first
    const b = await secureTab(context, server.url, config);
    assert.equal(server.open(), 1, 'one socket, in the leader tab\'s host');
    assert.deepEqual(await inPage(a.page), { calls: 1, warnings: [], loadedHere: false });
    assert.deepEqual(await whoami(b.page), { sub: 'team', n: 1 });
    await a.page.close();
    // The new leader's host has a new session, which holds no token: it asks the remaining tab.
    await until(() => server.seen.length === 2 && server.open() === 1, 'the new leader to reconnect with a token', 5_000);
    await b.page.waitForFunction(() => window.rt.calls === 1 && window.rt.m.state === 'open', null, WAIT);
    assert.equal(server.seen[1].n, 1, "the remaining tab's provider gave the new socket its token");
    assert.deepEqual(await whoami(b.page), { sub: 'team', n: 1 });
    assert.deepEqual(await inPage(b.page), { calls: 1, warnings: [], loadedHere: false });
    assert.deepEqual(b.problems, []);
  });

  test("'shared': the 'message' and 'query' transports carry the token the host's session accepted", T, async (t) => {
    const { server, context } = await tokenSetup(t);
    for (const transport of ['message', 'query']) {
      const tab = await secureTab(context, server.url, { sub: transport, runtime: 'shared', auth: { transport } });
      assert.deepEqual(await whoami(tab.page), { sub: transport, n: 1 });
      assert.deepEqual(await inPage(tab.page), { calls: 1, warnings: [], loadedHere: false });
      assert.deepEqual(server.seen.filter((s) => s.sub === transport).map((s) => s.via), [transport]);
      assert.deepEqual(tab.problems, []);
    }
  });

  test("'worker': a SecureWebSocketManager runs in the dedicated worker, its provider in the page", T, async (t) => {
    const { server, context } = await tokenSetup(t);
    const tab = await secureTab(context, server.url, { sub: 'wanda', runtime: 'worker' });
    assert.deepEqual(await whoami(tab.page), { sub: 'wanda', n: 1 });
    assert.deepEqual(await inPage(tab.page), { calls: 1, warnings: [], loadedHere: false });
    server.seen[0].socket.close(4001, 'token revoked');
    await tab.page.waitForFunction(() => window.rt.calls === 2 && window.rt.m.state === 'open', null, WAIT);
    assert.deepEqual(await whoami(tab.page), { sub: 'wanda', n: 2 });
    assert.ok(await tab.page.evaluate(() => window.rt.m.refreshScheduledAt > Date.now()),
      "refreshScheduledAt: the refresh the host's session scheduled");
    assert.deepEqual(tab.problems, []);
  });
});

describe("runtime 'worker' and the fallbacks in headless Chromium", () => {
  test("'worker': the module runs in a dedicated worker, the page only receives", T, async (t) => {
    const server = await broadcastServer();
    t.after(() => server.close());
    const context = await browser.newContext();
    t.after(() => context.close());
    const tab = await openTab(context, server.url, { runtime: 'worker' });
    await everyoneHearsEveryone(server, [tab], 'w');
    const page = await tab.page.evaluate(async () => ({
      loadedHere: (await import('/dist/runtime.js')).runtimeIfLoaded() !== null,
      wasmHere: performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')),
      readyState: window.rt.m.readyState,
      received: window.rt.m.stats?.messagesReceived,
    }));
    assert.deepEqual(page, { loadedHere: false, wasmHere: false, readyState: 1, received: 1 });
    // A second manager in the same tab is its own connection, as in the page.
    const second = await openTab(context, server.url, { runtime: 'worker' });
    assert.equal(server.open(), 2);
    await second.page.close();
    await until(() => server.open() === 1, 'the closed tab to release its socket');
  });

  test("a strict CSP with worker-src 'self' runs 'shared' and 'worker'", T, async (t) => {
    const server = await broadcastServer();
    t.after(() => server.close());
    const context = await browser.newContext();
    t.after(() => context.close());
    const violations = [];
    const tabs = [];
    for (const runtime of ['shared', 'shared', 'worker']) {
      const tab = await openTab(context, server.url, { runtime }, { query: '?csp=strict' });
      tab.page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
      tabs.push(tab);
    }
    assert.equal(server.open(), 2, "two 'shared' tabs on one socket, plus the 'worker' tab's");
    await everyoneHearsEveryone(server, tabs, 'csp');
    for (const tab of tabs) assert.deepEqual(await tab.page.evaluate(() => window.rt.warnings), []);
    assert.deepEqual(violations, []);
  });

  test("a CSP that forbids workers: 'worker' and 'shared' fall back to 'page' with a warning event", T, async (t) => {
    const server = await broadcastServer();
    t.after(() => server.close());
    const context = await browser.newContext();
    t.after(() => context.close());
    for (const runtime of ['worker', 'shared']) {
      const tab = await openTab(context, server.url, { runtime }, { query: '?csp=none' });
      await everyoneHearsEveryone(server, [tab], `fallback-${runtime}`);
      const warnings = await tab.page.evaluate(() => window.rt.warnings.map((w) => w.code));
      assert.deepEqual(warnings, ['runtime_fallback']);
      assert.deepEqual(tab.problems, []);
      assert.equal(await tab.page.evaluate(async () => (await import('/dist/runtime.js')).runtimeIfLoaded() !== null), true,
        'the module runs in the page');
    }
  });
});
