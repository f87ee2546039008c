// Where RealtimeEventBus, MessageThrottler and MessageBatcher pay (issue 10 item 3): cost per
// publish / per call
// of two builds of the package, in one invocation, and the boundary crossings per operation.
//
//   node bench/placement.mjs --native=DIR [--ts=DIR] [--ops=200000] [--runs=5]
//
// DIR is a built `dist/` (with its `wasm/`). --native: a build whose components are the embind
// objects of emscripten/optimize_bindings.cpp (for the bus and the throttler main before branch
// `placement`; for the batcher main before it became TypeScript, e.g. a copy of its dist/);
// --ts: default ../dist. Without --native (or RT_BENCH_NATIVE_DIST) only
// --ts is measured.
//
// Every measurement is a fresh node process (no JIT state or wasm instance shared); the arms'
// order rotates run by run; the figure is the median of --runs. ns/op is wall time of a tight
// loop after a warm-up of the same length. Crossings are counted in a separate pass: every
// function the wasm module imports (wasm → JS: emval, the string and array marshalling) and
// exports (JS → wasm: malloc/free for strings) is wrapped with a counter at instantiation, and
// every method of the embind object the class owns (JS → wasm) too.
//
// Operations:
//  - publish: eventBus.publish to a channel (history 100) with one subscriber;
//  - throttle, inside the window: the throttled wrapper called while a trailing run is pending
//    (delay 60 s: the hot path of a throttled stream, every call but one per window);
//  - throttle, delay 0: every call runs at once (a new window per call);
//  - batch, adaptive: MessageBatcher.add, batchSize 100 (a flush every 100 adds);
//  - batch, frame: add to a createFrameBatcher batcher (the hooks' frameAligned delivery), one
//    flush at the end.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const OPS = Number(arg('ops', 200_000));
const here = fileURLToPath(import.meta.url);

if (arg('child', null)) {
  await child(arg('child'), arg('dir'), arg('mode'));
} else {
  await parent();
}

async function parent() {
  const RUNS = Number(arg('runs', 5));
  const arms = [];
  const nativeDir = arg('native', process.env.RT_BENCH_NATIVE_DIST);
  if (nativeDir) arms.push(['native (embind)', resolve(nativeDir)]);
  arms.push(['TypeScript', resolve(arg('ts', fileURLToPath(new URL('../dist', import.meta.url))))]);
  for (const [, dir] of arms) {
    if (!existsSync(`${dir}/index.js`)) throw new Error(`${dir}/index.js is missing: build it first`);
  }
  const ops = ['publish', 'throttleDeferred', 'throttleRun', 'batchAdaptive', 'batchFrame'];
  const times = new Map(arms.map(([name]) => [name, Object.fromEntries(ops.map((o) => [o, []]))]));
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 ? [...arms].reverse() : arms;
    for (const [name, dir] of order) {
      const r = runChild(dir, 'time');
      for (const o of ops) times.get(name)[o].push(r[o]);
    }
  }
  const crossings = new Map(arms.map(([name, dir]) => [name, runChild(dir, 'count')]));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const label = {
    publish: 'eventBus.publish, 1 subscriber',
    throttleDeferred: 'throttled call inside the window',
    throttleRun: 'throttled call, delay 0 (runs)',
    batchAdaptive: "MessageBatcher.add, 'adaptive'",
    batchFrame: 'createFrameBatcher add',
  };
  console.log(`placement: ${OPS} ops per measurement, median of ${RUNS} runs, ns/op (crossings/op: JS→wasm + wasm→JS)`);
  console.log(['operation', ...arms.map(([n]) => n)].join(' | '));
  for (const o of ops) {
    const cells = arms.map(([name]) => {
      const c = crossings.get(name)[o];
      return `${median(times.get(name)[o]).toFixed(0)} ns (${c.toWasm.toFixed(1)} + ${c.toJs.toFixed(1)})`;
    });
    console.log([label[o], ...cells].join(' | '));
  }
}

function runChild(dir, mode) {
  const out = execFileSync(process.execPath,
    [here, '--child=1', `--dir=${dir}`, `--mode=${mode}`, `--ops=${OPS}`], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1));
}

