// WebSocketManager: the seed's public API over the native WsClient (emscripten/ws_client.cpp).
// Reconnection, backoff, the offline queue, heartbeats and envelope decoding all happen in C++;
// this class owns the native object's lifetime and turns its events into typed JS events.
import { Emitter } from './emitter.js';
import { RealtimeError, safeCall } from './errors.js';
import {
  type ConnectionStats,
  type RawWsClient,
  type WebSocketConstructor,
  deleteLater,
  errcName,
  loadRuntime,
  register,
  runtimeIfLoaded,
  unregister,
} from './runtime.js';

export interface WebSocketConfig {
  url: string;
  protocols?: string | string[];
  /** Reconnect attempts after an unclean close before giving up (seed default 5). */
  reconnectAttempts?: number;
  /** Base reconnect delay in ms, doubled per attempt (seed default 1000). */
  reconnectInterval?: number;
  /** Cap on the reconnect delay in ms (default 30000). */
  maxReconnectInterval?: number;
  /** Full jitter: a random delay in [0, delay] (default false). */
  reconnectJitter?: boolean;
  /** Ping period in ms while open; 0 disables heartbeats (seed default 30000). */
  heartbeatInterval?: number;
  /** Silent intervals before the connection is declared dead and replaced (default 2). */
  heartbeatMissedLimit?: number;
  /** Messages kept while offline; the oldest is dropped, with a 'drop' event (seed default 100). */
  messageQueueSize?: number;
  /** Larger inbound frames are dropped with an 'error' event (default 1 MiB). */
  maxMessageBytes?: number;
  /** Deeper JSON nesting is rejected with an 'error' event (default 128). */
  maxDepth?: number;
  /** A WebSocket constructor, e.g. from the `ws` package (default: the global one). */
  WebSocket?: WebSocketConstructor;
}

