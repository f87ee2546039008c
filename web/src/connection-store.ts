// Framework-agnostic stores over pooled connections: what the React hooks (web/src/react) read
// through useSyncExternalStore, and what any other view layer can use the same way.
//
//  - ConnectionStore: one user's view of a pooled connection. `subscribe(listener)` takes the
//    pool reference on the first listener and releases it after the last one; `getSnapshot()`
//    returns a frozen object that changes only when the state, the last message or the error does.
//    Inbound messages are delivered at once, or (frameAligned / batching) through a
//    MessageBatcher: in order, in one batch per animation frame (or as the batching config
//    says), with one store change per batch.
// The stores derived from one (a type's latest payload, a channel, a feed) are in
// derived-stores.ts; what each hook builds from its arguments is in react/recipes.ts.
import {
  type ConnectionConfigs,
  type ConnectionType,
  type PoolLease,
  type RealtimeConnection,
  type RealtimeConnectionPool,
  connectionKey,
  connectionPool,
} from './connection-pool.js';
import { MESSAGE_ERROR_CODES } from './errc-names.js';
import { RealtimeError, safeCall } from './errors.js';
import { type BatchingConfig, MessageBatcher, createFrameBatcher } from './message-batcher.js';
import { loadRuntime, runtimeIfLoaded } from './runtime.js';
import { type ConnectionState, checkUrl } from './native-manager.js';
import type { Channel, ChannelOptions } from './channel.js';
import type { AckOptions, WebSocketManager, WebSocketMessage } from './websocket-manager.js';

/** The seed hooks' connection state. */
export type HookConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface ConnectionSnapshot {
  readonly connectionState: HookConnectionState;
  readonly isConnected: boolean;
  /** The last message delivered to a `listen()` callback: type, payload, time of receipt. */
  readonly lastMessage: WebSocketMessage | null;
  /** The last error the connection reported (cleared when it opens again). */
  readonly error: RealtimeError | null;
}

export interface DeliveryOptions {
  /** Deliver inbound messages in one batch per animation frame (rAF, else ~16 ms): in order,
   * none lost, one store change (one React commit) per frame. */
  frameAligned?: boolean;
  /** Deliver in the batches a MessageBatcher with this config makes (ignored with frameAligned). */
  batching?: BatchingConfig;
}

export interface StoreOptions extends DeliveryOptions {
  /** The pool to share connections through (default: `connectionPool`). */
  pool?: RealtimeConnectionPool;
}


/** open → connected; connecting/reconnecting → connecting; closed after an error → error. */
export function hookConnectionState(state: ConnectionState, failed: boolean): HookConnectionState {
  if (state === 'open') return 'connected';
  if (state === 'connecting' || state === 'reconnecting') return 'connecting';
  return state === 'closed' && failed ? 'error' : 'disconnected';
}

function snapshotOf(
  connectionState: HookConnectionState, lastMessage: WebSocketMessage | null,
  error: RealtimeError | null,
): ConnectionSnapshot {
  return Object.freeze({
    connectionState, isConnected: connectionState === 'connected', lastMessage, error,
  });
}

const DISCONNECTED = snapshotOf('disconnected', null, null);

function asRealtimeError(err: unknown): RealtimeError {
  if (err instanceof RealtimeError) return err;
  return new RealtimeError('invalid_config', err instanceof Error ? err.message : String(err));
}

type Inbound = { type: string; payload: unknown; at: number } | { error: RealtimeError };
type Callback = (value: never) => void;

// The users of each channel of each shared connection (hooks in any number of stores): a
// channel is left when its last user is gone.
const channelUsers = new WeakMap<WebSocketManager, Map<string, number>>();

export class ConnectionStore<K extends ConnectionType = ConnectionType> {
  readonly key: string;
  private readonly pool: RealtimeConnectionPool;
  private lease: PoolLease | null = null;
  private loading = false;
  private failed = false;
  private snapshot: ConnectionSnapshot = DISCONNECTED;
  private readonly listeners = new Set<() => void>();
  private readonly handlers = new Map<string, Set<Callback>>();
  private readonly errorHandlers = new Set<(error: RealtimeError) => void>();
  private readonly bound = new Map<string, () => void>();  // type → connection unsubscribe
  private offs: Array<() => void> = [];
  private batcher: MessageBatcher<Inbound> | null;
  private readonly delivery: DeliveryOptions;
  // Work for the shared connection made before it is acquired (sends, acknowledged sends, channel
  // joins): it runs, in order, once it is. Held only while the runtime loads or nobody listens.
  private whenAttached: Array<(connection: WebSocketManager) => void> = [];

