// Publications per second through realtime-wasm/server: one memory-store server in this process,
// and two server processes on one redis-server (both publishing, a receiver on each). Every
// publication carries an id (the idempotent path) and every receiver must get each offset once.
//
//   node bench/server-publish.mjs [--count=20000] [--concurrency=64]
import { spawnSync } from 'node:child_process';
import { createRealtimeServer } from 'realtime-wasm/server';
import { forkInstance, rawClient, startRedis } from '../tests/js/server-helpers.mjs';

const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const COUNT = arg('count', 20000);
const CONCURRENCY = arg('concurrency', 64);

/** A receiver joined to `channel`; `done` resolves once offsets 1..n all arrived (checked). */
async function receiver(url, channel, n) {
  const c = await rawClient(url);
  await c.join(channel);
  let seen = 0;
  let sum = 0;
  const done = new Promise((resolve, reject) => {
    c.ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.channel !== channel) return;
      seen++;
      sum += f.offset;
      if (seen === n) {
        if (sum !== (n * (n + 1)) / 2) reject(new Error(`offsets wrong: sum ${sum}`));
        resolve(performance.now());
      }
    });
  });
  c.queue.length = 0;
  return { c, done };
}

async function memoryRun() {
  const rt = await createRealtimeServer({ host: '127.0.0.1' });
  const r = await receiver(rt.url, 'bench', COUNT);
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < COUNT) {
      const i = next++;
      await rt.publish('bench', 'tick', { i }, { id: `m-${i}` });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const published = performance.now();
  const delivered = await r.done;
  await r.c.close();
  await rt.close();
  return { setup: 'memory store, 1 server', publishMs: published - start, deliverMs: delivered - start };
}

async function redisRun() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const redis = await startRedis();
  const env = { REDIS_URL: redis.url, RT_PREFIX: `bench${Date.now()}:` };
  const [a, b] = await Promise.all(['A', 'B'].map((n) => forkInstance({ ...env, RT_NAME: n })));
  try {
    const ra = await receiver(a.url, 'bench', COUNT);
    const rb = await receiver(b.url, 'bench', COUNT);
    const start = performance.now();
    const half = COUNT / 2;
    await Promise.all([
      a.call('publishMany', { channel: 'bench', count: half, idPrefix: 'a-', concurrency: CONCURRENCY / 2 }),
      b.call('publishMany', { channel: 'bench', count: COUNT - half, idPrefix: 'b-', concurrency: CONCURRENCY / 2 }),
    ]);
    const published = performance.now();
    const delivered = Math.max(await ra.done, await rb.done);
    await Promise.all([ra.c.close(), rb.c.close()]);
    return { setup: '2 instances on one Redis (receiver on each)', publishMs: published - start, deliverMs: delivered - start };
  } finally {
    await Promise.all([a.kill(), b.kill()]);
    await redis.stop();
  }
}

const rows = [await memoryRun(), await redisRun()].filter(Boolean);
console.log(`server-publish: ${COUNT} publications with ids, ${CONCURRENCY} in flight\n`);
console.log('| setup | publish calls/s | delivered/s (all receivers done) |');
console.log('| --- | ---: | ---: |');
for (const r of rows) {
  const rate = (ms) => Math.round(COUNT / (ms / 1000)).toLocaleString('en-US');
  console.log(`| ${r.setup} | ${rate(r.publishMs)} | ${rate(r.deliverMs)} |`);
}
if (rows.length < 2) console.log('\n(redis-server not found: the Redis row is missing; run scripts/setup.sh)');
