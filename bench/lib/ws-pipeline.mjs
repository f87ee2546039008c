// The WebSocketManager's inbound path without a network: a fake WebSocket constructor is handed
// to the manager, and its onmessage is called with pre-built frame strings in a tight loop. The
// baseline is JSON.parse + a Map dispatch by type over the same strings. This isolates what
// realtime-wasm adds per message (encode into the heap, C++ scan, payload string, JSON.parse of
// the payload, dispatch) from the transport's own cost; used for profiling, not in the report.
//   node bench/lib/ws-pipeline.mjs [--count=200000] [--rounds=5] [--unicode] [--impl=both|wasm|baseline]
//                                  [--breakdown]  (also encodeInto alone, encode + C++ validation
//                                                  with nothing subscribed, JSON.parse of payloads)
import { baselineOnMessage, makeMessages, median, parseFlags, TYPES, distIndex } from './common.mjs';
const { WebSocketManager, loadRuntime } = await import(distIndex());

const flags = parseFlags(process.argv.slice(2));
const count = Number(flags.count ?? 200_000);
const rounds = Number(flags.rounds ?? 5);
const which = flags.impl ?? 'both';
const texts = makeMessages(count, { unicode: !!flags.unicode }).map((m) => JSON.stringify(m));

let received = 0;
let seqSum = 0;
const onPayload = (p) => {
  seqSum += p.seq;
  received++;
};

class FakeSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send() {}
  close() {
    this.readyState = 3;
  }
}

await loadRuntime();
const m = new WebSocketManager({ url: 'ws://fake', WebSocket: FakeSocket, heartbeatInterval: 0 });
m.on('error', (e) => console.error('error', e.code, e.message));
for (const t of TYPES) m.subscribe(t, onPayload);
await m.connect();
const socket = FakeSocket.last;

function runWasm() {
  const on = socket.onmessage;
  for (let i = 0; i < texts.length; i++) on({ data: texts[i] });
}
function runBaseline() {
  const on = baselineOnMessage(onPayload);
  for (let i = 0; i < texts.length; i++) on({ data: texts[i] });
}

// --breakdown: the parts of the wasm path, measured apart.
const payloads = texts.map((t) => JSON.stringify(JSON.parse(t).payload));
const encoder = new TextEncoder();
const bytes = new Uint8Array(1 << 16);
function runParsePayload() {
  for (let i = 0; i < payloads.length; i++) onPayload(JSON.parse(payloads[i]));
}
function runEncode() {
  let n = 0;
  for (let i = 0; i < texts.length; i++) n += encoder.encodeInto(texts[i], bytes).written;
  received = count;
  return n;
}
// A second manager with no subscription: every frame is staged and validated in C++, nothing
// is emitted to JS.
const quiet = new WebSocketManager({ url: 'ws://fake', WebSocket: FakeSocket, heartbeatInterval: 0 });
await quiet.connect();
const quietSocket = FakeSocket.last;
function runValidateOnly() {
  const on = quietSocket.onmessage;
  for (let i = 0; i < texts.length; i++) on({ data: texts[i] });
  received = count;
}

const arms = [['baseline', runBaseline], ['wasm', runWasm]];
if (flags.breakdown) {
  arms.push(['encodeInto', runEncode], ['encode+C++', runValidateOnly], ['parsePayload', runParsePayload]);
}
const results = Object.fromEntries(arms.map(([n]) => [n, []]));
// Setup leaves garbage behind: start every timed run from a collected heap (without --expose-gc
// the first runs pay for it).
import('node:v8').then((v8) => v8.setFlagsFromString('--expose-gc'));
const { runInNewContext } = await import('node:vm');
await new Promise((resolve) => setTimeout(resolve, 0));
const collect = runInNewContext('typeof gc === "function" ? gc : () => {}');
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of r % 2 ? [...arms].reverse() : arms) {
    if (which !== 'both' && which !== name) continue;
    received = 0;
    seqSum = 0;
    collect();
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    if (received !== count) throw new Error(`${name}: ${received} of ${count} delivered`);
    // The arms that deliver payloads must deliver each message's own (seq 0 … count-1).
    if (seqSum !== 0 && seqSum !== (count * (count - 1)) / 2) throw new Error(`${name}: wrong payloads`);
    results[name].push((c.user + c.system) / count);
  }
}
for (const [name, xs] of Object.entries(results)) {
  if (xs.length) console.log(`${name.padEnd(12)} ${median(xs).toFixed(3)} µs/msg median, ${Math.min(...xs).toFixed(3)} min  (runs ${xs.map((x) => x.toFixed(3)).join(" ")})`);
}
if (flags.breakdown) {
  // Minimums: the least disturbed run of each part (this machine may be shared).
  const m = Object.fromEntries(Object.entries(results).map(([k, xs]) => [k, Math.min(...xs)]));
  console.log(`derived: C++ call+validate ${(m['encode+C++'] - m.encodeInto).toFixed(3)} µs, ` +
    `emit+payload string+dispatch ${(m.wasm - m['encode+C++'] - m.parsePayload).toFixed(3)} µs, ` +
    `JSON.parse(payload) ${m.parsePayload.toFixed(3)} µs, encodeInto ${m.encodeInto.toFixed(3)} µs`);
}
quiet.dispose();
if (results.wasm.length && results.baseline.length) {
  const [w, b] = [results.wasm, results.baseline];
  console.log(`ratio        ${(median(w) / median(b)).toFixed(3)}× of medians, ${(Math.min(...w) / Math.min(...b)).toFixed(3)}× of minimums; ` +
    `overhead ${(median(w) - median(b)).toFixed(3)} / ${(Math.min(...w) - Math.min(...b)).toFixed(3)} µs/msg`);
}
m.dispose();