async function child(_, dir, mode) {
  const counts = { toWasm: 0, toJs: 0 };
  const counting = mode === 'count';
  if (counting) instrumentWasm(counts);
  const m = await import(pathToFileURL(`${dir}/index.js`).href);
  await m.loadRuntime();
  const n = counting ? 1000 : OPS;

  const bus = new m.RealtimeEventBus();
  bus.createChannel('c', 100);
  let sink = 0;
  bus.subscribe('c', (e) => (sink += e.timestamp & 1));
  const event = { type: 'update', payload: { v: 1 }, source: 'bench' };
  const th = new m.MessageThrottler(60_000);
  const deferred = th.throttle((v) => (sink += v));
  deferred(0);  // the leading run; every later call is inside the window
  const th0 = new m.MessageThrottler(0);
  const runs = th0.throttle((v) => (sink += v));
  runs(0);
  let flushed = 0;
  const adaptive = new m.MessageBatcher({ batchSize: 100, flushInterval: 60_000, priority: 'adaptive' },
    (batch) => (flushed += batch.length));
  adaptive.add(0);
  const frame = m.createFrameBatcher((batch) => (flushed += batch.length));
  frame.add(0);
  // The embind objects exist now: count their methods too.
  if (counting) for (const o of [bus, th, th0, adaptive, frame]) instrumentNative(o, counts);

  const cases = {
    publish: () => {
      for (let i = 0; i < n; i++) bus.publish('c', event);
    },
    throttleDeferred: () => {
      for (let i = 0; i < n; i++) deferred(i);
    },
    throttleRun: () => {
      for (let i = 0; i < n; i++) runs(i);
    },
    batchAdaptive: () => {
      for (let i = 0; i < n; i++) adaptive.add(i);
    },
    batchFrame: () => {
      for (let i = 0; i < n; i++) frame.add(i);
      frame.flush();
    },
  };
  const result = {};
  for (const [name, fn] of Object.entries(cases)) {
    if (counting) {
      counts.toWasm = counts.toJs = 0;
      fn();
      result[name] = { toWasm: counts.toWasm / n, toJs: counts.toJs / n };
    } else {
      fn();  // warm-up
      const t0 = process.hrtime.bigint();
      fn();
      result[name] = Number(process.hrtime.bigint() - t0) / n;
    }
  }
  th.dispose();
  th0.dispose();
  bus.dispose();
  adaptive.destroy();
  frame.destroy();
  if (sink === -1 || flushed === -1) console.log('');  // keep the callbacks' work observable
  console.log(JSON.stringify(result));
}

/** Wraps every import and function export of the module with a counter. */
function instrumentWasm(counts) {
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (bytes, imports) => {
    const wrapped = {};
    for (const [ns, fns] of Object.entries(imports)) {
      wrapped[ns] = {};
      for (const [k, v] of Object.entries(fns)) {
        wrapped[ns][k] = typeof v === 'function' ? (...a) => (counts.toJs++, v(...a)) : v;
      }
    }
    const result = await instantiate(bytes, wrapped);
    const exports = {};
    for (const [k, v] of Object.entries(result.instance.exports)) {
      exports[k] = typeof v === 'function' ? (...a) => (counts.toWasm++, v(...a)) : v;
    }
    return { module: result.module, instance: { exports } };
  };
}

/** Counts calls of the embind methods of the native object a public class owns, if any. */
function instrumentNative(obj, counts) {
  const raw = obj.native?.current?.();
  if (!raw) return;
  // Functions on a handle (web/src/runtime.ts nativeObject): the methods are own properties.
  for (const [key, fn] of Object.entries(raw)) {
    if (typeof fn === 'function') raw[key] = (...a) => (counts.toWasm++, fn.apply(raw, a));
  }
  for (let proto = Object.getPrototypeOf(raw); proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (key === 'constructor' || typeof d.value !== 'function' || Object.hasOwn(raw, key)) continue;
      const fn = d.value;
      raw[key] = (...a) => (counts.toWasm++, fn.apply(raw, a));
    }
  }
}
