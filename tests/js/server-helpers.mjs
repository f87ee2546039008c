// Helpers for the server-kit tests: a raw `ws` client speaking realtime.v1, a redis-server per
// test file on a free port, child server processes. Everything waits on events, never on sleeps.
import { spawn, fork } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** A free TCP port on 127.0.0.1 (listen on 0, close). */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * A raw protocol client. `next(predicate)` takes the first received frame that matches (frames
 * that do not match stay queued for later calls); `closed` resolves with `{ code, reason }`.
 */
export async function rawClient(url, { protocols = ['realtime.v1'], headers } = {}) {
  const ws = new WebSocket(url, protocols, { headers });
  const queue = [];
  const waiters = [];
  const closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data));
    const i = waiters.findIndex((w) => w.predicate(frame));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(frame);
    else queue.push(frame);
  });
  let failure;
  ws.on('error', (err) => (failure = err));
  const opened = await Promise.race([once(ws, 'open').then(() => true), closed.then(() => false)]);
  const client = {
    ws,
    queue,
    closed,
    /** 101 when the upgrade succeeded, else the HTTP status ws reported (or 0). */
    status: opened ? 101 : Number(/server response: (\d+)/.exec(failure?.message)?.[1] ?? 0),
    send(frame) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next(predicate = () => true) {
      const i = queue.findIndex(predicate);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    /** The next `n` publications of a channel (frames with an offset). */
    async publications(channel, n) {
      const out = [];
      while (out.length < n) out.push(await client.next((f) => f.channel === channel && f.offset !== undefined));
      return out;
    },
    ofType: (type) => client.next((f) => f.type === type),
    async join(channel, position) {
      client.send({ type: 'rt:join', payload: position ? { channel, position } : { channel } });
      return client.next((f) => (f.type === 'rt:joined' || f.type === 'rt:error') && f.payload.channel === channel);
    },
    close() {
      ws.close();
      return closed;
    },
  };
  return client;
}

/** Starts redis-server on a free port (no persistence); `stop()` kills it. */
export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`redis-server did not start: ${e.message} (run scripts/setup.sh)`)));
    child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}\n${out}`)));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

const fixture = fileURLToPath(new URL('./fixtures/server-instance.mjs', import.meta.url));

/**
 * Forks tests/js/fixtures/server-instance.mjs (a createRealtimeServer on a redisStore) and
 * resolves once it listens. `instance.call(cmd, args)` sends an IPC request, e.g. publish.
 */
export async function forkInstance(env) {
  const child = fork(fixture, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const pending = new Map();
  const exited = once(child, 'exit');
  const [ready] = await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`server instance exited with ${code}`))),
  ]);
  child.on('message', (m) => {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  exited.then(() => {
    for (const p of pending.values()) p.reject(new Error('server instance died'));
    pending.clear();
  });
  return {
    url: ready.url,
    child,
    exited,
    call(cmd, args) {
      return new Promise((resolve, reject) => {
        const n = ++seq;
        pending.set(n, { resolve, reject });
        child.send({ seq: n, cmd, args });
      });
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Reads an SSE stream with fetch. `next(predicate)` resolves with the next matching event
 * `{ id, event, data }` (data JSON-parsed) or comment `{ comment }`; `status` and `headers` are
 * the response's.
 */
export async function sseClient(url, { headers = {} } = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const queue = [];
  const waiters = [];
  const push = (item) => {
    const i = waiters.findIndex((w) => w.predicate(item));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(item);
    else queue.push(item);
  };
  const pump = async () => {
    const decoder = new TextDecoder();
    let buf = '';
    let ev = {};
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === '') {
          if (ev.data !== undefined) push({ ...ev, data: JSON.parse(ev.data) });
          ev = {};
        } else if (line.startsWith(':')) push({ comment: line.slice(1).trim() });
        else {
          const i = line.indexOf(':');
          const field = line.slice(0, i);
          const value = line.slice(i + 1).replace(/^ /, '');
          ev[field] = field === 'data' && ev.data !== undefined ? `${ev.data}\n${value}` : value;
        }
      }
    }
  };
  const done = res.ok ? pump().catch(() => {}) : Promise.resolve();
  return {
    status: res.status,
    headers: res.headers,
    queue,
    done,
    next(predicate = () => true) {
      const i = queue.findIndex(predicate);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    async events(n, predicate = (e) => e.id !== undefined) {
      const out = [];
      while (out.length < n) out.push(await this.next(predicate));
      return out;
    },
    close() {
      controller.abort();
      return done;
    },
  };
}
