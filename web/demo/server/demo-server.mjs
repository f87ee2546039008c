// The demo server: one HTTP port serving the built demo app, a WebSocket chat (rooms, history,
// typing, presence) and an SSE dashboard stream (metrics and alerts). In memory; no external
// service. Every inbound message is checked: an unknown type, an oversized or malformed message
// gets an `error` reply and the server keeps running.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer } from 'ws';

export const MAX_MESSAGE_BYTES = 64 * 1024;
const HISTORY = 50;
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};
// A strict CSP: no inline script, no eval; wasm compilation allowed.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: https:; connect-src 'self' ws: wss:";

const envelope = (type, payload) => JSON.stringify({ type, payload, id: randomUUID(), timestamp: Date.now() });

/** Validates one inbound chat frame; returns { type, payload } or { error }. */
export function parseClientMessage(data, isBinary) {
  if (isBinary) return { error: 'binary frames are not accepted' };
  if (data.length > MAX_MESSAGE_BYTES) return { error: `message larger than ${MAX_MESSAGE_BYTES} bytes` };
  let msg;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return { error: 'message is not valid JSON' };
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return { error: 'message is not an object' };
  if (typeof msg.type !== 'string') return { error: 'message type must be a string' };
  const payload = msg.payload ?? {};
  if (typeof payload !== 'object' || Array.isArray(payload)) return { error: 'payload must be an object' };
  return { type: msg.type, payload, id: typeof msg.id === 'string' ? msg.id : undefined };
}

function createChat() {
  const rooms = new Map();  // roomId -> { members: Map<socket, user>, history: [] }
  const room = (id) => {
    if (!rooms.has(id)) rooms.set(id, { members: new Map(), history: [] });
    return rooms.get(id);
  };
  const broadcast = (r, text, except) => {
    for (const socket of r.members.keys()) if (socket !== except && socket.readyState === 1) socket.send(text);
  };
  const text = (value, max) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

  const handlers = {
    ping: (ctx) => ctx.socket.send(envelope('pong', {})),
    send_message: (ctx, payload) => {
      const kind = payload.type === 'image' ? 'image' : 'text';
      const content = text(payload.content, kind === 'image' ? 2048 : 2000);
      if (!content) return ctx.error('content must be a non-empty string');
      if (kind === 'image' && !/^(https:\/\/|data:image\/)/.test(content)) {
        return ctx.error('an image must be an https: or data:image URL');
      }
      // clientId makes a resend after reconnect idempotent: delivered exactly once.
      const clientId = text(payload.clientId, 100) || undefined;
      if (clientId && ctx.room.history.some((m) => m.clientId === clientId)) return;
      const message = {
        id: randomUUID(), clientId, content, type: kind, timestamp: Date.now(),
        author: ctx.user,
      };
      ctx.room.history.push(message);
      if (ctx.room.history.length > HISTORY) ctx.room.history.shift();
      broadcast(ctx.room, envelope('message', message));
    },
    edit_message: (ctx, payload) => {
      const message = ctx.room.history.find((m) => m.id === payload.id && m.author.id === ctx.user.id);
      const content = text(payload.content, 2000);
      if (!message || !content) return ctx.error('cannot edit that message');
      Object.assign(message, { content, edited: true });
      broadcast(ctx.room, envelope('message_edited', message));
    },
    typing_start: (ctx) => broadcast(ctx.room, envelope('typing_start', { userId: ctx.user.id, userName: ctx.user.name }), ctx.socket),
    typing_stop: (ctx) => broadcast(ctx.room, envelope('typing_stop', { userId: ctx.user.id, userName: ctx.user.name }), ctx.socket),
  };

  return function onConnection(socket, request) {
    const url = new URL(request.url, 'http://localhost');
    const roomId = decodeURIComponent(url.pathname.replace(/^\/chat\/?/, '')) || 'lobby';
    const name = text(url.searchParams.get('name'), 40) || `guest-${Math.floor(Math.random() * 1000)}`;
    const user = { id: text(url.searchParams.get('user'), 64) || randomUUID(), name,
      avatar: `https://api.dicebear.com/7.x/initials/svg?seed=${encodeURIComponent(name)}` };
    const r = room(roomId);
    r.members.set(socket, user);
    const ctx = {
      socket, user, room: r,
      error: (message) => socket.send(envelope('error', { message })),
    };
    socket.send(envelope('message_history', r.history));
    socket.send(envelope('presence', { users: [...r.members.values()] }));
    broadcast(r, envelope('user_joined', { userId: user.id, userName: user.name }), socket);
    socket.on('message', (data, isBinary) => {
      const msg = parseClientMessage(data, isBinary);
      if (msg.error) return ctx.error(msg.error);
      const handler = handlers[msg.type];
      if (!handler) return ctx.error(`unknown message type '${msg.type.slice(0, 40)}'`);
      handler(ctx, msg.payload);
    });
    socket.on('close', () => {
      r.members.delete(socket);
      broadcast(r, envelope('user_left', { userId: user.id, userName: user.name }));
    });
  };
}

