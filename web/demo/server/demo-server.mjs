// The demo server, built on the server kit (realtime-wasm/server): one HTTP port serving the
// built demo app, the chat on /realtime (rooms are channels, messages acknowledged sends, typing
// and presence plain frames) and the dashboard stream (a channel served as SSE). Memory store by
// default; REDIS_URL makes it Redis, and several instances on one Redis are one system. Every
// inbound message is checked: an unknown type, an oversized or malformed message gets an error
// (an `error` frame, or the sendWithAck's server_error) and the server keeps running.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { createRealtimeServer, memoryStore, redisStore } from '../../server/index.mjs';

export const MAX_MESSAGE_BYTES = 64 * 1024;
const HISTORY = 200;  // publications kept per channel (the replay a joining client gets)
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
  "img-src 'self' data: https:; connect-src 'self' ws: wss:; worker-src 'self'";

const text = (value, max) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

/** Validates one inbound chat message's envelope; returns { type, payload } or { error }. */
export function parseClientMessage(msg) {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return { error: 'message is not an object' };
  if (typeof msg.type !== 'string') return { error: 'message type must be a string' };
  const payload = msg.payload ?? {};
  if (typeof payload !== 'object' || Array.isArray(payload)) return { error: 'payload must be an object' };
  return { type: msg.type, payload, id: typeof msg.id === 'string' ? msg.id : undefined };
}

/** Who a chat connection is, from its URL (`/realtime?room=…&name=…&user=…`). */
function identityOf(request) {
  const url = new URL(request.url, 'http://localhost');
  const name = text(url.searchParams.get('name'), 40) || `guest-${Math.floor(Math.random() * 1000)}`;
  return {
    id: text(url.searchParams.get('user'), 64) || randomUUID(),
    name,
    avatar: `https://api.dicebear.com/7.x/initials/svg?seed=${encodeURIComponent(name)}`,
    room: text(url.searchParams.get('room'), 100) || 'lobby',
  };
}

/**
 * The chat on the server kit: a room is the channel `room:<id>` (its history is the replay a
 * client gets on join); messages and edits are acknowledged sends whose handler publishes with
 * the message id (exactly once, also when retried on another instance); typing, presence and
 * joined/left notices are plain frames to the room's connections on this instance.
 */
function createChat(getRt) {
  const rooms = new Map();  // roomId -> Map<client, user>
  const members = (id) => {
    if (!rooms.has(id)) rooms.set(id, new Map());
    return rooms.get(id);
  };
  const broadcast = (roomId, type, payload, except) => {
    for (const client of members(roomId).keys()) if (client !== except) client.send(type, payload);
  };
  const author = ({ id, name, avatar }) => ({ id, name, avatar });
  const rejected = (message, client, reason) => {
    if (message.ack) throw new Error(reason);  // the sender's sendWithAck rejects: server_error
    client.send('error', { message: reason });
    return null;
  };

  const handlers = {
    async send_message(message, client, payload) {
      const user = client.identity;
      const kind = payload.type === 'image' ? 'image' : 'text';
      const limit = kind === 'image' ? 2048 : 2000;
      if (typeof payload.content === 'string' && payload.content.trim().length > limit) {
        return rejected(message, client, `a message is at most ${limit} characters`);
      }
      const content = text(payload.content, limit);
      if (!content) return rejected(message, client, 'content must be a non-empty string');
      if (kind === 'image' && !/^(https:\/\/|data:image\/)/.test(content)) {
        return rejected(message, client, 'an image must be an https: or data:image URL');
      }
      const chatMessage = { id: message.id, content, type: kind, timestamp: Date.now(), author: author(user) };
      const { offset } = await getRt().publish(`room:${user.room}`, 'message', chatMessage, { id: message.id });
      return { offset };
    },
    async edit_message(message, client, payload) {
      const user = client.identity;
      const content = text(payload.content, 2000);
      const channel = `room:${user.room}`;
      // The room's history is the source of truth (every instance sees the same one).
      const { publications } = await getRt().store.history(channel, 1);
      const original = publications.find((p) => p.type === 'message' && JSON.parse(p.payloadJson).id === payload.id);
      const sent = original && JSON.parse(original.payloadJson);
      if (!sent || sent.author.id !== user.id || !content) return rejected(message, client, 'cannot edit that message');
      const edited = { ...sent, content, edited: true };
      const { offset } = await getRt().publish(channel, 'message_edited', edited, message.id ? { id: message.id } : undefined);
      return { offset };
    },
    typing_start: (message, client) => broadcast(client.identity.room, 'typing_start', { userId: client.identity.id, userName: client.identity.name }, client),
    typing_stop: (message, client) => broadcast(client.identity.room, 'typing_stop', { userId: client.identity.id, userName: client.identity.name }, client),
  };

  return {
    authorize({ request, channel }) {
      const user = identityOf(request);
      if (channel === undefined) return user;
      return channel === `room:${user.room}`;  // a connection joins its own room only
    },
    onConnection(client) {
      const user = client.identity;
      const room = members(user.room);
      room.set(client, user);
      client.send('presence', { users: [...room.values()].map(author) });
      broadcast(user.room, 'user_joined', { userId: user.id, userName: user.name }, client);
    },
    onClose(client) {
      const user = client.identity;
      members(user.room).delete(client);
      broadcast(user.room, 'user_left', { userId: user.id, userName: user.name });
    },
    onMessage(raw, client) {
      const message = parseClientMessage(raw);
      if (message.error) return rejected(raw, client, message.error);
      const handler = handlers[message.type];
      if (!handler) return rejected(raw, client, `unknown message type '${message.type.slice(0, 40)}'`);
      return handler(raw, client, message.payload);
    },
  };
}

