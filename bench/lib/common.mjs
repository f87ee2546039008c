// Shared pieces of the benchmarks: message generation, child processes, statistics.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Deterministic 32-bit PRNG (mulberry32), so every run sees the same bytes. */
export function prng(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA', 'META', 'NFLX'];
export const TYPES = ['trade', 'quote'];

/** The raw baseline every WebSocket bench compares against: JSON.parse of the whole frame and a
 * Map dispatch by type. Returns the `onmessage` handler. */
export function baselineOnMessage(onPayload) {
  const handlers = new Map(TYPES.map((t) => [t, onPayload]));
  return (e) => {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    const cb = handlers.get(msg.type);
    if (cb) cb(msg.payload);
  };
}

function uuid(rand) {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(rand() * 16).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/**
 * The i-th message as { type, payload, id, timestamp } (about 150 bytes as JSON, two types
 * alternating). `unicode` puts a non-ASCII venue name in the payload (UTF-8 path).
 */
export function makeMessages(count, { unicode = false, seed = 7 } = {}) {
  const rand = prng(seed);
  const out = new Array(count);
  const t0 = 1732700000000;
  for (let i = 0; i < count; i++) {
    const type = TYPES[i & 1];
    const symbol = SYMBOLS[Math.floor(rand() * SYMBOLS.length)];
    const px = Math.round(rand() * 100000) / 100;
    const payload =
      type === 'trade'
        ? { symbol, price: px, size: 1 + Math.floor(rand() * 999), seq: i }
        : { symbol, bid: px, ask: Math.round((px + 0.05) * 100) / 100, seq: i };
    if (unicode) payload.venue = 'Zürich–Börse';
    out[i] = { type, payload, id: uuid(rand), timestamp: t0 + i };
  }
  return out;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Starts a child process that prints one JSON line when ready; resolves with { child, info }. */
export async function startChild(args, { env } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${args.join(' ')} exited with ${code} before it was ready`);
    }),
  ]);
  return { child, info: JSON.parse(first), lines };
}

/** Runs a child process to completion; resolves with its last stdout line, JSON-parsed. */
export async function runChild(args, { timeoutMs = 120_000, env } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${signal ?? code}):\n${out}`);
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** Command-line flags as --name=value (or --name for true). */
export function parseFlags(argv) {
  const flags = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) flags[m[1]] = m[2] ?? true;
  }
  return flags;
}

export const fmt = (x, digits = 3) => x.toFixed(digits);

/** The package entry the benches load: dist/ of this checkout, or $RT_BENCH_DIST (A/B builds). */
export function distIndex() {
  const dir = process.env.RT_BENCH_DIST;
  return dir ? pathToFileURL(`${dir.replace(/\/$/, '')}/index.js`).href : new URL('../../dist/index.js', import.meta.url).href;
}

/** Node flags that give the child a global `name` (WebSocket, EventSource) where that needs one. */
export function globalFlag(name, flag) {
  if (typeof globalThis[name] === 'function') return [];
  return process.allowedNodeEnvironmentFlags.has(flag) ? [flag] : [];
}

/** Prints a table: rows of arrays, first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padStart(widths[i])).join('  '));
}

/**
 * CPU profiling of just the measured window (node:inspector), when `dir` is set: call start()
 * where measurement starts and `await stop()` after it ends; writes DIR/<name>-<pid>.cpuprofile.
 */
export async function windowProfiler(dir, name) {
  if (!dir) return { start() {}, async stop() {} };
  const { Session } = await import('node:inspector');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  return {
    start() {
      session.post('Profiler.start');
    },
    async stop() {
      const { profile } = await post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
