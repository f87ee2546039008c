// One measured client run of bench/sse-ingest.mjs (a fresh process per run). Every arm hands its
// subscriber the same thing, { id, event, data: JSON.parse(data) }, for both event types.
//   --impl=baseline             Node's EventSource (--experimental-eventsource) + JSON.parse
//   --impl=eventsource          the `eventsource` package's EventSource + JSON.parse
//   --impl=fetch-event-source   @microsoft/fetch-event-source + JSON.parse + a Map by event name
//   --impl=wasm-fetch           realtime-wasm's ServerSentEventsManager, transport 'fetch'
//   --impl=wasm-eventsource     realtime-wasm's ServerSentEventsManager, transport 'eventsource'
//                               (over Node's EventSource)
// CPU time is process.cpuUsage() (user + sys) from "open" (the server sends the first event
// 100 ms after the headers) to the last event delivered. Prints one JSON line.
import { parseFlags, TYPES, distIndex, windowProfiler } from './common.mjs';

const flags = parseFlags(process.argv.slice(2));
const impl = flags.impl ?? 'baseline';
const url = flags.url;
const count = Number(flags.count ?? 200_000);
const profiler = await windowProfiler(flags.profile, `sse-${impl}`);

let received = 0;
let seqSum = 0;
let idSum = 0;
let cpu0 = null;
let wall0 = 0;
let finish;
const done = new Promise((resolve) => (finish = resolve));

function onEvent(event) {
  seqSum += event.data.seq;
  idSum += Number(event.id);
  if (++received === count) {
    const cpu = process.cpuUsage(cpu0);
    finish({ cpu, wallMs: performance.now() - wall0 });
  }
}
function start() {
  if (cpu0) return;
  profiler.start();
  cpu0 = process.cpuUsage();
  wall0 = performance.now();
}

let close;
if (impl === 'baseline' || impl === 'eventsource') {
  const Ctor = impl === 'baseline' ? globalThis.EventSource : (await import('eventsource')).EventSource;
  if (typeof Ctor !== 'function') throw new Error('no global EventSource: run with --experimental-eventsource');
  const es = new Ctor(url);
  const listener = (e) => {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      data = e.data;
    }
    onEvent({ id: e.lastEventId, event: e.type, data });
  };
  for (const t of TYPES) es.addEventListener(t, listener);
  es.onopen = start;
  es.onerror = (e) => console.error('EventSource error', e?.message ?? e);
  close = () => es.close();
} else if (impl === 'fetch-event-source') {
  // The package expects a browser: window.setTimeout/clearTimeout and document visibility.
  globalThis.window ??= { setTimeout, clearTimeout, fetch: globalThis.fetch };
  globalThis.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };
  const { fetchEventSource } = await import('@microsoft/fetch-event-source');
  const handlers = new Map(TYPES.map((t) => [t, onEvent]));
  const controller = new AbortController();
  fetchEventSource(url, {
    signal: controller.signal,
    openWhenHidden: true,
    fetch: globalThis.fetch,
    async onopen() {
      start();
    },
    onmessage(msg) {
      const cb = handlers.get(msg.event || 'message');
      if (!cb) return;
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        data = msg.data;
      }
      cb({ id: msg.id, event: msg.event, data });
    },
    onerror(err) {
      console.error('fetch-event-source error', err);
      throw err;
    },
  }).catch(() => {});
  close = () => controller.abort();
} else if (impl === 'wasm-fetch' || impl === 'wasm-eventsource') {
  const mod = await import(distIndex());
  if (typeof mod.ServerSentEventsManager !== 'function') throw new Error('no ServerSentEventsManager in dist');
  await mod.loadRuntime();
  const transport = impl === 'wasm-fetch' ? 'fetch' : 'eventsource';
  const m = new mod.ServerSentEventsManager({ url, transport, ...(transport === 'eventsource' ? { EventSource: globalThis.EventSource } : {}) });
  m.on('error', (e) => console.error('manager error', e.code, e.message));
  m.on('state', ({ newState }) => {
    if (newState === 'open') start();
  });
  for (const t of TYPES) m.subscribe(t, onEvent);
  m.connect().catch((e) => console.error('connect failed', e));
  close = () => m.dispose();
} else {
  throw new Error(`unknown --impl=${impl}`);
}

const { cpu, wallMs } = await done;
await profiler.stop();
const expected = (count * (count - 1)) / 2;
if (seqSum !== expected || idSum !== expected) {
  throw new Error(`lost, duplicated or mislabelled events: seq sum ${seqSum}, id sum ${idSum}, expected ${expected}`);
}
const cpuUs = cpu.user + cpu.system;
const line = JSON.stringify({
  impl, count, cpuUs, userUs: cpu.user, sysUs: cpu.system, wallMs, usPerEvent: cpuUs / count,
  node: process.version,
});
close();
process.stdout.write(line + '\n', () => process.exit(0));
