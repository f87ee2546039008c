// The server side of bench/delivery.mjs, in a child process (its CPU is not the client's): the
// server kit on the memory store. onMessage echoes: an acknowledged message gets its payload back
// as the reply; a plain 'ping-plain' is answered with a plain 'pong-plain' frame. IPC commands:
// { cmd: 'publish', count } publishes `count` ticks on channel 'feed'; { cmd: 'push', count }
// sends as many plain 'tick' frames to every connection (the same payload, no channel).
import { createRealtimeServer } from '../../web/server/index.mjs';

const clients = new Set();
const rt = await createRealtimeServer({
  port: 0,
  host: '127.0.0.1',
  onMessage(message, client) {
    clients.add(client);
    if (message.type === 'ping-plain') client.send('pong-plain', message.payload);
    return message.payload;
  },
});
const payload = { symbol: 'AAPL', price: 187.25, size: 100, venue: 'XNAS', seq: 0 };

process.on('message', async ({ cmd, count }) => {
  const start = performance.now();
  if (cmd === 'publish') {
    for (let i = 1; i <= count; i++) await rt.publish('feed', 'tick', { ...payload, seq: i });
  } else if (cmd === 'push') {
    for (let i = 1; i <= count; i++) {
      for (const c of clients) c.send('tick', { ...payload, seq: i });
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  process.send({ done: cmd, ms: performance.now() - start });
});
process.on('disconnect', () => rt.close().then(() => process.exit(0)));
process.send({ url: rt.url });
