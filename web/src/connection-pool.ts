// RealtimeConnectionPool: the seed's pool (names and defaults), with the bookkeeping — reference
// counts, eviction of the least recently used idle entry, the idle timeout, the health-check
// deadline — in C++ (src/connection_pool.h through the embind class `_ConnectionPool`). This file
// owns the connection objects and the one timer.
//
// Fixes over the seed: a released connection stays open for `idleTimeout` (a quick remount reuses
// it) instead of racing a fixed interval; the pool never silently exceeds maxConnections (an
// 'over_capacity' event, and the entry closes as soon as its last user leaves); the timer runs
// only while the pool holds connections and never keeps a Node process alive; a lease is released
// at most once, so a double release cannot steal another user's reference.
import { Emitter } from './emitter.js';
import { RealtimeError } from './errors.js';
import { delayUntil, monotonicNow as now } from './native-owner.js';
import { type RealtimeModule, loadRuntime, nativeObject, runtimeIfLoaded } from './runtime.js';
import type { NativeConnectionPool } from './wasm/realtime_wasm.mjs';
import type { ConnectionState, StateEvent, UrlSource } from './native-manager.js';
import { type SSEConfig, ServerSentEventsManager } from './sse-manager.js';
import { type WebSocketConfig, WebSocketManager } from './websocket-manager.js';

export type ConnectionType = 'ws' | 'sse';

/** The native pool bookkeeping (emscripten/pool_bindings.cpp over src/connection_pool.h). */
type RawConnectionPool = NativeConnectionPool;

function nativePool(mod: RealtimeModule, c: ConnectionPoolConfig): RawConnectionPool {
  return nativeObject(mod, '_ConnectionPool', c.maxConnections, c.idleTimeout, c.healthCheckInterval);
}

export interface ConnectionEvents {
  state: StateEvent;
  error: RealtimeError;
}

/** What every pooled connection offers (WebSocketManager, ServerSentEventsManager). */
export interface RealtimeConnection {
  connect(): Promise<void>;
  disconnect(): void;
  dispose(): void;
  /** cb gets the payload (WebSocket) or the `{ id, event, data }` event (SSE). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  subscribe(type: string, callback: (payload: any) => void): () => void;
  on<E extends keyof ConnectionEvents>(
    event: E, callback: (value: ConnectionEvents[E]) => void): () => void;
  readonly state: ConnectionState;
  readonly isConnected: boolean;
}

export interface ConnectionConfigs {
  ws: WebSocketConfig;
  sse: SSEConfig;
}
export interface Connections {
  ws: WebSocketManager;
  sse: ServerSentEventsManager;
}

const factories: { [K in ConnectionType]: (config: ConnectionConfigs[K]) => Connections[K] } = {
  ws: (config) => new WebSocketManager(config),
  sse: (config) => new ServerSentEventsManager(config),
};

const urlFunctionIds = new WeakMap<object, number>();
let nextUrlFunctionId = 1;

/** The pool id hooks use for a config: the same URL (and protocols, and runtime) shares one
 * connection. A URL function is identified by identity: keep it stable (module scope or
 * useCallback). */
export function connectionKey(type: ConnectionType, config: { url: UrlSource; protocols?: unknown; runtime?: string }) {
  const { protocols, url, runtime } = config;
  const suffix = (protocols === undefined ? '' : ` ${[protocols].flat().join(',')}`) +
    (runtime && runtime !== 'page' ? ` @${runtime}` : '');
  let where: string;
  if (typeof url === 'function') {
    let id = urlFunctionIds.get(url);
    if (id === undefined) urlFunctionIds.set(url, (id = nextUrlFunctionId++));
    where = `fn#${id}`;
  } else {
    where = [url].flat().join(' ');
  }
  return `${type}:${where}${suffix}`;
}

export interface ConnectionPoolConfig {
  /** Open connections kept at most; idle ones are evicted, oldest first (seed default 10). */
  maxConnections: number;
  /** How long a connection nobody uses stays open, in ms (seed default 300000). */
  idleTimeout: number;
  /** How often idle connections are looked for, in ms (seed default 60000). */
  healthCheckInterval: number;
}

export type PoolCloseReason = 'idle' | 'evicted' | 'over_capacity' | 'destroyed';

export interface PoolEvents {
  /** The pool closed (disposed) a connection. */
  close: { id: string; reason: PoolCloseReason };
  /** A connection was opened although maxConnections are in use (none was idle). */
  over_capacity: { id: string; size: number; maxConnections: number };
}

/** One user's hold on a pooled connection; `release()` is idempotent. */
export interface PoolLease<C extends RealtimeConnection = RealtimeConnection> {
  readonly id: string;
  readonly connection: C;
  readonly released: boolean;
  release(): void;
}

export interface AcquireOptions {
  /** Called when the pool closes the connection while this lease still holds it (destroy()). */
  onClose?: (reason: PoolCloseReason) => void;
}

interface Entry {
  readonly type: ConnectionType;
  readonly connection: RealtimeConnection;
  readonly leases: Set<Lease>;
}

class Lease implements PoolLease {
  released = false;
  constructor(
    readonly id: string,
    private readonly entry: Entry,
    private readonly releaseEntry: () => void,
    readonly onClose: ((reason: PoolCloseReason) => void) | undefined,
  ) {}
  get connection(): RealtimeConnection {
    return this.entry.connection;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.entry.leases.delete(this);
    this.releaseEntry();
  }
}

const ignore = (): void => {};

// The effective config: the options with the C++ defaults, validated by C++
// (emscripten/pool_bindings.cpp, ConnectionPool::validate), which also says what is wrong.
function effectiveConfig(mod: RealtimeModule, options: Partial<ConnectionPoolConfig>): Readonly<ConnectionPoolConfig> {
  const config = mod._poolConfig(options);
  if (typeof config === 'string') throw new RealtimeError('invalid_config', `RealtimeConnectionPool: ${config}`);
  return Object.freeze(config);
}

export class RealtimeConnectionPool {
  private readonly options: Partial<ConnectionPoolConfig>;
  private effective: Readonly<ConnectionPoolConfig> | null = null;
  private native: RawConnectionPool | null = null;  // exists exactly while entries do
  private readonly entries = new Map<string, Entry>();
  private readonly events = new Emitter<PoolEvents>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDeadline = NaN;

