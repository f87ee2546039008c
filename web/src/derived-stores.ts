// Stores derived from a ConnectionStore (connection-store.ts), for the hooks that read one message
// type, one channel or a feed: SubscriptionStore (the latest payload of one type), ChannelStore
// (one realtime.v1 channel), FeedStore (the last N items of one type, newest first).
import type { ChannelMeta, ChannelOptions, ChannelPosition } from './channel.js';
import type { ConnectionType } from './connection-pool.js';
import type { ConnectionSnapshot, ConnectionStore, HookConnectionState } from './connection-store.js';
import { RealtimeError } from './errors.js';

/** A snapshot computed from a ConnectionStore's, recomputed only when something changed. Its
 * message callbacks are registered only while it has listeners (a replaced store leaves none). */
abstract class DerivedStore<S, K extends ConnectionType> {
  private seen: ConnectionSnapshot | null = null;
  private seenVersion = -1;
  private current: S | null = null;
  private server: S | null = null;
  private users = 0;
  private stops: Array<() => void> = [];
  private readonly listeners = new Set<() => void>();
  protected version = 0;

  constructor(readonly connection: ConnectionStore<K>) {}

  subscribe = (listener: () => void): (() => void) => {
    if (this.users++ === 0) this.stops = this.start();
    const off = this.connection.subscribe(listener);
    const own = () => listener();  // one entry per subscription
    this.listeners.add(own);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      off();
      this.listeners.delete(own);
      if (--this.users > 0) return;
      for (const stop of this.stops) stop();
      this.stops = [];
    };
  };

  getSnapshot = (): S => {
    const c = this.connection.getSnapshot();
    if (c !== this.seen || this.version !== this.seenVersion || this.current === null) {
      this.seen = c;
      this.seenVersion = this.version;
      this.current = this.derive(c, this.current);
    }
    return this.current;
  };

  getServerSnapshot = (): S => (this.server ??= this.derive(this.connection.getServerSnapshot(), null));

  /** For changes that do not come through the connection store (channel deliveries). */
  protected changed(): void {
    this.version++;
    for (const listener of [...this.listeners]) listener();
  }

  /** Registers the callbacks on the connection store; returns how to remove them. */
  protected abstract start(): Array<() => void>;
  protected abstract derive(c: ConnectionSnapshot, previous: S | null): S;
}

export interface SubscriptionSnapshot<T> {
  readonly data: T | null;
  readonly error: RealtimeError | null;
  readonly connectionState: HookConnectionState;
}

/** The latest payload of one message type (useWebSocketSubscription). */
export class SubscriptionStore<T, K extends ConnectionType = 'ws'> extends DerivedStore<
  SubscriptionSnapshot<T>, K
> {
  private data: T | null = null;
  private error: RealtimeError | null = null;

  constructor(
    connection: ConnectionStore<K>,
    private readonly eventType: string,
    private readonly onMessage?: (data: T) => void,
  ) {
    super(connection);
  }

  protected start() {
    return [
      this.connection.listen<T>(this.eventType, (payload) => {
        this.data = payload;
        this.error = null;
        this.version++;
        this.onMessage?.(payload);
      }),
      this.connection.onError((error) => {
        this.error = error;
        this.version++;
      }),
    ];
  }

  protected derive(c: ConnectionSnapshot, previous: SubscriptionSnapshot<T> | null) {
    if (previous && previous.data === this.data && previous.error === this.error &&
        previous.connectionState === c.connectionState) {
      return previous;
    }
    return Object.freeze({ data: this.data, error: this.error, connectionState: c.connectionState });
  }
}

export interface ChannelSnapshot<T> {
  /** The last payload of the type, or null. */
  readonly data: T | null;
  readonly connectionState: HookConnectionState;
  /** The channel position after the last publication (save it to resume with `since`). */
  readonly position: ChannelPosition | null;
}

/** The latest payload of one type on one channel, and the channel's position (useChannel). */
export class ChannelStore<T> extends DerivedStore<ChannelSnapshot<T>, 'ws'> {
  private data: T | null = null;
  private position: ChannelPosition | null = null;

  constructor(
    connection: ConnectionStore<'ws'>,
    private readonly name: string,
    private readonly eventType: string,
    private readonly options: ChannelOptions = {},
    private readonly onMessage?: (data: T, meta: ChannelMeta) => void,
  ) {
    super(connection);
  }

  protected start() {
    return [
      this.connection.withChannel(this.name, this.options, (channel) =>
        channel.subscribe<T>(this.eventType, (payload, meta) => {
          this.data = payload;
          this.position = channel.position;
          this.onMessage?.(payload, meta);
          this.changed();
        })),
    ];
  }

  protected derive(c: ConnectionSnapshot, previous: ChannelSnapshot<T> | null) {
    if (previous && previous.data === this.data && previous.position === this.position &&
        previous.connectionState === c.connectionState) {
      return previous;
    }
    return Object.freeze({ data: this.data, connectionState: c.connectionState, position: this.position });
  }
}

export interface FeedSnapshot<T> {
  /** Newest first. */
  readonly data: readonly T[];
  readonly error: RealtimeError | null;
  readonly connectionState: HookConnectionState;
}

export interface FeedOptions<T> {
  /** Maps each payload to an item; a throw becomes `error` and the payload is skipped. */
  map?: (payload: unknown) => T;
  /** Items kept, newest first (default 100). */
  maxItems?: number;
}

/** The last `maxItems` items of one message type, newest first (useLiveDataFeed,
 * useOptimizedRealtime). Items of one batch are folded in with one array copy. */
export class FeedStore<T, K extends ConnectionType = ConnectionType> extends DerivedStore<
  FeedSnapshot<T>, K
> {
  private items: readonly T[] = Object.freeze([]);
  private incoming: T[] = [];
  private error: RealtimeError | null = null;
  private readonly maxItems: number;
  private readonly map: ((payload: unknown) => T) | undefined;

  constructor(
    connection: ConnectionStore<K>, private readonly eventType: string, options: FeedOptions<T> = {},
  ) {
    super(connection);
    this.maxItems = options.maxItems ?? 100;
    this.map = options.map;
  }

  protected start() {
    const map = this.map;
    return [
      this.connection.listen(this.eventType, (payload) => {
        try {
          this.incoming.push(map ? map(payload) : (payload as T));
          this.error = null;
        } catch (err) {
          this.error = err instanceof RealtimeError ? err
            : new RealtimeError('transform_failed', err instanceof Error ? err.message : String(err));
        }
        this.version++;
      }),
      this.connection.onError((error) => {
        this.error = error;
        this.version++;
      }),
    ];
  }

  protected derive(c: ConnectionSnapshot, previous: FeedSnapshot<T> | null) {
    if (this.incoming.length > 0) {
      const fresh = this.incoming.reverse();
      this.incoming = [];
      const keep = Math.max(0, this.maxItems - fresh.length);
      this.items = Object.freeze(
        (fresh.length > this.maxItems ? fresh.slice(0, this.maxItems) : fresh)
          .concat(this.items.slice(0, keep)),
      );
    }
    if (previous && previous.data === this.items && previous.error === this.error &&
        previous.connectionState === c.connectionState) {
      return previous;
    }
    return Object.freeze({ data: this.items, error: this.error, connectionState: c.connectionState });
  }
}