  constructor(
    readonly type: K,
    readonly config: ConnectionConfigs[K],
    options: StoreOptions = {},
  ) {
    checkUrl('realtime-wasm', config?.url);
    this.key = connectionKey(type, config);
    this.pool = options.pool ?? connectionPool;
    this.delivery = { frameAligned: options.frameAligned, batching: options.batching };
    this.batcher = this.makeBatcher();  // validates the batching config now (no native object yet)
  }

  /** For useSyncExternalStore: the first listener takes a pool reference, the last releases it. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.attach();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.detach();
    };
  };

  getSnapshot = (): ConnectionSnapshot => this.snapshot;

  /** No connection on the server: always 'disconnected'. */
  getServerSnapshot = (): ConnectionSnapshot => DISCONNECTED;

  /** Calls `callback` with the payload of every message of `type` (seed `subscribe`). */
  listen = <T = unknown>(type: string, callback: (payload: T) => void): (() => void) => {
    if (typeof type !== 'string') throw new TypeError('subscribe: type must be a string');
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
      if (this.lease) this.bind(type);
    }
    const entry: Callback = (payload) => callback(payload);  // one entry per call
    set.add(entry);
    return () => {
      if (!set.delete(entry) || set.size > 0 || this.handlers.get(type) !== set) return;
      this.handlers.delete(type);
      this.bound.get(type)?.();
      this.bound.delete(type);
    };
  };

  /** Calls `callback` with every error the connection reports (in delivery order). */
  onError(callback: (error: RealtimeError) => void): () => void {
    this.errorHandlers.add(callback);
    return () => this.errorHandlers.delete(callback);
  }

  /**
   * Sends over the shared WebSocket. Before it is acquired (the runtime still loading, no
   * listener yet) the message waits with the other work for that moment, in order, and is then
   * handed to the manager: the one send queue is the C++ session's (messageQueueSize, the oldest
   * dropped with a 'drop' event on the connection), which decides for these too.
   */
  send = <T>(message: WebSocketMessage<T>): boolean => {
    if (this.type !== 'ws') throw new TypeError('send: only WebSocket connections can send');
    if (this.lease) return (this.lease.connection as WebSocketManager).send(message);
    this.whenAttached.push((c) => {
      c.send(message);
    });
    return false;
  };

  /** sendWithAck over the shared WebSocket (before it is acquired, once it is). */
  sendWithAck = <R = unknown, T = unknown>(message: WebSocketMessage<T>, options?: AckOptions): Promise<R> => {
    if (this.type !== 'ws') throw new TypeError('sendWithAck: only WebSocket connections can send');
    if (this.lease) return (this.lease.connection as WebSocketManager).sendWithAck<R, T>(message, options);
    return new Promise<R>((resolve, reject) => {
      this.whenAttached.push((c) => {
        c.sendWithAck<R, T>(message, options).then(resolve, reject);
      });
    });
  };

  /**
   * Runs `bind(channel)` with the shared connection's channel `name` (now, or once the
   * connection is acquired); the returned function undoes it. The channel is left when its last
   * user is gone.
   */
  withChannel(name: string, options: ChannelOptions, bind: (channel: Channel) => () => void): () => void {
    if (this.type !== 'ws') throw new TypeError('channels need a WebSocket connection');
    let unbind: (() => void) | null = null;
    let joined: WebSocketManager | null = null;
    let done = false;
    const run = (c: WebSocketManager) => {
      if (done) return;
      joined = c;
      const users = channelUsers.get(c) ?? new Map<string, number>();
      channelUsers.set(c, users);
      users.set(name, (users.get(name) ?? 0) + 1);
      unbind = bind(c.channel(name, options));
    };
    if (this.lease) run(this.lease.connection as WebSocketManager);
    else this.whenAttached.push(run);
    return () => {
      if (done) return;
      done = true;
      unbind?.();
      const users = joined && channelUsers.get(joined);
      if (!joined || !users) return;
      const left = (users.get(name) ?? 1) - 1;
      if (left > 0) return void users.set(name, left);
      users.delete(name);
      joined.channel(name).leave();
    };
  }

  /** The pooled connection while this store holds a reference, else null. */
  get connection(): RealtimeConnection | null {
    return this.lease?.connection ?? null;
  }

  // ---- internals ----

  private attach(): void {
    if (this.lease || this.loading) return;
    if (!runtimeIfLoaded()) {
      this.loading = true;
      this.update('connecting', this.snapshot.lastMessage, this.snapshot.error);
      loadRuntime().then(
        () => {
          this.loading = false;
          if (this.listeners.size > 0) this.attach();
        },
        (err: unknown) => {
          this.loading = false;
          this.fail(new RealtimeError('load_failed', `could not load the runtime: ${String(err)}`));
        },
      );
      return;
    }
    let lease: PoolLease;
    try {
      lease = this.pool.acquire(this.key, this.config, this.type, { onClose: () => this.lost() });
    } catch (err) {
      this.fail(asRealtimeError(err));
      return;
    }
    this.lease = lease;
    const c = lease.connection;
    this.offs = [
      c.on('state', (e) => this.onState(e.newState)),
      c.on('error', (e) => this.reportError(e)),
    ];
    for (const type of this.handlers.keys()) this.bind(type);
    const waiting = this.whenAttached;
    this.whenAttached = [];
    for (const run of waiting) run(c as WebSocketManager);
    this.failed = false;
    this.onState(c.state);
  }

  private detach(): void {
    this.unbind();
    const lease = this.lease;
    this.lease = null;
    lease?.release();
    this.failed = false;
    this.snapshot = snapshotOf('disconnected', this.snapshot.lastMessage, this.snapshot.error);
  }

  /** The pool closed the connection while we held it (destroy()). */
  private lost(): void {
    this.unbind();
    this.lease = null;
    this.update('disconnected', this.snapshot.lastMessage, this.snapshot.error);
  }

  private unbind(): void {
    for (const off of this.offs) off();
    this.offs = [];
    for (const off of this.bound.values()) off();
    this.bound.clear();
    // Nobody is listening any more: drop what is pending, free the native batcher, and have a
    // fresh (native-less) one for a remount.
    const spent = this.batcher;
    this.batcher = this.makeBatcher();
    spent?.destroy();
  }

  private makeBatcher(): MessageBatcher<Inbound> | null {
    const { frameAligned, batching } = this.delivery;
    if (!frameAligned && !batching) return null;
    const onFlush = (batch: Inbound[]) => {
      if (this.batcher === batcher) this.deliver(batch);
    };
    const batcher = frameAligned ? createFrameBatcher(onFlush) : new MessageBatcher(batching!, onFlush);
    return batcher;
  }

  private bind(type: string): void {
    const c = this.lease!.connection;
    this.bound.set(type, c.subscribe(type, (payload) => this.inbound({ type, payload, at: Date.now() })));
  }

  private onState(state: ConnectionState): void {
    if (state === 'open') this.failed = false;
    const error = state === 'open' ? null : this.snapshot.error;
    this.update(hookConnectionState(state, this.failed), this.snapshot.lastMessage, error);
  }

  private reportError(error: RealtimeError): void {
    if (!MESSAGE_ERROR_CODES.has(error.code)) {
      this.failed = true;
      const state = this.lease?.connection.state;
      if (state) {
        const s = hookConnectionState(state, true);
        this.update(s, this.snapshot.lastMessage, this.snapshot.error);
      }
    }
    this.inbound({ error });
  }

  private fail(error: RealtimeError): void {
    this.failed = true;
    for (const h of [...this.errorHandlers]) safeCall(h, error);
    this.update('error', this.snapshot.lastMessage, error);
  }

  private inbound(item: Inbound): void {
    if (this.batcher) this.batcher.add(item);
    else this.deliver([item]);
  }

  /** Runs every callback of the batch in order, then changes the snapshot once. */
  private deliver(batch: Inbound[]): void {
    let { lastMessage, error } = this.snapshot;
    let changed = false;
    for (const item of batch) {
      if ('error' in item) {
        error = item.error;
        changed = true;
        for (const h of [...this.errorHandlers]) safeCall(h, item.error);
        continue;
      }
      const set = this.handlers.get(item.type);
      if (!set) continue;  // unsubscribed while queued
      lastMessage = { type: item.type, payload: item.payload, timestamp: item.at };
      changed = true;
      for (const h of [...set]) safeCall(h, item.payload as never);
    }
    if (changed) this.update(this.snapshot.connectionState, lastMessage, error);
  }

  private update(
    state: HookConnectionState, lastMessage: WebSocketMessage | null, error: RealtimeError | null,
  ): void {
    const s = this.snapshot;
    if (s.connectionState === state && s.lastMessage === lastMessage && s.error === error) return;
    this.snapshot = snapshotOf(state, lastMessage, error);
    for (const listener of [...this.listeners]) listener();
  }
}
