// The tab side of runtime 'worker' | 'shared': a RemoteClient has the synchronous API of a native
// client (RawWsClient / RawSseClient) and posts each call to the host (protocol.ts); the host's
// deliveries come back in batches and go to the manager's Sink as if the module ran here.
//
// Loaded only when a manager asks for a runtime other than 'page', by URL (web/src/worker/load.ts:
// an `import()` of a literal would cost every page-mode app the bundler's preload helper). So
// this file imports nothing (types only): bundlers copy it as it is. What it needs from the
// package (the Worker / SharedWorker constructors, which bundlers must see as written, and the
// runtime's code names) comes in as `RemoteEnv`.
//
// What is emulated here, and why it is not a second copy of a C++ decision:
// - readyState and stats: the last values the host sent;
// - type ids and channel ids: local numbers, mapped by the host;
// - sendWithAck ids: generated here when the message has none, so the call can return one;
// - the record of what this tab asked for (types, channels with the last position seen, the
//   unsettled acknowledged sends): replayed when the host is new (a new leader tab, or a page
//   back from the back/forward cache). That replay is all the handover needs: the C++ session of
//   the new host re-sends the acked messages (same ids: the server runs each once) and re-joins
//   the channels from those positions (nothing lost, nothing doubled).
import type { RuntimeNames, Sink } from '../runtime.js';
import type { CallName, Delivery, HostMessage, Kind, Position, RuntimeMode, TabMessage } from './protocol.js';

// The protocol's constants (re-exported by protocol.ts: defined here, as this file imports nothing).
export const VERSION = 2;
/** The Web Lock each tab holds for its lifetime: the host asks for it, and is granted it when
 * the tab is gone (MessagePorts do not report closure). */
export const tabLockName = (tab: string): string => `realtime-wasm:tab:${tab}`;
/** The Web Lock whose holder is the leader tab (no SharedWorker). */
export const LEADER_LOCK = 'realtime-wasm:leader';
/** The BroadcastChannel of the leader fallback. */
export const LEADER_CHANNEL = 'realtime-wasm';

/** What the package hands the tab side (see the top of the file). */
export interface RemoteEnv {
  setNames(names: RuntimeNames): void;
  worker(): Worker;
  shared(): SharedWorker;
}

let env: RemoteEnv;

/** What a manager hands over to run its client in a worker. */
export interface RemoteSpec {
  mode: Exclude<RuntimeMode, 'page'>;
  kind: Kind;
  /** The native client's config (function-valued and non-cloneable fields are left out here). */
  config: Record<string, unknown>;
  /** 'shared': lets managers with a function `url` share a connection (config `shareKey`). */
  shareKey?: string;
  /** Set when an option cannot move into a worker (a constructor): the client stays in the page. */
  pinned?: unknown;
}

/** What a manager emits when its client runs in the page after all. */
export interface Fallback {
  code: 'runtime_fallback';
  message: string;
}

const READY_TIMEOUT_MS = 10_000;
/** The longest plain sends are held for a leader handover (which takes about 1 s); then they are posted anyway. */
const HANDOVER_HOLD_MS = 10_000;
const LOCKS = (): LockManager | undefined =>
  (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;

function newId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/** The part of a config that can cross a port: primitives, arrays and plain objects of them. A
 * function `url` becomes `true` (the host asks this tab for each attempt's URL). */
export function cloneableConfig(config: Record<string, unknown>): Record<string, unknown> {
  const plain = (v: unknown): boolean => {
    if (v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)) return true;
    if (Array.isArray(v)) return v.every(plain);
    return typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype &&
      Object.values(v).every(plain);
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'url') out.url = typeof v === 'function' ? true : resolveUrls(v);
    else if (k !== 'runtime' && k !== 'shareKey' && plain(v)) out[k] = v;
  }
  return out;
}

