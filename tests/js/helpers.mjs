// Shared helpers for the JS tests: real servers on ephemeral ports, and waiting on events.
//
// Every wait helper has a timeout (WAIT_TIMEOUT_MS, or `{ timeoutMs }` as the last argument): a
// wait that is never satisfied rejects with what it waited for, instead of hanging the suite.
import { WebSocketServer } from 'ws';

/** Default for every wait helper below; RT_WAIT_TIMEOUT_MS overrides it (slow machines). */
export const WAIT_TIMEOUT_MS = Number(process.env.RT_WAIT_TIMEOUT_MS) || 15_000;

/**
 * A promise settled by `start(resolve)`, or rejected with "`what`: … within N s" after
 * `timeoutMs`. `start` returns its cleanup (remove the listener), run on either outcome. A wait
 * nobody awaits does not become an unhandled rejection (one that is awaited still rejects).
 */
export function waitFor(what, start, { timeoutMs = WAIT_TIMEOUT_MS, detail } = {}) {
  let settled = false;
  let cleanup = null;
  let timer;
  const finish = () => {
    settled = true;
    clearTimeout(timer);
    if (cleanup) cleanup();
  };
  const promise = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      if (settled) return;
      finish();
      const extra = detail ? ` (${detail()})` : '';
      reject(new Error(`${what}: not within ${timeoutMs / 1000} s${extra}`));
    }, timeoutMs);
    const stop = start((value) => {
      if (settled) return;
      finish();
      resolve(value);
    });
    if (settled) stop?.();
    else cleanup = stop ?? null;
  });
  promise.catch(() => {});
  return promise;
}

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
    nextConnection(n = connections.length + 1, options) {
      if (connections.length >= n) return Promise.resolve(connections[n - 1]);
      return waitFor(`nextConnection(${n}) on ${url}`, (resolve) => {
        const on = () => {
          if (connections.length >= n) resolve(connections[n - 1]);
        };
        wss.on('connection', on);
        return () => wss.off('connection', on);
      }, { ...options, detail: () => `${connections.length} connection(s) so far` });
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Resolves with the first event of `manager.on(name)` that satisfies `predicate`. */
export function nextEvent(manager, name, predicate = () => true, options) {
  const seen = [];
  return waitFor(`nextEvent('${name}')${predicate.length ? ` matching ${predicate}` : ''}`,
    (resolve) => manager.on(name, (value) => {
      if (predicate(value)) resolve(value);
      else seen.push(value?.code ?? value?.newState ?? typeof value);
    }),
    { ...options, detail: () => `state ${manager.state}; other '${name}' events: ${seen.join(', ') || 'none'}` });
}

export const untilState = (manager, state, options) =>
  manager.state === state
    ? Promise.resolve()
    : nextEvent(manager, 'state', (e) => e.newState === state, options);

/** Resolves with the next message a ws server socket receives, JSON-parsed. */
export function nextServerMessage(socket, predicate = () => true, options) {
  const seen = [];
  return waitFor(`nextServerMessage${predicate.length ? ` matching ${predicate}` : ''}`,
    (resolve) => {
      const on = (data) => {
        const msg = JSON.parse(String(data));
        if (predicate(msg)) resolve(msg);
        else seen.push(msg?.type);
      };
      socket.on('message', on);
      return () => socket.off('message', on);
    },
    { ...options, detail: () => `other messages: ${seen.join(', ') || 'none'}` });
}

/**
 * Collects `count` payloads of `type` from a manager's subscription. `done` resolves with them
 * (and unsubscribes); its timeout starts when it is first read.
 */
export function collect(manager, type, count, options) {
  const items = [];
  let complete;
  const unsubscribe = manager.subscribe(type, (payload) => {
    items.push(payload);
    if (items.length === count) complete?.(items);
  });
  let waiting = null;
  const wait = () => (waiting ??= waitFor(`collect('${type}', ${count})`, (resolve) => {
    if (items.length >= count) resolve(items);
    else complete = resolve;
    return unsubscribe;
  }, { ...options, detail: () => `${items.length} of ${count} arrived; state ${manager.state}` }));
  return {
    items,
    /** The wait (and its timer) starts when the test first reads `done`. */
    get done() {
      return wait();
    },
  };
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
    untilRequests(n, options) {
      if (requests.length >= n) return Promise.resolve();
      return waitFor(`untilRequests(${n})`, (resolve) => {
        const check = () => (requests.length >= n ? resolve() : waiters.push(check));
        waiters.push(check);
      }, { ...options, detail: () => `${requests.length} request(s) so far` });
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