  /** Validated at once when the runtime has loaded, else at the first acquire (which needs it). */
  constructor(config: Partial<ConnectionPoolConfig> = {}) {
    this.options = { ...config };
    const mod = runtimeIfLoaded();
    if (mod) this.effective = effectiveConfig(mod, this.options);
  }

  /** The effective config (the C++ defaults for what was left out); before the runtime has
   * loaded, the options as given. */
  get config(): Readonly<ConnectionPoolConfig> {
    const mod = runtimeIfLoaded();
    if (!this.effective && mod) this.effective = effectiveConfig(mod, this.options);
    return this.effective ?? (this.options as ConnectionPoolConfig);
  }

  /**
   * Takes a reference on the connection `id`, creating and connecting it when the pool has none.
   * Synchronous: the runtime must be loaded (`loadRuntime()`; `getConnection()` does it).
   */
  acquire<K extends ConnectionType = 'ws'>(
    id: string, config: ConnectionConfigs[K], type?: K, options: AcquireOptions = {},
  ): PoolLease<Connections[K]> {
    const kind: ConnectionType = type ?? 'ws';
    if (typeof id !== 'string') throw new TypeError('RealtimeConnectionPool: id must be a string');
    const mod = runtimeIfLoaded();
    if (!mod) {
      throw new RealtimeError('not_loaded',
        'RealtimeConnectionPool.acquire: the runtime is not loaded yet (await loadRuntime())');
    }
    const c = this.config;  // validated now, if not at construction
    let entry = this.entries.get(id);
    if (entry && entry.type !== kind) {
      throw new TypeError(`RealtimeConnectionPool: '${id}' is a '${entry.type}' connection`);
    }
    let fresh: RealtimeConnection | null = null;
    if (!entry) {
      const factory = factories[kind] as ((c: ConnectionConfigs[K]) => RealtimeConnection) | undefined;
      if (!factory) throw new TypeError(`RealtimeConnectionPool: unknown connection type '${kind}'`);
      fresh = factory(config);
    }
    this.native ??= nativePool(mod, c);
    const result = this.native.acquire(id, now());
    for (const closed of result.closed) this.close(closed, 'evicted');
    if (fresh) {
      entry = { type: kind, connection: fresh, leases: new Set() };
      this.entries.set(id, entry);
      fresh.connect().catch(ignore);  // failures arrive as 'error' and 'state' events
    } else if (entry!.connection.state === 'closed') {
      entry!.connection.connect().catch(ignore);  // it gave up or was disconnected: try again
    }
    if (result.overCapacity) {
      this.events.emit('over_capacity', { id, size: this.entries.size, maxConnections: c.maxConnections });
    }
    this.reschedule();
    const held = entry!;
    // Released only while `held` is still the pooled entry: a stale lease cannot release the
    // reference of a newer connection with the same id.
    const lease = new Lease(id, held, () => {
      if (this.entries.get(id) === held) this.releaseConnection(id);
    }, options.onClose);
    held.leases.add(lease);
    return lease as unknown as PoolLease<Connections[K]>;
  }

