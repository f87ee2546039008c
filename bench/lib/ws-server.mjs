// The WebSocket side of bench/ws-ingest.mjs, in a process of its own so that its CPU time is
// not the client's. A `ws` server on 127.0.0.1:0; each connection waits for one message from
// the client ("go"), then receives `count` envelopes as text frames.
//
// Frames are pre-built once (unmasked FIN text frames, exactly what ws.send would put on the
// wire) and written to the TCP socket in large chunks, so the server is never the bottleneck:
// the client always finds full socket buffers, whatever its speed. `--send=ws` uses ws.send()
// per message instead (slower server, for comparison).
import { WebSocketServer } from 'ws';
import { makeMessages, parseFlags } from './common.mjs';

const flags = parseFlags(process.argv.slice(2));
const count = Number(flags.count ?? 200_000);
const sendMode = flags.send ?? 'raw';
const texts = makeMessages(count, { unicode: !!flags.unicode }).map((m) => JSON.stringify(m));

function frame(text) {
  const body = Buffer.from(text, 'utf8');
  const n = body.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : null;
  if (!head) throw new Error('frame too large for this bench');
  return Buffer.concat([head, body]);
}
const wire = Buffer.concat(texts.map(frame));
const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);

async function sendRaw(socket) {
  const tcp = socket._socket;  // ws keeps the net.Socket here; the handshake is done
  const chunk = 256 * 1024;
  for (let off = 0; off < wire.length; off += chunk) {
    if (!tcp.write(wire.subarray(off, off + chunk))) {
      await new Promise((resolve) => tcp.once('drain', resolve));
    }
  }
}

async function sendWs(socket) {
  const batch = 2000;
  for (let i = 0; i < texts.length; i += batch) {
    const end = Math.min(i + batch, texts.length);
    for (let j = i; j < end - 1; j++) socket.send(texts[j]);
    await new Promise((resolve) => socket.send(texts[end - 1], resolve));
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.once('message', () => {
    (sendMode === 'ws' ? sendWs(socket) : sendRaw(socket)).catch(() => {});
  });
  socket.on('error', () => {});
});
wss.once('listening', () => {
  console.log(JSON.stringify({
    url: `ws://127.0.0.1:${wss.address().port}`,
    count,
    avgBytes: bytes / count,
    sample: texts[0],
  }));
});
process.on('SIGTERM', () => process.exit(0));
