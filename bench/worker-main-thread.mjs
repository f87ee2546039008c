// Main-thread time per message at 10,000 messages/s in headless Chromium (issue 12): runtime
// 'worker' (the module and the socket in a dedicated worker; the page gets one batch per ~16 ms)
// against runtime 'page' and against a raw page (`new WebSocket` + JSON.parse + a Map dispatch
// by type, bench/lib/common.mjs baselineOnMessage). Each arm subscribes to both types and counts
// the payloads (each seq exactly once).
//
// Measure: the renderer main thread's TaskDuration (DevTools protocol Performance.getMetrics,
// seconds of tasks run on the page's main thread) from the "go" to the last message delivered,
// per message. Workers' threads are not in it: that is the point of runtime 'worker'. The ratios
// are taken in one invocation (the arms rotate run by run; median of --runs, default 3).
//
//   node bench/worker-main-thread.mjs [--runs=3] [--seconds=5] [--rate=10000]
/* global window */ // the arms run in the page (page.evaluate)
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { fmt, makeMessages, median, parseFlags, repoRoot, table } from './lib/common.mjs';

const flags = parseFlags(process.argv.slice(2));
const RUNS = Number(flags.runs ?? 3);
const SECONDS = Number(flags.seconds ?? 5);
const RATE = Number(flags.rate ?? 10_000);
const COUNT = RATE * SECONDS;
const TICK_MS = 10;
const PER_TICK = Math.round((RATE * TICK_MS) / 1000);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

if (!existsSync(join(repoRoot, 'dist/worker/worker-entry.js'))) {
  console.error('dist/ is not built: run scripts/build.sh');
  process.exit(1);
}

const frames = makeMessages(COUNT).map((m) => JSON.stringify(m));
const expectedSum = (COUNT * (COUNT - 1)) / 2;

// The page and the package over http; the ws server streams RATE messages/s after "go".
const http = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (path.startsWith('/dist/')) {
    const file = join(repoRoot, path);
    if (!existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    return res.end(readFileSync(file));
  }
  res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${http.address().port}`;
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve) => wss.once('listening', resolve));
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    if (!String(data).includes('"go"')) return;
    let i = 0;
    const timer = setInterval(() => {
      for (let k = 0; k < PER_TICK && i < COUNT; k++) socket.send(frames[i++]);
      if (i >= COUNT) clearInterval(timer);
    }, TICK_MS);
    socket.once('close', () => clearInterval(timer));
  });
});
const wsUrl = `ws://127.0.0.1:${wss.address().port}`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});

// Each arm installs window.bench = { start(): Promise (connected, "go" sent), count, sum }; the
// manager arms ('page', 'worker') are set up in runArm.
const ARMS = {
  raw: (url) => {
    const handlers = new Map();
    const bench = { count: 0, sum: 0 };
    const on = (p) => { bench.count++; bench.sum += p.seq; };
    handlers.set('trade', on);
    handlers.set('quote', on);
    bench.start = () => new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.onmessage = (e) => {
        const msg = JSON.parse(e.data);
        const cb = handlers.get(msg.type);
        if (cb) cb(msg.payload);
      };
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: 'go' }));
        resolve();
      };
    });
    window.bench = bench;
  },
};

async function runArm(arm) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/bench`);
  if (arm === 'raw') await page.evaluate(ARMS.raw, wsUrl);
  else {
    await page.evaluate(async ({ url, runtime }) => {
      const { WebSocketManager } = await import('/dist/index.js');
      const bench = { count: 0, sum: 0 };
      const on = (p) => { bench.count++; bench.sum += p.seq; };
      const m = new WebSocketManager({ url, runtime, heartbeatInterval: 0 });
      m.subscribe('trade', on);
      m.subscribe('quote', on);
      bench.start = async () => {
        await m.connect();
        m.send({ type: 'go', payload: {} });
      };
      window.bench = bench;
    }, { url: wsUrl, runtime: arm });
  }
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.evaluate(() => window.bench.start());
  const metric = async (name) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name).value;
  const t0 = await metric('TaskDuration');
  const wall0 = Date.now();
  await page.waitForFunction((n) => window.bench.count >= n, COUNT, { timeout: (SECONDS + 30) * 1000, polling: 100 });
  const task = (await metric('TaskDuration')) - t0;
  const wall = Date.now() - wall0;
  const { count, sum } = await page.evaluate(() => ({ count: window.bench.count, sum: window.bench.sum }));
  await context.close();
  if (count !== COUNT || sum !== expectedSum) throw new Error(`${arm}: ${count} messages, seq sum ${sum} (expected ${COUNT}, ${expectedSum})`);
  return { usPerMsg: (task * 1e6) / COUNT, wall };
}

const results = { raw: [], page: [], worker: [] };
const ratios = { worker: [], page: [] };
const order = ['raw', 'page', 'worker'];
try {
  for (let run = 0; run < RUNS; run++) {
    const arms = order.slice(run % 3).concat(order.slice(0, run % 3));
    const r = {};
    for (const arm of arms) {
      r[arm] = await runArm(arm);
      results[arm].push(r[arm].usPerMsg);
    }
    ratios.worker.push(r.worker.usPerMsg / r.raw.usPerMsg);
    ratios.page.push(r.page.usPerMsg / r.raw.usPerMsg);
  }
} finally {
  await browser.close();
  wss.close();
  http.close();
}

console.log(`main-thread time per message, ${COUNT} messages at ${RATE}/s (Chromium TaskDuration; median of ${RUNS} runs)`);
table([
  ['arm', 'µs/message (main thread)', 'ratio to raw (median of per-run ratios)'],
  ['raw WebSocket + JSON.parse', fmt(median(results.raw)), '1'],
  ["runtime 'page'", fmt(median(results.page)), fmt(median(ratios.page))],
  ["runtime 'worker'", fmt(median(results.worker)), fmt(median(ratios.worker))],
]);
const goal = median(ratios.worker) < 0.5;
console.log(`goal (worker < half the raw page's main-thread work): ${goal ? 'met' : 'NOT met'}`);