// A relative URL means the page's, not the worker script's.
function resolveUrls(url: unknown): unknown {
  const base = typeof location === 'object' && location ? location.href : undefined;
  const one = (u: string) => {
    try {
      return new URL(u, base).toString();
    } catch {
      return u;  // the native client reports it (invalid_url)
    }
  };
  return Array.isArray(url) ? url.map((u) => one(String(u))) : typeof url === 'string' ? one(url) : url;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A runtime host's diagnostics. */
export interface HostInfo {
  /** Tabs attached. */
  tabs: number;
  /** Native connections (shared ones count once). */
  connections: number;
  /** Connections not closed: the sockets this browser holds for the origin. */
  sockets: number;
}

type Transport = {
  post(msg: TabMessage): void;
  close(): void;
};

/** One tab's link to a host: a Worker, a SharedWorker port, or the leader's BroadcastChannel. */
class Link {
  readonly tab = newId();
  readonly clients = new Map<number, RemoteClient>();
  readonly ready: Promise<boolean>;
  private transport: Transport | null = null;
  private nextCid = 1;
  private isReady = false;
  /** Plain sends held while the leader tab hands over ('leaving' until the next 'ready'). */
  private held: TabMessage[] | null = null;
  private heldTimer: ReturnType<typeof setTimeout> | null = null;
  private settle!: (ok: boolean) => void;
  private info: Array<(i: HostInfo) => void> = [];

  constructor(readonly mode: Exclude<RuntimeMode, 'page'>) {
    this.ready = new Promise((resolve) => (this.settle = resolve));
    void this.start();
  }

  post(msg: TabMessage): void {
    this.transport?.post(msg);
  }

  call(cid: number, m: CallName, a: unknown[]): void {
    const msg: TabMessage = { v: VERSION, op: 'call', tab: this.tab, cid, m, a };
    // During a leader handover only plain sends are held: everything else this tab asked for is
    // in its clients' record, which the replay after the next 'ready' posts again.
    if (this.held && m === 'send') this.held.push(msg);
    else this.post(msg);
  }

  /** Whether plain sends are being held (a leader handover). */
  get holding(): boolean {
    return this.held !== null;
  }

  client(spec: RemoteSpec, sink: Sink): RemoteClient {
    const cid = this.nextCid++;
    // 'worker': one connection per manager, as in the page. 'shared': managers with the same
    // config share one (every option is in the key: other headers or protocols, other
    // credentials, another connection); a function `url` or a token provider (the host asks
    // this tab to call it) is this manager's own unless it comes with a `shareKey`.
    const config = cloneableConfig(spec.config);
    const own = config.url === true || config.credentials === true;
    const shared = this.mode === 'shared' && (spec.shareKey !== undefined || !own);
    const key = shared ? `${spec.kind}:${spec.shareKey ?? ''}:${stableJson(config)}` : `${this.tab}#${cid}`;
    const client = new RemoteClient(this, cid, spec.kind, key, config, sink);
    this.clients.set(cid, client);
    client.open();
    return client;
  }

  remove(cid: number): void {
    if (this.clients.delete(cid)) this.post({ v: VERSION, op: 'detach', tab: this.tab, cid });
  }

  /** The host's counts; null when it does not answer within a second (a leader handover). */
  stats(): Promise<HostInfo | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 1000);
      this.info.push((i) => {
        clearTimeout(timer);
        resolve(i);
      });
      this.post({ v: VERSION, op: 'info?', tab: this.tab });
    });
  }

  private async start(): Promise<void> {
    const fail = (why: string) => {
      if (this.isReady) return;
      this.transport?.close();
      this.transport = null;
      console.warn(`realtime-wasm: runtime '${this.mode}' is not available here (${why})`);
      this.settle(false);
    };
    const timer = setTimeout(() => fail('the runtime host did not answer'), READY_TIMEOUT_MS);
    try {
      await this.holdTabLock();
      this.transport = this.open(fail);
    } catch (err) {
      clearTimeout(timer);
      return fail(err instanceof Error ? err.message : String(err));
    }
    void this.ready.then(() => clearTimeout(timer));
    this.hello();
    if (typeof addEventListener === 'function') {
      addEventListener('pagehide', () => this.post({ v: VERSION, op: 'bye', tab: this.tab }));
      // Back from the back/forward cache: the host forgot this tab; attach again.
      addEventListener('pageshow', (e) => {
        if (e.persisted) this.hello();
      });
    }
  }

  // The host is granted this lock when the tab is gone (closed, crashed, discarded).
  private holdTabLock(): Promise<void> {
    const locks = LOCKS();
    if (!locks) return Promise.resolve();
    return new Promise<void>((held, failed) => {
      locks.request(tabLockName(this.tab), () => {
        held();
        return new Promise<void>(() => {});  // held for the life of the page
      }).catch(failed);
    });
  }

  private release(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    if (this.heldTimer !== null) clearTimeout(this.heldTimer);
    this.heldTimer = null;
    for (const msg of held) this.post(msg);
  }

  private hello(): void {
    this.post({ v: VERSION, op: 'hello', tab: this.tab });
  }

  private open(fail: (why: string) => void): Transport {
    const onMessage = (e: MessageEvent) => this.receive(e.data as HostMessage);
    if (this.mode === 'worker') {
      const worker = startWorker();
      worker.onmessage = onMessage;
      worker.onerror = () => fail('the worker script could not run (a CSP without worker-src?)');
      return { post: (m) => worker.postMessage(m), close: () => worker.terminate() };
    }
    if (typeof SharedWorker === 'function') {
      const worker = env.shared();
      worker.onerror = () => fail('the shared worker script could not run (a CSP without worker-src?)');
      worker.port.onmessage = onMessage;
      worker.port.start();
      return { post: (m) => worker.port.postMessage(m), close: () => worker.port.close() };
    }
    return this.openLeader();
  }

  // No SharedWorker: the tab holding the leader lock runs the host in a dedicated worker of its
  // own, which serves every tab over a BroadcastChannel (so no tab loads the module, the leader
  // included). When the leader goes, the next tab in the lock queue takes over and says so
  // ('leader'); every tab then attaches again (see the top of the file).
  private openLeader(): Transport {
    const locks = LOCKS();
    if (!locks || typeof BroadcastChannel !== 'function') throw new Error('no SharedWorker, and no Web Locks or BroadcastChannel for a leader tab');
    const channel = () => {
      const c = new BroadcastChannel(LEADER_CHANNEL);
      c.onmessage = (e: MessageEvent) => this.receive(e.data as HostMessage);
      return c;
    };
    let bc = channel();
    const post = (m: TabMessage | HostMessage) => bc.postMessage(m);
    this.campaign(locks, post);
    if (typeof addEventListener === 'function') {
      // A page in the back/forward cache that a BroadcastChannel message reaches is evicted from
      // it: the channel closes with the page (after the 'leaving' above) and opens when it is back.
      addEventListener('pagehide', () => bc.close());
      addEventListener('pageshow', (e) => {
        if (e.persisted) bc = channel();
      });
    }
    return { post, close: () => bc.close() };
  }

  // Queues for the leader lock; its holder runs the host in a dedicated worker of its own. A page
  // that goes (pagehide: closed, or into the back/forward cache, where its worker would freeze
  // with the socket and the lock would keep every other tab waiting) leaves the queue, or hands
  // the lead on ('leaving': the tabs hold their plain sends), and queues again when it is back.
  private campaign(locks: LockManager, post: (m: HostMessage) => void): void {
    const quit = new AbortController();
    let resign: (() => void) | null = null;
    let worker: Worker | null = null;
    const stop = () => {
      worker?.terminate();
      worker = null;
      resign?.();
      resign = null;
    };
    const onHide = () => {
      removeEventListener('pagehide', onHide);
      if (resign) post({ v: VERSION, op: 'leaving', tab: '*' });
      stop();
      quit.abort();
      addEventListener('pageshow', () => this.campaign(locks, post), { once: true });
    };
    if (typeof addEventListener === 'function') addEventListener('pagehide', onHide);
    locks.request(LEADER_LOCK, { signal: quit.signal }, () => new Promise<void>((done) => {
      resign = done;
      // A worker that fails (its script cannot load, or the host threw) is ended and hands the
      // lock on: the next tab leads, and the tabs re-attach to it (they fall back to 'page' when
      // no leader ever answers).
      worker = startWorker();
      worker.onerror = stop;
      worker.postMessage({ v: VERSION, op: 'lead', tab: this.tab } satisfies TabMessage);
    })).catch(() => {});  // aborted: the page went before it led
  }

  private receive(msg: HostMessage): void {
    if (!msg || msg.v !== VERSION || (msg.tab !== this.tab && msg.tab !== '*')) return;
    switch (msg.op) {
      case 'leader':
        return this.hello();
      case 'leaving':
        if (this.isReady && !this.held) {
          this.held = [];
          // No new host (the last tab went, or the leader did not go after all): post them.
          this.heldTimer = setTimeout(() => this.release(), HANDOVER_HOLD_MS);
        }
        return;
      case 'ready': {
        const errc = new Map(msg.errc);
        env.setNames({
          _errcName: (code) => errc.get(code) ?? 'unknown',
        });
        const first = !this.isReady;
        this.isReady = true;
        if (first) this.settle(true);
        else for (const c of this.clients.values()) c.replay();
        this.release();  // after the replay: the clients are open on the new host
        return;
      }
      case 'batch':
        for (const d of msg.d) this.clients.get(d[0])?.deliver(d);
        return;
      case 'info': {
        const waiting = this.info;
        this.info = [];
        for (const w of waiting) w({ tabs: msg.tabs, connections: msg.connections, sockets: msg.sockets });
        return;
      }
    }
  }
}

