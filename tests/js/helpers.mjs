// Shared helpers for the JS tests: real servers on ephemeral ports, and waiting on events.
import { WebSocketServer } from 'ws';

/** Starts a ws server on 127.0.0.1:0. `onConnection(socket, request)` handles each client. */
export async function startWsServer(onConnection = () => {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const connections = [];
  wss.on('connection', (socket, request) => {
    connections.push(socket);
    onConnection(socket, request);
  });
  const url = `ws://127.0.0.1:${wss.address().port}`;
  return {
    wss,
    url,
    connections,
    /** Resolves with the next connection (or the n-th overall, when given). */
    nextConnection(n = connections.length + 1) {
      if (connections.length >= n) return Promise.resolve(connections[n - 1]);
      return new Promise((resolve) => {
        const on = () => {
          if (connections.length >= n) {
            wss.off('connection', on);
            resolve(connections[n - 1]);
          }
        };
        wss.on('connection', on);
      });
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Resolves with the first event of `manager.on(name)` that satisfies `predicate`. */
export function nextEvent(manager, name, predicate = () => true) {
  return new Promise((resolve) => {
    const off = manager.on(name, (value) => {
      if (predicate(value)) {
        off();
        resolve(value);
      }
    });
  });
}

export const untilState = (manager, state) =>
  manager.state === state ? Promise.resolve() : nextEvent(manager, 'state', (e) => e.newState === state);

/** Resolves with the next message a ws server socket receives, JSON-parsed. */
export function nextServerMessage(socket, predicate = () => true) {
  return new Promise((resolve) => {
    const on = (data) => {
      const msg = JSON.parse(String(data));
      if (predicate(msg)) {
        socket.off('message', on);
        resolve(msg);
      }
    };
    socket.on('message', on);
  });
}

/** Collects `count` payloads of `type` from a manager's subscription. */
export function collect(manager, type, count) {
  const items = [];
  let unsubscribe;
  const done = new Promise((resolve) => {
    unsubscribe = manager.subscribe(type, (payload) => {
      items.push(payload);
      if (items.length === count) resolve(items);
    });
  });
  return { items, done: done.then((v) => (unsubscribe(), v)) };
}

export const envelope = (type, payload) => JSON.stringify({ type, payload });

/**
 * Starts an HTTP server on 127.0.0.1:0. `handler(req, res)` serves each request; every request
 * is recorded (method, url, headers, body) in `requests`.
 */
export async function startHttpServer(handler) {
  const { createServer } = await import('node:http');
  const requests = [];
  const waiters = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      for (const w of waiters.splice(0)) w();
      handler(req, res, body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    /** Resolves when at least n requests have arrived. */
    async untilRequests(n) {
      while (requests.length < n) await new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/**
 * A ws server that sends `frames` to each client, and a WebSocketManager connected to it that
 * records error codes until the first message of `goodType` arrives. Returns
 * { manager, errors, good } once that message is in (`good` holds its payloads).
 */
export async function framesUntilGood(t, frames, goodType, { wildcard = false } = {}) {
  const { WebSocketManager } = await import('../../dist/index.js');
  const server = await startWsServer((socket) => frames.forEach((f) => socket.send(f)));
  t.after(() => server.close());
  const manager = new WebSocketManager({ url: server.url });
  t.after(() => manager.dispose());
  const errors = [];
  manager.on('error', (e) => errors.push(e.code));
  if (wildcard) manager.on('message', () => {});
  const good = collect(manager, goodType, 1);
  await manager.connect();
  return { manager, server, errors, good: await good.done };
}
