// Helpers for the security tests: JWTs, a ws server that records the token of each connection
// whatever way it travels, and console capture.
import { WebSocketServer } from 'ws';
import { waitFor } from './helpers.mjs';

const b64url = (s) => Buffer.from(s).toString('base64url');
let serial = 0;

/** An unsigned-but-well-formed JWT (the client never verifies signatures). `expMs` → `exp`. */
export function makeJwt({ expMs, claims = {} } = {}) {
  const payload = { sub: 'user-1', jti: `t${++serial}-${Math.random().toString(36).slice(2)}`, ...claims };
  if (expMs !== undefined) payload.exp = expMs / 1000;  // NumericDate, fractional seconds allowed
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.${b64url('sig')}`;
}

/** A token provider that hands out fresh JWTs living `lifetimeMs`, and records every call. */
export function tokenSource(lifetimeMs = 3_600_000) {
  const issued = [];
  const waiters = [];
  const source = {
    issued,
    gate: null,  // when set (a promise), calls wait for it
    async provider() {
      const token = makeJwt({ expMs: Date.now() + lifetimeMs });
      issued.push(token);
      for (const w of waiters.filter((w) => issued.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (source.gate) await source.gate;
      return token;
    },
    /** Resolves once the provider has been called n times. */
    calls(n, options) {
      if (issued.length >= n) return Promise.resolve();
      return waitFor(`tokenSource.calls(${n})`, (resolve) => {
        const w = { n, resolve };
        waiters.push(w);
        return () => waiters.includes(w) && waiters.splice(waiters.indexOf(w), 1);
      }, { ...options, detail: () => `${issued.length} call(s) so far` });
    },
  };
  source.provider = source.provider.bind(source);
  return source;
}

/**
 * A ws server that selects 'realtime.v1' (never the token), and records for each connection the
 * token from the subprotocol list, the query string, or the first message (`auth`).
 */
export async function startAuthServer(onConnection = () => {}) {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('realtime.v1') ? 'realtime.v1' : false),
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const connections = [];
  const waiters = [];
  wss.on('connection', (socket, request) => {
    const offered = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',').map((p) => p.trim()).filter(Boolean);
    const url = new URL(request.url, 'http://x');
    const conn = {
      socket,
      request,
      offered,
      selected: socket.protocol,
      url,
      at: Date.now(),
      protocolToken: offered.find((p) => p.startsWith('auth.'))?.slice(5),
      queryToken: url.searchParams.get('token') ?? undefined,
      messages: [],
    };
    socket.on('message', (d) => conn.messages.push(JSON.parse(String(d))));
    connections.push(conn);
    for (const w of waiters.filter((w) => connections.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(connections[w.n - 1]);
    }
    onConnection(conn);
  });
  return {
    wss,
    url: `ws://127.0.0.1:${wss.address().port}`,
    connections,
    connection(n, options) {
      if (connections.length >= n) return Promise.resolve(connections[n - 1]);
      return waitFor(`auth server connection(${n})`, (resolve) => {
        const w = { n, resolve };
        waiters.push(w);
        return () => waiters.includes(w) && waiters.splice(waiters.indexOf(w), 1);
      }, { ...options, detail: () => `${connections.length} connection(s) so far` });
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Resolves when a server-side connection has received n messages. */
export function untilMessages(conn, n, options) {
  if (conn.messages.length >= n) return Promise.resolve(conn.messages);
  return waitFor(`untilMessages(${n})`, (resolve) => {
    const on = () => {
      if (conn.messages.length >= n) resolve(conn.messages);
    };
    conn.socket.on('message', on);
    return () => conn.socket.off('message', on);
  }, { ...options, detail: () => `${conn.messages.length} message(s) so far` });
}

/** Replaces console.* with recorders; returns { lines, restore }. */
export function captureConsole() {
  const lines = [];
  const saved = {};
  for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    saved[name] = console[name];
    console[name] = (...args) => lines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : safeJson(a))).join(' '));
  }
  return { lines, restore: () => Object.assign(console, saved) };
}

function safeJson(v) {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Records every manager event as text (errors with message and stack). */
export function recordEvents(manager, names) {
  const seen = [];
  for (const name of names) {
    manager.on(name, (v) => {
      seen.push(`${name} ${v instanceof Error ? `${v.code} ${v.message} ${v.stack}` : safeJson(v)}`);
    });
  }
  return seen;
}