function createDashboard({ intervalMs }) {
  const metrics = [
    { id: 'rps', name: 'Requests / s', unit: 'req/s', value: 1200, spread: 150 },
    { id: 'latency', name: 'p95 latency', unit: 'ms', value: 180, spread: 25 },
    { id: 'errors', name: 'Error rate', unit: '%', value: 0.4, spread: 0.2 },
    { id: 'cpu', name: 'CPU', unit: '%', value: 42, spread: 8 },
    { id: 'users', name: 'Active users', unit: '', value: 3400, spread: 120 },
    { id: 'queue', name: 'Queue depth', unit: 'jobs', value: 12, spread: 6 },
  ].map((m) => ({ ...m, trend: 'stable', timestamp: Date.now() }));
  const clients = new Set();
  const tickWaiters = [];
  let seq = 0;
  const send = (event, data) => {
    seq++;
    const frame = `id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const tick = () => {
    for (const m of metrics) {
      const next = Math.max(0, m.value + (Math.random() - 0.5) * m.spread);
      const rounded = m.value < 10 ? Math.round(next * 100) / 100 : Math.round(next);
      m.trend = rounded > m.value ? 'up' : rounded < m.value ? 'down' : 'stable';
      m.value = rounded;
      m.timestamp = Date.now();
    }
    send('metrics', metrics.map(({ spread, ...m }) => m));
    if (Math.random() < 0.25) {
      const level = ['info', 'warning', 'error'][Math.floor(Math.random() * 3)];
      const messages = {
        info: 'Deployment finished on eu-west-1',
        warning: 'p95 latency above 200 ms for 1 minute',
        error: 'Payment service returned 5xx for 2% of requests',
      };
      send('alert', { id: randomUUID(), level, message: messages[level], timestamp: Date.now() });
    }
    send('heartbeat', { timestamp: Date.now() });
    for (const w of tickWaiters.splice(0)) w();
  };
  const timer = setInterval(tick, intervalMs);
  return {
    handle(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      clients.add(res);
      tick();
      req.on('close', () => clients.delete(res));
    },
    /** Resolves after n more metric ticks have been sent. */
    async untilTicks(n) {
      for (let i = 0; i < n; i++) await new Promise((resolve) => tickWaiters.push(resolve));
    },
    /** Sends an alert now (tests use it to make one appear on demand). */
    alert(level, message) {
      send('alert', { id: randomUUID(), level, message, timestamp: Date.now() });
    },
    close() {
      clearInterval(timer);
      for (const res of clients) res.end();
    },
  };
}

/** Starts the demo server. `staticDir` is the built app (may be absent while developing). */
export async function startDemoServer({ port = 0, host = '127.0.0.1', staticDir, metricsIntervalMs = 1000 } = {}) {
  const dashboard = createDashboard({ intervalMs: metricsIntervalMs });
  const onChat = createChat();
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/api/dashboard/stream') return dashboard.handle(req, res);
    if (url.pathname === '/api/alert' && req.method === 'POST') {
      dashboard.alert(url.searchParams.get('level') ?? 'error', url.searchParams.get('message') ?? 'Test alert');
      return res.writeHead(204).end();
    }
    if (!staticDir) return res.writeHead(404).end('no app built');
    let file = normalize(join(staticDir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(staticDir)) return res.writeHead(403).end();
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(staticDir, 'index.html');
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  });
  const wss = new WebSocketServer({ server, path: undefined, maxPayload: MAX_MESSAGE_BYTES * 4 });
  wss.on('connection', (socket, request) => {
    if (!request.url.startsWith('/chat')) return socket.close(1008, 'unknown endpoint');
    onChat(socket, request);
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    untilTicks: (n) => dashboard.untilTicks(n),
    async close() {
      dashboard.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 5173);
  const staticDir = process.argv[2];
  const s = await startDemoServer({ port, host: process.env.HOST ?? '127.0.0.1', staticDir });
  console.log(`realtime-wasm demo running:`);
  console.log(`  chat room        ${s.url}/chat/general`);
  console.log(`  live dashboard   ${s.url}/dashboard`);
  console.log(`  diagnostics      ${s.url}/diagnostics`);
  console.log('Open the chat in two windows (add ?name=ada / ?name=bob) to talk to yourself. Ctrl-C stops.');
}
