// Server-Sent Events ingest: client CPU time per event, realtime-wasm's ServerSentEventsManager
// against Node's EventSource + JSON.parse (the baseline) and two npm packages.
//
// An HTTP server in a child process of its own streams --count events (JSON data of ~150 bytes,
// ids, two event names, both subscribed). Every measured client run is a fresh child process
// (bench/lib/sse-client.mjs); the arms' order rotates run by run. CPU = process.cpuUsage() user +
// sys of the client from "open" to the last event delivered; the median of --runs runs per arm.
// The realtime-wasm arms run when dist/ exports ServerSentEventsManager.
//
//   node bench/sse-ingest.mjs [--count=200000] [--runs=5] [--impls=a,b,...] [--profile=DIR]
//                             [--json=FILE]
// Targets: realtime-wasm / baseline ≤ 1.15, and faster than both packages.
import { writeFileSync } from 'node:fs';
import {
  distIndex, fmt, globalFlag, median, parseFlags, runChild, startChild, stopChild, table,
} from './lib/common.mjs';

const flags = parseFlags(process.argv.slice(2));
const count = Number(flags.count ?? 200_000);
const runs = Number(flags.runs ?? 5);
const TARGET = 1.15;
const LABELS = {
  baseline: "Node's EventSource + JSON.parse (baseline)",
  eventsource: '`eventsource` package + JSON.parse',
  'fetch-event-source': '@microsoft/fetch-event-source + JSON.parse',
  'wasm-fetch': "realtime-wasm ServerSentEventsManager, transport 'fetch'",
  'wasm-eventsource': "realtime-wasm ServerSentEventsManager, transport 'eventsource'",
};

const nodeFlags = ['--no-warnings', ...globalFlag('EventSource', '--experimental-eventsource')];
let hasWasm = false;
try {
  hasWasm = typeof (await import(distIndex())).ServerSentEventsManager === 'function';
} catch {
  // no dist/: the package arms alone
}
const impls = flags.impls
  ? String(flags.impls).split(',')
  : ['baseline', 'eventsource', 'fetch-event-source', ...(hasWasm ? ['wasm-fetch', 'wasm-eventsource'] : [])];

const server = await startChild(['bench/lib/sse-server.mjs', `--count=${count}`]);
const { url, avgDataBytes, avgEventBytes } = server.info;
console.log(`sse-ingest: ${count} events, data ${fmt(avgDataBytes, 1)} bytes (${fmt(avgEventBytes, 1)} on the wire), ` +
  `${runs} runs per arm, fresh client process per run, ${process.version}` +
  (hasWasm ? '' : '; realtime-wasm arms skipped: dist/ has no ServerSentEventsManager'));

const results = Object.fromEntries(impls.map((i) => [i, []]));
try {
  for (let r = 0; r < runs; r++) {
    const order = impls.map((_, i) => impls[(i + r) % impls.length]);
    for (const impl of order) {
      results[impl].push(await runChild([
        ...nodeFlags, 'bench/lib/sse-client.mjs', `--impl=${impl}`, `--url=${url}`, `--count=${count}`,
        ...(flags.profile ? [`--profile=${flags.profile}`] : []),
      ]));
    }
  }
} finally {
  await stopChild(server.child);
}

const med = Object.fromEntries(impls.map((i) => [i, median(results[i].map((x) => x.usPerEvent))]));
const base = med.baseline;
const rows = [['implementation', 'µs/event (median)', 'runs (µs/event)', 'wall ms (median)', '× baseline']];
for (const impl of impls) {
  rows.push([
    LABELS[impl] ?? impl, fmt(med[impl]), results[impl].map((x) => fmt(x.usPerEvent, 2)).join(' '),
    fmt(median(results[impl].map((x) => x.wallMs)), 0), base ? `${fmt(med[impl] / base)}×` : '',
  ]);
}
table(rows);
for (const impl of impls.filter((i) => i.startsWith('wasm'))) {
  const ratio = med[impl] / base;
  const beats = ['eventsource', 'fetch-event-source'].filter((p) => p in med).every((p) => med[impl] < med[p]);
  console.log(`${impl}: ${fmt(ratio)}× the baseline (target ≤ ${TARGET}×: ${ratio <= TARGET ? 'met' : 'NOT met'}); ` +
    `faster than both packages: ${beats ? 'yes' : 'NO'}`);
}
if (flags.json) writeFileSync(flags.json, JSON.stringify({ count, avgDataBytes, runs, med, results }, null, 2));
