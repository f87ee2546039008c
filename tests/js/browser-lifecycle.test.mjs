// The browser's lifecycle in real headless Chromium (issue 9): a stalled main thread (a busy
// loop, like a throttled tab), the network taken offline and back through the DevTools protocol,
// and a back/forward-cache navigation (which really freezes and resumes the page: pagehide,
// freeze, resume, pageshow). Page.setWebLifecycleState could not be driven here: on a visible
// page it does nothing, even with Playwright's focus emulation off; on a minimized window the
// timers kept running, and restoring the window hung the DevTools session. The package is served from dist/ to a page on 127.0.0.1; the
// WebSocket server is a real `ws` server started here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchChromium, serveDist } from './browser-helpers.mjs';
import { startWsServer } from './helpers.mjs';

let browser;
let http;
let origin;

before(async () => {
  // Playwright disables the back/forward cache by default; this test needs it.
  browser = await launchChromium({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  http = await serveDist();
  origin = http.origin;
});

after(async () => {
  await browser?.close();
  await http?.close();
});

/** A ws server that answers ping with pong (not the pings numbered in `unanswered`, nor any on
 * the sockets in `deaf`) and records pings. */
async function pingServer({ unanswered = [] } = {}) {
  const state = { deaf: new Set(), pings: [] };
  const server = await startWsServer((socket) => {
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'ping') {
        state.pings.push(Date.now());
        if (!state.deaf.has(socket) && !unanswered.includes(state.pings.length)) {
          socket.send(JSON.stringify({ type: 'pong', payload: {} }));
        }
      }
      state.onMessage?.(msg, socket);
    });
  });
  return Object.assign(server, { state });
}

