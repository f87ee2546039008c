// One measured client run of bench/ws-ingest.mjs (a fresh process per run).
//   --impl=baseline  the WebSocket constructor + JSON.parse + a Map dispatch by type
//   --impl=wasm      realtime-wasm's WebSocketManager, both types subscribed
//   --ws=native      Node's built-in WebSocket (run with --experimental-websocket on Node 20)
//   --ws=ws          the `ws` package's WebSocket
// CPU time is process.cpuUsage() (user + sys, all threads of this process) from just after the
// "go" is sent on the open socket (the server starts then) to the last message delivered.
// Prints one JSON line: { impl, ws, count, cpuUs, userUs, sysUs, wallMs, usPerMsg, ... }.
import { baselineOnMessage, parseFlags, TYPES, distIndex, windowProfiler } from './common.mjs';

const flags = parseFlags(process.argv.slice(2));
const impl = flags.impl ?? 'baseline';
const wsKind = flags.ws ?? 'native';
const url = flags.url;
const count = Number(flags.count ?? 200_000);

let Ctor;
if (wsKind === 'ws') {
  Ctor = (await import('ws')).WebSocket;
} else {
  Ctor = globalThis.WebSocket;
  if (typeof Ctor !== 'function') throw new Error('no global WebSocket: run with --experimental-websocket');
}

// --profile=DIR: a CPU profile of the measured window only (perturbs the timing: not for figures).
const profiler = await windowProfiler(flags.profile, `${wsKind}-${impl}`);

let received = 0;
let seqSum = 0;
let cpu0 = null;
let wall0 = 0;
let finish;
const done = new Promise((resolve) => (finish = resolve));

function onPayload(payload) {
  seqSum += payload.seq;
  if (++received === count) {
    const cpu = process.cpuUsage(cpu0);
    finish({ cpu, wallMs: performance.now() - wall0 });
  }
}

function start() {
  profiler.start();
  cpu0 = process.cpuUsage();
  wall0 = performance.now();
}

let close;
if (impl === 'baseline') {
  const socket = new Ctor(url);
  socket.binaryType = 'arraybuffer';
  socket.onmessage = baselineOnMessage(onPayload);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  socket.send('go');  // nothing can arrive before this returns: the server waits for it
  start();
  close = () => socket.close();
} else if (impl === 'wasm') {
  const { WebSocketManager, loadRuntime } = await import(distIndex());
  await loadRuntime();
  const m = new WebSocketManager({ url, WebSocket: Ctor });
  m.on('error', (e) => console.error('manager error', e.code, e.message));
  for (const t of TYPES) m.subscribe(t, onPayload);
  await m.connect();
  m.send({ type: 'go', payload: null });
  start();
  close = () => m.dispose();
} else {
  throw new Error(`unknown --impl=${impl}`);
}

const { cpu, wallMs } = await done;
await profiler.stop();
const expectedSum = (count * (count - 1)) / 2;
if (seqSum !== expectedSum) throw new Error(`lost or duplicated messages: seq sum ${seqSum} != ${expectedSum}`);
const cpuUs = cpu.user + cpu.system;
const line = JSON.stringify({
  impl, ws: wsKind, count, cpuUs, userUs: cpu.user, sysUs: cpu.system, wallMs,
  usPerMsg: cpuUs / count, node: process.version,
});
close();
process.stdout.write(line + '\n', () => process.exit(0));
