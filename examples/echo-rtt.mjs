// The main job until the demo app lands: a local echo server and a WebSocketManager that
// measures round-trip times through the WebAssembly runtime, printed as they arrive.
import { WebSocketServer } from 'ws';
import { WebSocketManager } from '../dist/index.js';

const rounds = Number(process.argv[2] ?? 20);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve) => wss.once('listening', resolve));
wss.on('connection', (socket) =>
  socket.on('message', (data) => {
    const msg = JSON.parse(String(data));
    socket.send(JSON.stringify({ type: 'echo', payload: msg.payload }));
  }),
);
const url = `ws://127.0.0.1:${wss.address().port}`;
console.log(`echo server on ${url}`);

const manager = new WebSocketManager({ url });
manager.on('state', ({ newState, oldState }) => console.log(`state ${oldState} → ${newState}`));
const rtts = [];
let resolveDone;
const done = new Promise((resolve) => (resolveDone = resolve));
manager.subscribe('echo', ({ seq, sentAt }) => {
  const rtt = performance.now() - sentAt;
  rtts.push(rtt);
  console.log(`#${seq} round trip ${rtt.toFixed(3)} ms`);
  if (rtts.length === rounds) resolveDone();
  else manager.send({ type: 'probe', payload: { seq: seq + 1, sentAt: performance.now() } });
});
await manager.connect();
manager.send({ type: 'probe', payload: { seq: 1, sentAt: performance.now() } });
await done;
rtts.sort((a, b) => a - b);
console.log(`median ${rtts[rtts.length >> 1].toFixed(3)} ms, max ${rtts.at(-1).toFixed(3)} ms over ${rounds} round trips`);
manager.dispose();
wss.close();