/** Waits until `predicate()` holds, re-checking whenever `poke` is called (or every 20 ms). */
async function until(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Opens a page with a WebSocketManager on `url`; its events land in window.rt.log. */
async function openManagerPage(url, config, { context: given } = {}) {
  const context = given ?? await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}/app`);
  await page.evaluate(async ({ url, config }) => {
    const { WebSocketManager } = await import('/dist/index.js');
    const log = [];
    const messages = [];
    const m = new WebSocketManager({ url, ...config });
    m.on('state', (e) => log.push(`${e.newState}@${Date.now()}`));
    m.on('error', (e) => log.push(`error:${e.code}`));
    m.subscribe('n', (p) => messages.push(p));
    window.rt = { m, log, messages };
    await m.connect();
  }, { url, config });
  return { page, context, problems };
}

const pageLog = (page) => page.evaluate(() => window.rt.log.slice());
const pageState = (page) => page.evaluate(() => window.rt.m.state);
const stall = (page, ms) => page.evaluate((ms) => {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* the main thread is busy: timers and socket events wait */ }
}, ms);

describe('the browser lifecycle in headless Chromium', () => {
  test('a 6 s main-thread stall with a live server that pushed nothing: no spurious reconnect', async (t) => {
    // The server answers every ping but the one sent just before the stall (a pong lost on the
    // way), and pushes nothing: when the page wakes up it has seen no frame for 6 s, three times
    // heartbeatInterval × heartbeatMissedLimit, yet the server is alive.
    const server = await pingServer({ unanswered: [3] });
    t.after(() => server.close());
    const { page, context, problems } = await openManagerPage(server.url, { heartbeatInterval: 1000, heartbeatMissedLimit: 2 });
    t.after(() => context.close());
    await until(() => server.state.pings.length >= 3, 'the third ping');
    await stall(page, 6000);
    const resumedAt = Date.now();
    // The late tick probes; the tick after it judges the connection (alive: it pings again).
    await until(() => server.state.pings.filter((p) => p > resumedAt).length >= 2, 'two pings after the stall');
    assert.equal(server.connections.length, 1);
    const log = await pageLog(page);
    assert.ok(!log.some((e) => e.startsWith('reconnecting') || e.startsWith('error')), log.join(' '));
    assert.equal(await pageState(page), 'open');
    assert.deepEqual(problems, []);
  });

  test('messages pushed during a stall are all delivered in order, without a reconnect', async (t) => {
    const server = await pingServer();
    t.after(() => server.close());
    server.state.onMessage = (msg, socket) => {
      if (msg.type !== 'stalling') return;
      let n = 0;
      const timer = setInterval(() => {
        for (let i = 0; i < 20; i++) socket.send(JSON.stringify({ type: 'n', payload: ++n }));
        if (n >= 400) clearInterval(timer);
      }, 100);
    };
    const { page, context } = await openManagerPage(server.url, { heartbeatInterval: 1000, heartbeatMissedLimit: 2 });
    t.after(() => context.close());
    await page.evaluate(() => window.rt.m.send({ type: 'stalling', payload: {} }));
    await stall(page, 6000);
    await until(() => page.evaluate(() => window.rt.messages.length >= 400), '400 messages');
    const got = await page.evaluate(() => window.rt.messages);
    assert.deepEqual(got, Array.from({ length: 400 }, (_, i) => i + 1));
    assert.equal(server.connections.length, 1);
    assert.ok(!(await pageLog(page)).some((e) => e.startsWith('reconnecting')));
  });

  test('a connection that went half-open during a stall is replaced within about one heartbeat', async (t) => {
    const server = await pingServer();
    t.after(() => server.close());
    const { page, context } = await openManagerPage(server.url, { heartbeatInterval: 1000, heartbeatMissedLimit: 2, reconnectInterval: 5000 });
    t.after(() => context.close());
    await until(() => server.state.pings.length >= 1, 'a first ping');
    // That connection goes half-open (its server side is gone without a close: no pong, no
    // frame); a new one is answered as usual.
    server.state.deaf.add(server.connections[0]);
    await stall(page, 6000);
    const resumedAt = Date.now();
    await until(() => server.connections.length >= 2, 'a new connection', 6000).catch(async (e) => {
      throw new Error(`${e.message}: ${(await pageLog(page)).join(' ')} pings ${server.state.pings.map((p) => p - resumedAt)}`);
    });
    const took = Date.now() - resumedAt;
    assert.ok(took < 2500, `replaced ${took} ms after the stall (heartbeat 1000 ms)`);
    assert.ok((await pageLog(page)).includes('error:heartbeat_timeout'));
  });

  test('offline (DevTools network emulation): no attempt is spent; online reconnects within a second', async (t) => {
    const server = await pingServer();
    t.after(() => server.close());
    const { page, context } = await openManagerPage(server.url, {
      reconnectAttempts: 3, reconnectInterval: 50, maxReconnectInterval: 100, heartbeatInterval: 0,
    });
    t.after(() => context.close());
    const cdp = await context.newCDPSession(page);
    const conditions = (offline) => cdp.send('Network.emulateNetworkConditions', {
      offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
    });
    await conditions(true);
    await until(() => page.evaluate(() => navigator.onLine === false), 'navigator.onLine false');
    server.connections[0].terminate();  // the connection dies while offline
    await until(async () => (await pageState(page)) === 'reconnecting', 'reconnecting');
    // Three attempts 50–100 ms apart would have been spent (and given up) in well under this
    // wait; nothing may happen while offline, so this waits on the absence of an event.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await pageState(page), 'reconnecting');
    assert.equal(server.connections.length, 1);
    const onlineAt = Date.now();
    await conditions(false);
    await until(() => server.connections.length >= 2, 'a connection after online', 5000);
    assert.ok(Date.now() - onlineAt < 1000, `${Date.now() - onlineAt} ms after online`);
    await until(async () => (await pageState(page)) === 'open', 'open again');
    assert.ok(!(await pageLog(page)).includes('error:gave_up'));
  });

  test('back/forward cache: the page is cached with its socket closed, and reconnects on pageshow', async (t) => {
    const server = await pingServer();
    t.after(() => server.close());
    const { page, context } = await openManagerPage(server.url, { heartbeatInterval: 0 });
    t.after(() => context.close());
    await page.evaluate(() => {
      window.addEventListener('pageshow', (e) => { window.rt.shownFromCache = e.persisted; });
    });
    const firstClosed = new Promise((resolve) => server.connections[0].once('close', resolve));
    await page.goto(`${origin}/other`);
    await firstClosed;
    await page.goBack({ waitUntil: 'commit' });  // a restored page fires no load event
    await until(() => page.evaluate(() => window.rt?.shownFromCache === true), 'pageshow from the cache');
    await until(() => server.connections.length >= 2, 'a connection after pageshow');
    await until(async () => (await pageState(page)) === 'open', 'open again');
    const log = (await pageLog(page)).map((e) => e.replace(/@.*/, ''));
    // Closed while cached (not a reconnect loop, no error), then connected again. Chromium may
    // deliver the close only once the page is back: then pageshow abandons the closing socket.
    assert.deepEqual(log.filter((e) => e !== 'closed'), ['connecting', 'open', 'closing', 'connecting', 'open']);
  });
});

describe("runtime 'shared' and the back/forward cache in headless Chromium", () => {
  /** A ws server that broadcasts every 'say' as a 'b' to every socket. */
  async function broadcastServer() {
    const server = await startWsServer((socket) => {
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type !== 'say') return;
        for (const s of server.wss.clients) s.send(JSON.stringify({ type: 'b', payload: msg.payload }));
      });
    });
    return server;
  }

  async function sharedTab(context, url) {
    const page = await context.newPage();
    await page.goto(`${origin}/app`);
    await page.evaluate(async (url) => {
      window.addEventListener('pageshow', (e) => { window.shownFromCache = e.persisted; });
      const { WebSocketManager } = await import('/dist/index.js');
      window.got = [];
      window.m = new WebSocketManager({ url, runtime: 'shared' });
      window.m.subscribe('b', (p) => window.got.push(p.n));
      await window.m.connect();
    }, url);
    return page;
  }
  const say = (page, n) => page.evaluate((n) => window.m.send({ type: 'say', payload: { n } }), n);
  const heard = (page, n) => page.waitForFunction((n) => window.got.includes(n), n, { timeout: 10_000 });

  for (const leader of [false, true]) {
    test(`${leader ? 'no SharedWorker: the leader tab' : 'a tab'} in the back/forward cache: the others go on, and it is served again when back`, async (t) => {
      const server = await broadcastServer();
      t.after(() => server.close());
      const context = await browser.newContext();
      t.after(() => context.close());
      if (leader) await context.addInitScript(() => { delete window.SharedWorker; });
      const first = await sharedTab(context, server.url);  // the leader, without SharedWorker
      const second = await sharedTab(context, server.url);
      await say(second, 1);
      await heard(first, 1);
      await first.goto(`${origin}/other`);
      // While it is cached, the other tab is served (a new leader took the lock: the cached page
      // gave it up on pagehide, with its worker and socket).
      await say(second, 2);
      await heard(second, 2);
      await first.goBack({ waitUntil: 'commit' });  // a restored page fires no load event
      await until(() => first.evaluate(() => window.shownFromCache === true), 'pageshow from the cache');
      await say(second, 3);
      await heard(first, 3);
      assert.equal(await first.evaluate(() => window.got.includes(2)), false, 'nothing delivered while cached');
      await until(() => server.wss.clients.size === 1, 'one socket at the server');
    });
  }
});
