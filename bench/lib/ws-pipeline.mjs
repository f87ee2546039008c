// The WebSocketManager's inbound path without a network: a fake WebSocket constructor is handed
// to the manager, and its onmessage is called with pre-built frame strings in a tight loop. The
// baseline is JSON.parse + a Map dispatch by type over the same strings. This isolates what
// realtime-wasm adds per message (encode into the heap, C++ scan, payload string, JSON.parse of
// the payload, dispatch) from the transport's own cost; used for profiling, not in the report.
//   node bench/lib/ws-pipeline.mjs [--count=200000] [--rounds=5] [--unicode] [--impl=both|wasm|baseline]
import { makeMessages, median, parseFlags, TYPES, distIndex } from './common.mjs';
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
const handlers = new Map(TYPES.map((t) => [t, onPayload]));
function runBaseline() {
  const on = (e) => {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    const cb = handlers.get(msg.type);
    if (cb) cb(msg.payload);
  };
  for (let i = 0; i < texts.length; i++) on({ data: texts[i] });
}

const results = { wasm: [], baseline: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of r % 2 ? [['wasm', runWasm], ['baseline', runBaseline]] : [['baseline', runBaseline], ['wasm', runWasm]]) {
    if (which !== 'both' && which !== name) continue;
    received = 0;
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    if (received !== count) throw new Error(`${name}: ${received} of ${count} delivered`);
    results[name].push((c.user + c.system) / count);
  }
}
for (const [name, xs] of Object.entries(results)) {
  if (xs.length) console.log(`${name.padEnd(9)} ${median(xs).toFixed(3)} µs/msg  (runs ${xs.map((x) => x.toFixed(3)).join(' ')})`);
}
if (results.wasm.length && results.baseline.length) {
  console.log(`ratio     ${(median(results.wasm) / median(results.baseline)).toFixed(3)}×  overhead ${(median(results.wasm) - median(results.baseline)).toFixed(3)} µs/msg`);
}
m.dispose();