/** The dedicated worker script (runtime 'worker', and the leader tab's host). */
function startWorker(): Worker {
  if (typeof Worker !== 'function') throw new Error('no Worker');
  return env.worker();
}

const links = new Map<string, Link>();

function link(mode: Exclude<RuntimeMode, 'page'>): Link {
  let l = links.get(mode);
  if (!l) links.set(mode, (l = new Link(mode)));
  return l;
}

/** Resolves with the maker of the manager's remote client once the host is ready; or with null
 * after `warn`, when the client must run in the page (a pinned option, no usable worker). */
export async function openRemote(spec: RemoteSpec, warn: (w: Fallback) => void, given: RemoteEnv): Promise<((sink: Sink) => RemoteClient) | null> {
  env ??= given;
  const pinnedBy = spec.kind === 'ws' ? 'a WebSocket constructor (config WebSocket)' : 'a fetch or EventSource option';
  const why = spec.pinned ? `${pinnedBy} cannot move into a worker` :
    (await link(spec.mode).ready) ? null : 'no usable Worker or SharedWorker here';
  if (!why) return (sink) => link(spec.mode).client(spec, sink);
  warn({ code: 'runtime_fallback', message: `runtime '${spec.mode}': ${why}; this connection runs in the page` });
  return null;
}

/** Diagnostics of a runtime host: tabs attached, connections, open sockets. */
export async function remoteInfo(mode: Exclude<RuntimeMode, 'page'>, given: RemoteEnv): Promise<HostInfo | null> {
  env ??= given;
  const l = link(mode);
  return (await l.ready) ? l.stats() : null;
}