export interface WebSocketMessage<T = unknown> {
  type: string;
  payload: T;
  id?: string;
  timestamp?: number;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';
export const CONNECTION_STATES: readonly ConnectionState[] = [
  'connecting', 'open', 'reconnecting', 'closing', 'closed',
];

export interface StateEvent {
  newState: ConnectionState;
  oldState: ConnectionState;
}
export interface DropEvent {
  reason: string;
  count: number;
}
export interface ManagerEvents extends Record<string, unknown> {
  state: StateEvent;
  error: RealtimeError;
  drop: DropEvent;
  /** Every valid inbound envelope, whatever its type. */
  message: WebSocketMessage;
}

const DROP_REASONS = ['queue_full'];

type Tunables = Omit<WebSocketConfig, 'url' | 'protocols' | 'WebSocket'>;

export const WS_DEFAULTS: Readonly<Required<Tunables>> = {
  reconnectAttempts: 5,
  reconnectInterval: 1000,
  maxReconnectInterval: 30000,
  reconnectJitter: false,
  heartbeatInterval: 30000,
  heartbeatMissedLimit: 2,
  messageQueueSize: 100,
  maxMessageBytes: 1 << 20,
  maxDepth: 128,
};

type Subscribers = { typeId: number; callbacks: Set<(payload: never) => void> };

const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<() => void>((release) => release())
    : null;

export class WebSocketManager {
  protected config: WebSocketConfig & Required<Tunables>;
  private client: RawWsClient | null = null;
  private handle = 0;
  private readonly events = new Emitter<ManagerEvents>();
  private readonly byType = new Map<string, Subscribers>();
  private readonly byTypeId = new Map<number, Subscribers>();
  private pending: Array<(client: RawWsClient) => void> = [];
  private current: ConnectionState = 'closed';
  private lastError: RealtimeError | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: RealtimeError) => void }> = [];
  private disposed = false;

  constructor(config: WebSocketConfig) {
    if (!config || typeof config.url !== 'string') {
      throw new TypeError('WebSocketManager: config.url must be a string');
    }
    this.config = { ...WS_DEFAULTS, ...config };
  }

  /** Opens the connection; resolves when open, rejects with a RealtimeError if it closes first. */
  connect(): Promise<void> {
    if (this.disposed) return Promise.reject(new RealtimeError('disposed', 'manager was disposed'));
    if (this.current === 'open') return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.withClient((c) => c.connect());
    return opened;
  }

  /** Closes with code 1000; no reconnect follows. */
  disconnect(): void {
    this.client?.disconnect(1000, 'Normal closure');
    this.pending = [];
  }

  /** Sends now when open (returns true), else queues it for the next open (returns false). */
  send<T>(message: WebSocketMessage<T>): boolean {
    if (!message || typeof message.type !== 'string') {
      throw new TypeError('WebSocketManager.send: message.type must be a string');
    }
    const payload = message.payload === undefined ? '' : JSON.stringify(message.payload);
    const id = message.id === undefined ? '' : String(message.id);
    const timestamp = typeof message.timestamp === 'number' ? message.timestamp : NaN;
    if (this.client) return this.client.send(message.type, payload, id, timestamp);
    this.withClient((c) => c.send(message.type, payload, id, timestamp));
    return false;
  }

  /** Calls cb with the payload of every message of this type; returns the unsubscribe function. */
  subscribe<T = unknown>(type: string, callback: (payload: T) => void): () => void {
    if (typeof type !== 'string') throw new TypeError('subscribe: type must be a string');
    let subs = this.byType.get(type);
    if (!subs) {
      subs = { typeId: 0, callbacks: new Set() };
      this.byType.set(type, subs);
      if (this.client) this.bindType(type, subs);
    }
    const cb = callback as (payload: never) => void;
    subs.callbacks.add(cb);
    return () => {
      const current = this.byType.get(type);
      if (!current || !current.callbacks.delete(cb) || current.callbacks.size > 0) return;
      this.byType.delete(type);
      this.byTypeId.delete(current.typeId);
      this.client?.unsubscribeType(type);
    };
  }

  /** Listens to the manager's own events: 'state', 'error', 'drop', 'message'. */
  on<K extends keyof ManagerEvents>(event: K, callback: (value: ManagerEvents[K]) => void) {
    const off = this.events.on(event, callback);
    if (event === 'message') this.client?.setWildcard(true);
    return () => {
      off();
      if (event === 'message' && !this.events.has('message')) this.client?.setWildcard(false);
    };
  }

  get readyState(): number {
    return this.client ? this.client.readyState() : 3;
  }
  get isConnected(): boolean {
    return this.current === 'open';
  }
  /** The session state: 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed'. */
  get state(): ConnectionState {
    return this.current;
  }
  get stats(): ConnectionStats | null {
    return this.client ? this.client.stats() : null;
  }

  /** Disconnects and frees the native object. The manager cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disconnect();
    this.release();
    this.rejectWaiters(new RealtimeError('disposed', 'manager was disposed'));
  }

  // ---- internals ----

  private release(): void {
    if (this.client) {
      finalizer?.unregister(this);
      unregister(this.handle);
      deleteLater(this.client);
      this.client = null;
    }
  }

  private withClient(op: (client: RawWsClient) => void): void {
    if (this.client) return op(this.client);
    this.pending.push(op);
    if (this.pending.length > 1) return;
    const mod = runtimeIfLoaded();
    if (mod) return this.create();
    loadRuntime().then(
      () => this.create(),
      (err: unknown) => {
        this.pending = [];
        this.fail(new RealtimeError('load_failed', `could not load the runtime: ${String(err)}`));
      },
    );
  }

  private create(): void {
    if (this.client || this.disposed) return;
    const mod = runtimeIfLoaded()!;
    const custom = this.config.WebSocket;
    this.handle = register({
      state: (n, o) => this.onState(n, o),
      message: (typeId, json) => this.onMessage(typeId, json),
      raw: (text) => this.events.emit('message', JSON.parse(text) as WebSocketMessage),
      error: (code, message) => this.fail(new RealtimeError(errcName(code), message)),
      drop: (reason, count) =>
        this.events.emit('drop', { reason: DROP_REASONS[reason] ?? 'unknown', count }),
      webSocket: () => custom,
    });
    const c = this.config;
    const protocols = Array.isArray(c.protocols) ? c.protocols.join(',') : (c.protocols ?? '');
    this.client = new mod._WsClient(this.handle, {
      url: c.url,
      protocols,
      reconnectAttempts: c.reconnectAttempts,
      reconnectInterval: c.reconnectInterval,
      maxReconnectInterval: c.maxReconnectInterval,
      reconnectJitter: c.reconnectJitter,
      heartbeatInterval: c.heartbeatInterval,
      heartbeatMissedLimit: c.heartbeatMissedLimit,
      messageQueueSize: c.messageQueueSize,
      maxMessageBytes: c.maxMessageBytes,
      maxDepth: c.maxDepth,
    });
    const client = this.client;
    const handle = this.handle;
    finalizer?.register(this, () => {
      unregister(handle);
      client.delete();
    }, this);
    for (const [type, subs] of this.byType) this.bindType(type, subs);
    if (this.events.has('message')) client.setWildcard(true);
    const ops = this.pending;
    this.pending = [];
    for (const op of ops) op(client);
  }

  private bindType(type: string, subs: Subscribers): void {
    subs.typeId = this.client!.subscribeType(type);
    this.byTypeId.set(subs.typeId, subs);
  }

  private onMessage(typeId: number, json: string): void {
    const subs = this.byTypeId.get(typeId);
    if (!subs) return;
    const payload = JSON.parse(json) as never;
    for (const cb of subs.callbacks) safeCall(cb, payload);
  }

  private onState(n: number, o: number): void {
    const newState = CONNECTION_STATES[n]!;
    const oldState = CONNECTION_STATES[o]!;
    this.current = newState;
    if (newState === 'open') {
      this.lastError = null;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    } else if (newState === 'closed') {
      this.rejectWaiters(this.lastError ?? new RealtimeError('closed', 'connection closed'));
    }
    this.events.emit('state', { newState, oldState });
  }

  private fail(error: RealtimeError): void {
    this.lastError = error;
    this.events.emit('error', error);
    if (error.code === 'load_failed') this.rejectWaiters(error);
  }

  private rejectWaiters(error: RealtimeError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }
}
