// WebSocket ingest: client CPU time per inbound envelope, realtime-wasm's WebSocketManager vs the
// raw baseline (the same WebSocket constructor + JSON.parse + a Map dispatch by type).
//
// A `ws` server in a child process of its own pushes --count envelopes {"type","payload","id",
// "timestamp"} (~150 bytes, 2 types, both subscribed). Every measured client run is a fresh
// child process (bench/lib/ws-client.mjs): no JIT state, heap or wasm instance is shared between
// the implementations; their order alternates run by run. CPU = process.cpuUsage() user + sys of
// the client from "open, go sent" (the server waits for it) to the last message delivered. Median of --runs runs each,
// with Node's built-in WebSocket (undici) and with the `ws` package's WebSocket.
//
//   node bench/ws-ingest.mjs [--count=200000] [--runs=5] [--ws=native,ws] [--unicode]
//                            [--profile=DIR]  (a .cpuprofile of each client's measured window)
//                            [--json=FILE]    (writes the results as JSON)
// Target: realtime-wasm / baseline ≤ 1.15.
import { writeFileSync } from 'node:fs';
import {
  fmt, globalFlag, median, parseFlags, runChild, startChild, stopChild, table,
} from './lib/common.mjs';

const flags = parseFlags(process.argv.slice(2));
const count = Number(flags.count ?? 200_000);
const runs = Number(flags.runs ?? 5);
const wsKinds = String(flags.ws ?? 'native,ws').split(',');
const impls = ['baseline', 'wasm'];
const TARGET = 1.15;

const server = await startChild([
  'bench/lib/ws-server.mjs', `--count=${count}`, ...(flags.unicode ? ['--unicode'] : []),
  ...(flags.send ? [`--send=${flags.send}`] : []),
]);
const { url, avgBytes } = server.info;
const nodeFlags = ['--no-warnings', ...globalFlag('WebSocket', '--experimental-websocket')];
if (wsKinds.includes('native') && typeof globalThis.WebSocket !== 'function' && nodeFlags.length < 2) {
  throw new Error('this Node has no WebSocket, not even with --experimental-websocket');
}
console.log(`ws-ingest: ${count} envelopes of ${fmt(avgBytes, 1)} bytes on average, ${runs} runs per arm, ` +
  `fresh client process per run, ${process.version}`);

const results = {};
try {
  for (const ws of wsKinds) {
    const per = Object.fromEntries(impls.map((i) => [i, []]));
    for (let r = 0; r < runs; r++) {
      const order = r % 2 ? [...impls].reverse() : impls;
      for (const impl of order) {
        const res = await runChild([
          ...nodeFlags, 'bench/lib/ws-client.mjs',
          `--impl=${impl}`, `--ws=${ws}`, `--url=${url}`, `--count=${count}`,
          ...(flags.profile ? [`--profile=${flags.profile}`] : []),
        ]);
        per[impl].push(res);
      }
    }
    results[ws] = per;
  }
} finally {
  await stopChild(server.child);
}

const rows = [['WebSocket', 'implementation', 'µs/msg (median)', 'runs (µs/msg)', 'wall ms (median)', 'ratio']];
const summary = {};
for (const ws of wsKinds) {
  const med = Object.fromEntries(impls.map((i) => [i, median(results[ws][i].map((x) => x.usPerMsg))]));
  const ratio = med.wasm / med.baseline;
  // Each run's two arms ran back to back: their ratio cancels most of a shared machine's drift.
  const pairedRatio = median(results[ws].wasm.map((x, i) => x.usPerMsg / results[ws].baseline[i].usPerMsg));
  summary[ws] = { ...med, ratio, pairedRatio };
  const label = ws === 'native' ? 'Node built-in' : 'ws package';
  for (const impl of impls) {
    const xs = results[ws][impl];
    rows.push([
      label, impl === 'wasm' ? 'realtime-wasm' : 'baseline', fmt(med[impl]),
      xs.map((x) => fmt(x.usPerMsg, 2)).join(' '), fmt(median(xs.map((x) => x.wallMs)), 0),
      impl === 'wasm' ? `${fmt(ratio)}×` : '',
    ]);
  }
}
table(rows);
for (const ws of wsKinds) {
  const s = summary[ws];
  console.log(`${ws === 'native' ? 'Node built-in WebSocket' : 'ws package'}: realtime-wasm / baseline = ` +
    `${fmt(s.ratio)}× (target ≤ ${TARGET}×: ${s.ratio <= TARGET ? 'met' : 'NOT met'}), ` +
    `overhead ${fmt(s.wasm - s.baseline)} µs/msg; median of per-run ratios ${fmt(s.pairedRatio)}×`);
}
if (flags.json) writeFileSync(flags.json, JSON.stringify({ count, avgBytes, runs, summary, results }, null, 2));