interface AckCall {
  args: unknown[];
}

/** A native client in a host, seen from the tab (the methods of RawWsClient and RawSseClient). */
export class RemoteClient {
  private rs: number;
  private snapshot: Record<string, unknown> | null = null;
  private nextType = 1;
  private nextChannel = 1;
  private wildcard = false;
  private active = false;
  private preamble: [string, string] | null = null;
  private readonly types = new Map<string, number>();
  private readonly channels = new Map<string, { local: number; pos: Position | null }>();
  private readonly channelById = new Map<number, { pos: Position | null }>();
  private readonly acks = new Map<string, AckCall>();
  private deleted = false;
  private statsAsked = false;
  private refreshAt = NaN;

  constructor(
    private readonly link: Link,
    private readonly cid: number,
    private readonly kind: Kind,
    private readonly key: string,
    private readonly config: Record<string, unknown>,
    private readonly sink: Sink,
  ) {
    this.rs = kind === 'ws' ? 3 : 2;
  }

  open(): void {
    this.link.post({ v: VERSION, op: 'open', tab: this.link.tab, cid: this.cid, kind: this.kind, key: this.key, config: this.config });
  }

  /** Attaches again to a new host, with everything this tab asked for. */
  replay(): void {
    if (this.deleted) return;
    this.open();
    for (const [type, local] of this.types) this.call('subscribeType', type, local);
    if (this.wildcard) this.call('setWildcard', true);
    if (this.preamble) this.call('setPreamble', ...this.preamble);
    for (const [name, ch] of this.channels) this.call('joinChannel', name, ch.pos, ch.local);
    if (this.active) this.call('connect');
    for (const ack of this.acks.values()) this.call('sendWithAck', ...ack.args);
  }

  deliver(d: Delivery): void {
    const s = this.sink;
    switch (d[1]) {
      case 'message': return s.message?.(d[2] as number, d[3] as string);
      case 'raw': return s.raw?.(d[2] as string);
      case 'sse': return s.sse?.(d[2] as number, d[3] as string, d[4] as string, d[5] as string, d[6] as number);
      case 'pub': {
        const ch = this.channelById.get(d[2] as number);
        if (ch) ch.pos = { epoch: d[8] as string, offset: d[6] as number };
        return s.publication?.(d[2] as number, d[3] as string, d[4] as string, d[5] as string, d[6] as number, d[7] as number);
      }
      case 'state':
        this.rs = d[4] as number;
        return s.state(d[2] as string, d[3] as string);
      case 'stats':
        this.snapshot = d[2] as Record<string, unknown>;
        this.refreshAt = d[3] as number;
        this.statsAsked = false;
        return;
      case 'error': return s.error(d[2] as number, d[3] as string, d[4] as number);
      case 'drop': return s.drop?.(d[2] as string, d[3] as number);
      case 'close': return s.close?.(d[2] as number, d[3] as string, d[4] as boolean);
      case 'ack':
        this.acks.delete(d[2] as string);
        return s.ack?.(d[2] as string, d[3] as number, d[4] as string);
      case 'gap': return s.gap?.(d[2] as number, d[3] as string, d[4] as number, d[5] as string);
      case 'url': return s.url?.(d[2] as number);
      case 'token': return s.token?.(d[2] as number);
      case 'auth': return s.auth?.(d[2] as string, d[3] as string, d[4] as number);
    }
  }