  /** The seed's API: a connected connection (one more user); pair it with releaseConnection(id). */
  async getConnection<K extends ConnectionType = 'ws'>(
    id: string, config: ConnectionConfigs[K], type?: K,
  ): Promise<Connections[K]> {
    await loadRuntime();
    const lease = this.acquire(id, config, type);
    try {
      await lease.connection.connect();
    } catch (err) {
      lease.release();
      throw err;
    }
    return lease.connection;
  }

  /** One user fewer. False when `id` has no user to release (unknown, or released too often). */
  releaseConnection(id: string): boolean {
    if (!this.native) return false;
    const result = this.native.release(id, now());
    for (const closed of result.closed) this.close(closed, 'over_capacity');
    this.settle();
    return result.error === 0;
  }

  /** Closes every connection and stops the timer. The pool stays usable. */
  destroy(): void {
    if (!this.native) return;
    for (const id of this.native.destroy()) this.close(id, 'destroyed');
    this.settle();
  }

  on<K extends keyof PoolEvents>(event: K, callback: (value: PoolEvents[K]) => void): () => void {
    return this.events.on(event, callback);
  }

  /** The pooled connection `id`, without taking a reference. */
  peek(id: string): RealtimeConnection | null {
    return this.entries.get(id)?.connection ?? null;
  }
  has(id: string): boolean {
    return this.entries.has(id);
  }
  /** Current users of `id` (0 when idle or unknown). */
  users(id: string): number {
    return this.native ? this.native.users(id) : 0;
  }
  get size(): number {
    return this.entries.size;
  }

  // ---- internals ----

  private close(id: string, reason: PoolCloseReason): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const leases = [...entry.leases];
    entry.leases.clear();
    entry.connection.dispose();
    for (const lease of leases) {
      lease.released = true;
      lease.onClose?.(reason);
    }
    this.events.emit('close', { id, reason });
  }

  /** Frees the native pool once it is empty, and re-arms (or stops) the timer. */
  private settle(): void {
    if (this.native && this.native.size() === 0) {
      this.native.delete();
      this.native = null;
    }
    this.reschedule();
  }

  private reschedule(): void {
    const deadline = this.native ? this.native.nextDeadline() : NaN;
    if (this.timer !== null && deadline === this.timerDeadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerDeadline = deadline;
    if (Number.isNaN(deadline)) return;
    const timer = setTimeout(() => this.onTimer(), delayUntil(deadline));
    (timer as { unref?: () => void }).unref?.();  // never keeps a Node process alive
    this.timer = timer;
  }

  private onTimer(): void {
    this.timer = null;
    if (!this.native) return;
    for (const id of this.native.onTimer(now())) this.close(id, 'idle');
    this.settle();  // also re-arms when the timer fired a little early
  }
}

/** The shared pool the React hooks use unless a RealtimeProvider is given another one. */
export const connectionPool = /* @__PURE__ */ new RealtimeConnectionPool();
