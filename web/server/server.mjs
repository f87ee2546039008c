// createRealtimeServer: the HTTP upgrade (path, subprotocol, connection authorization), the ws
// server, publish, sse and close. The protocol itself is in protocol.mjs.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { memoryStore } from './memory-store.mjs';
import { DEFAULT_LIMITS, SUBPROTOCOL, badChannel, decide, serveConnection } from './protocol.mjs';
import { sseHandler } from './sse.mjs';

/** Refuses an upgrade with a plain HTTP status (before any WebSocket exists). */
function refuse(socket, status, text) {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

const offered = (request) =>
  String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .some((p) => p.trim() === SUBPROTOCOL);

/** @type {import('./index.d.ts').createRealtimeServer} */
export async function createRealtimeServer(options = {}) {
  const { port, host, path = '/realtime', onMessage, onConnection, onClose, authorize, log } = options;
  const store = options.store ?? memoryStore();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const ctx = {
    store, onMessage, onClose, authorize, limits,
    log: log ?? ((...a) => console.error('realtime-wasm/server:', ...a)),
  };
  const owned = !options.server;
  const server =
    options.server ??
    createServer((req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    });
  // ws refuses (close 1009) frames past this; between maxMessageBytes and this, the protocol
  // answers rt:error too_large and the connection stays.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes ?? 16 * limits.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: () => SUBPROTOCOL,
  });
  const streams = new Set(); // open SSE responses, ended by close()

  const onUpgrade = async (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname !== path) {
      if (owned) refuse(socket, 404, 'Not Found');
      return; // someone else's upgrade on a shared server
    }
    socket.on('error', () => socket.destroy());
    if (!offered(request)) return refuse(socket, 400, `Bad Request: subprotocol ${SUBPROTOCOL} required`);
    const verdict = await decide(authorize, request, undefined);
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (!verdict.ok) {
        ws.close(verdict.forbidden ? 4403 : 4401, verdict.forbidden ? 'forbidden' : 'unauthorized');
        return;
      }
      const client = serveConnection(ws, request, verdict.identity, ctx);
      try {
        onConnection?.(client);
      } catch (err) {
        ctx.log('onConnection failed', err);
      }
    });
  };
  server.on('upgrade', onUpgrade);

  if (owned) {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  const urlOf = () => {
    const a = server.address();
    if (!a || typeof a === 'string') return undefined;
    const h = host ?? (a.family === 'IPv6' && a.address !== '::' ? `[${a.address}]` : a.address);
    const shown = h === '::' || h === '0.0.0.0' ? 'localhost' : h;
    return `ws://${shown}:${a.port}${path}`;
  };

  return {
    get url() {
      return urlOf();
    },
    store,
    async publish(channel, type, payload, { id } = {}) {
      const bad = badChannel(channel, limits);
      if (bad) throw new TypeError(`publish: ${bad}`);
      if (typeof type !== 'string' || type === '' || type.startsWith('rt:') || /[\r\n]/.test(type)) {
        throw new TypeError('publish: type must be a one-line string not starting with "rt:"');
      }
      if (id !== undefined && (typeof id !== 'string' || id === '')) {
        throw new TypeError('publish: id must be a non-empty string');
      }
      const payloadJson = JSON.stringify(payload ?? null);
      const { offset } = await store.publish(channel, {
        type,
        id: id ?? randomUUID(),
        dedupe: id !== undefined,
        timestamp: Date.now(),
        payloadJson,
      });
      return { offset };
    },
    sse(channel) {
      const bad = badChannel(channel, limits);
      if (bad) throw new TypeError(`sse: ${bad}`);
      return sseHandler(channel, { store, authorize, limits, streams });
    },
    async close() {
      server.off('upgrade', onUpgrade);
      for (const res of streams) res.end();
      const closing = [...wss.clients].map((ws) => {
        ws.close(1001, 'server closing');
        return new Promise((resolve) => ws.once('close', resolve));
      });
      let timer;
      await Promise.race([
        Promise.all(closing),
        new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
      ]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
      if (owned) {
        server.closeAllConnections?.();
        await new Promise((resolve) => server.close(() => resolve()));
      }
      await store.close();
    },
  };
}