  private call(m: CallName, ...a: unknown[]): void {
    if (!this.deleted) this.link.call(this.cid, m, a);
  }

  // ---- RawClient ----
  connect(): void {
    this.active = true;
    this.call('connect');
  }
  disconnect(...a: unknown[]): void {
    this.active = false;
    this.call('disconnect', ...a);
  }
  provideUrl(seq: number, url: string): void {
    this.call('provideUrl', seq, url);
  }
  urlFailed(seq: number, message: string): void {
    this.call('urlFailed', seq, message);
  }
  provideToken(seq: number, token: string): void {
    this.call('provideToken', seq, token);
  }
  tokenFailed(seq: number, message: string): void {
    this.call('tokenFailed', seq, message);
  }
  /** As of the last batch (the host's session schedules it). */
  refreshScheduledAt(): number {
    return this.refreshAt;
  }
  subscribeType(type: string): number {
    let local = this.types.get(type);
    if (local === undefined) {
      local = this.nextType++;
      this.types.set(type, local);
      this.call('subscribeType', type, local);
    }
    return local;
  }
  unsubscribeType(type: string): void {
    if (this.types.delete(type)) this.call('unsubscribeType', type);
  }
  setWildcard(on: boolean): void {
    if (on === this.wildcard) return;
    this.wildcard = on;
    this.call('setWildcard', on);
  }
  readyState(): number {
    return this.rs;
  }
  delete(): void {
    if (this.deleted) return;
    this.link.remove(this.cid);
    this.deleted = true;
  }

  // ---- RawWsClient ----
  /** True when the connection was open at the last delivery (the host may still queue it). */
  send(type: string, payloadJson: string, id: string, timestamp: number): boolean {
    this.call('send', type, payloadJson, id, timestamp);
    return this.rs === 1 && !this.link.holding;
  }
  sendWithAck(type: string, payloadJson: string, id: string, timestamp: number, timeoutMs: number): string {
    const ackId = id === '' ? newId() : id;
    const args = [type, payloadJson, ackId, timestamp, timeoutMs];
    this.acks.set(ackId, { args });
    this.call('sendWithAck', ...args);
    return ackId;
  }
  withdrawAck(id: string): boolean {
    const had = this.acks.delete(id);
    this.call('withdrawAck', id);
    return had;
  }
  joinChannel(name: string, since: Position | null): number {
    const local = this.nextChannel++;
    const ch = { local, pos: since };
    this.channels.set(name, ch);
    this.channelById.set(local, ch);
    this.call('joinChannel', name, since, local);
    return local;
  }
  leaveChannel(name: string): void {
    const ch = this.channels.get(name);
    if (!ch) return;
    this.channels.delete(name);
    this.channelById.delete(ch.local);
    this.call('leaveChannel', name);
  }
  channelPosition(name: string): Position | null {
    return this.channels.get(name)?.pos ?? null;
  }
  setPreamble(type: string, payloadJson: string): void {
    this.preamble = [type, payloadJson];
    this.call('setPreamble', type, payloadJson);
  }
  // The stats read now are the last snapshot; the read asks for a fresh one (no timer), once
  // until it comes.
  private askStats(): void {
    if (this.statsAsked) return;
    this.statsAsked = true;
    this.call('stats');
  }
  stats(): Record<string, unknown> {
    this.askStats();
    return this.snapshot ?? {
      messagesReceived: 0, messagesSent: 0, errors: 0, dropped: 0, reconnects: 0, queueDepth: 0,
      rtt: -1, acksPending: this.acks.size, duplicates: 0,
    };
  }

  // ---- RawSseClient ----
  lastEventId(): string {
    return String(this.snapshot?.lastEventId ?? '');
  }
  reconnects(): number {
    return Number(this.snapshot?.reconnects ?? 0);
  }
  eventsReceived(): number {
    this.askStats();
    return Number(this.snapshot?.eventsReceived ?? 0);
  }
}
