// What the delivery guarantees cost the client, against plain send/subscribe in the same run
// (the server kit runs in a child process, so the CPU measured here is the client's):
//  - acknowledged round trip: sequential sendWithAck (reply in rt:ack) vs sequential send + a
//    plain reply frame, per round trip;
//  - channel delivery: client CPU per publication received through a Channel (offset de-dup,
//    position, meta) vs the same frames as plain messages to manager.subscribe.
//
//   node bench/delivery.mjs [--roundtrips=2000] [--messages=20000] [--runs=3]
import { fork } from 'node:child_process';
import { once } from 'node:events';

import { WebSocketManager, loadRuntime } from '../dist/index.js';

const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const ROUNDTRIPS = arg('roundtrips', 2000);
const MESSAGES = arg('messages', 20000);
const RUNS = arg('runs', 3);

await loadRuntime();
const server = fork(new URL('./lib/delivery-server.mjs', import.meta.url));
const [{ url }] = await once(server, 'message');
const command = async (cmd, count) => {
  server.send({ cmd, count });
  for (;;) {
    const [m] = await once(server, 'message');
    if (m.done === cmd) return m;
  }
};

const manager = new WebSocketManager({ url, realtimeProtocol: true, heartbeatInterval: 0 });
await manager.connect();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ackRoundTrips() {
  const t0 = performance.now();
  for (let i = 0; i < ROUNDTRIPS; i++) await manager.sendWithAck({ type: 'ping-ack', payload: { i } });
  return ((performance.now() - t0) * 1000) / ROUNDTRIPS;
}

async function plainRoundTrips() {
  let resolve;
  const off = manager.subscribe('pong-plain', () => resolve());
  const t0 = performance.now();
  for (let i = 0; i < ROUNDTRIPS; i++) {
    const reply = new Promise((r) => (resolve = r));
    manager.send({ type: 'ping-plain', payload: { i } });
    await reply;
  }
  off();
  return ((performance.now() - t0) * 1000) / ROUNDTRIPS;
}

/** Client CPU µs per message while `count` messages arrive through `listen(cb)`. */
async function cpuPerMessage(start, listen) {
  let got = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const off = listen(() => {
    if (++got === MESSAGES) done();
  });
  const cpu = process.cpuUsage();
  start();
  await all;
  const used = process.cpuUsage(cpu);
  off();
  return (used.user + used.system) / MESSAGES;
}

const channel = manager.channel('feed');
while (!channel.position) await new Promise((r) => setTimeout(r, 5));
await manager.sendWithAck({ type: 'hello', payload: 0 });  // the server knows this client now

const results = { ack: [], plainRtt: [], channel: [], plain: [] };
for (let run = 0; run < RUNS; run++) {
  results.plainRtt.push(await plainRoundTrips());
  results.ack.push(await ackRoundTrips());
  results.plain.push(await cpuPerMessage(() => command('push', MESSAGES), (cb) => manager.subscribe('tick', cb)));
  results.channel.push(await cpuPerMessage(() => command('publish', MESSAGES), (cb) => channel.subscribe('tick', cb)));
}

const row = (what, base, x, unit) =>
  `| ${what} | ${median(base).toFixed(1)} ${unit} | ${median(x).toFixed(1)} ${unit} | ${(median(x) / median(base)).toFixed(2)}× |`;
console.log(`delivery bench: ${ROUNDTRIPS} round trips, ${MESSAGES} messages, median of ${RUNS} runs`);
console.log('| measure | plain send/subscribe | realtime.v1 | ratio |');
console.log('| --- | ---: | ---: | ---: |');
console.log(row('round trip (sequential)', results.plainRtt, results.ack, 'µs'));
console.log(row('client CPU per inbound message', results.plain, results.channel, 'µs'));
manager.dispose();
server.disconnect();