/** The dashboard: metrics and alerts published on the channel 'dashboard', which the HTTP
 * endpoint serves as SSE (rt.sse: event ids are epoch:offset, resumed from Last-Event-ID). */
function createDashboard(getRt, { intervalMs }) {
  const metrics = [
    { id: 'rps', name: 'Requests / s', unit: 'req/s', value: 1200, spread: 150 },
    { id: 'latency', name: 'p95 latency', unit: 'ms', value: 180, spread: 25 },
    { id: 'errors', name: 'Error rate', unit: '%', value: 0.4, spread: 0.2 },
    { id: 'cpu', name: 'CPU', unit: '%', value: 42, spread: 8 },
    { id: 'users', name: 'Active users', unit: '', value: 3400, spread: 120 },
    { id: 'queue', name: 'Queue depth', unit: 'jobs', value: 12, spread: 6 },
  ].map((m) => ({ ...m, trend: 'stable', timestamp: Date.now() }));
  const tickWaiters = [];
  const publish = (type, data) => getRt().publish('dashboard', type, data).catch(() => {});
  const alert = (level, message) => publish('alert', { id: randomUUID(), level, message, timestamp: Date.now() });
  const tick = async () => {
    for (const m of metrics) {
      const next = Math.max(0, m.value + (Math.random() - 0.5) * m.spread);
      const rounded = m.value < 10 ? Math.round(next * 100) / 100 : Math.round(next);
      m.trend = rounded > m.value ? 'up' : rounded < m.value ? 'down' : 'stable';
      m.value = rounded;
      m.timestamp = Date.now();
    }
    await publish('metrics', metrics.map(({ spread, ...m }) => m));
    if (Math.random() < 0.25) {
      const level = ['info', 'warning', 'error'][Math.floor(Math.random() * 3)];
      const messages = {
        info: 'Deployment finished on eu-west-1',
        warning: 'p95 latency above 200 ms for 1 minute',
        error: 'Payment service returned 5xx for 2% of requests',
      };
      await alert(level, messages[level]);
    }
    for (const w of tickWaiters.splice(0)) w();
  };
  const timer = setInterval(tick, intervalMs);
  return {
    /** Resolves after n more metric ticks have been published. */
    async untilTicks(n) {
      for (let i = 0; i < n; i++) await new Promise((resolve) => tickWaiters.push(resolve));
    },
    /** Publishes an alert now (tests use it to make one appear on demand). */
    alert,
    close() {
      clearInterval(timer);
    },
  };
}

/**
 * Starts the demo server: the built app (`staticDir`, may be absent while developing), the chat
 * on /realtime and the dashboard stream, on the server kit. With `redisUrl` (REDIS_URL) the
 * store is Redis, and several demo servers on one Redis are one system.
 */
export async function startDemoServer({
  port = 0, host = '127.0.0.1', staticDir, metricsIntervalMs = 1000, redisUrl = process.env.REDIS_URL,
} = {}) {
  let rt = null;
  const getRt = () => rt;
  const chat = createChat(getRt);
  let sockets = 0;  // WebSocket connections open at this server (the diagnostics page shows it)
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/api/dashboard/stream') return stream(req, res);
    if (url.pathname === '/api/sockets') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify({ websockets: sockets }));
    }
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
  rt = await createRealtimeServer({
    server,
    path: '/realtime',
    store: redisUrl ? redisStore({ url: redisUrl, historySize: HISTORY }) : memoryStore({ historySize: HISTORY }),
    limits: { maxMessageBytes: MAX_MESSAGE_BYTES },
    authorize: (query) => (query.channel === 'dashboard' ? true : chat.authorize(query)),
    onConnection: (client) => {
      sockets++;
      chat.onConnection(client);
    },
    onClose: (client) => {
      sockets--;
      chat.onClose(client);
    },
    onMessage: chat.onMessage,
    log: () => {},
  });
  const stream = rt.sse('dashboard');
  const dashboard = createDashboard(getRt, { intervalMs: metricsIntervalMs });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    untilTicks: (n) => dashboard.untilTicks(n),
    async close() {
      dashboard.close();
      await rt.close();
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
  console.log(`  store            ${process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'in memory'}`);
  console.log('Open the chat in two windows (add ?name=ada / ?name=bob) to talk to yourself. Ctrl-C stops.');
}
