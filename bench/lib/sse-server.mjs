// The HTTP side of bench/sse-ingest.mjs, in a process of its own. Each GET gets the response
// headers at once, then (after --delay ms, so that every client has seen "open" before the first
// event) `count` events `id: <seq>\nevent: <trade|quote>\ndata: <JSON, ~150 bytes>\n\n`, pre-built
// and written in large chunks. The stream is then left open (an EventSource would reconnect).
import { createServer } from 'node:http';
import { makeMessages, parseFlags } from './common.mjs';

const flags = parseFlags(process.argv.slice(2));
const count = Number(flags.count ?? 200_000);
const delay = Number(flags.delay ?? 100);
const events = makeMessages(count, { unicode: !!flags.unicode }).map((m, i) => {
  const data = JSON.stringify({ type: m.type, ...m.payload, id: m.id, timestamp: m.timestamp, venue: 'XNAS' });
  return `id: ${i}\nevent: ${m.type}\ndata: ${data}\n\n`;
});
const stream = Buffer.from(events.join(''), 'utf8');
const dataBytes = events.reduce((s, e) => s + Buffer.byteLength(e.slice(e.indexOf('data: ') + 6, -2)), 0);

const server = createServer((req, res) => {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  res.on('error', () => {});
  setTimeout(async () => {
    const chunk = 256 * 1024;
    for (let off = 0; off < stream.length && !res.destroyed; off += chunk) {
      if (!res.write(stream.subarray(off, off + chunk))) {
        await new Promise((resolve) => {
          const go = () => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
    }
  }, delay);
});
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({
    url: `http://127.0.0.1:${server.address().port}/events`,
    count,
    avgDataBytes: dataBytes / count,
    avgEventBytes: stream.length / count,
    sample: events[0],
  }));
});
process.on('SIGTERM', () => process.exit(0));
