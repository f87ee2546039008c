// RealtimeEventBus: the seed's API ("Real-time Architecture Patterns"): named channels with a
// bounded history, subscriptions, replay of recent events to a new subscriber, UUID v4 ids.
// Plain TypeScript: it holds no I/O, and in C++ every publish crossed embind with four strings
// and cost the module 5 kB gzip whether an app used the bus or not (docs/size.md, "placement").
//
// Fixes over the seed (kept from the C++ version): subscribe and publish on an unknown channel
// throw `unknown_channel` (the seed threw on one and silently dropped the other); every subscribe
// is its own subscription, so one callback on two channels (or twice on one) unsubscribes
// independently; re-creating a channel keeps its subscribers and history (trimmed to the new
// bound) instead of replacing them; a bad maxHistory is rejected.
import { RealtimeError, safeCall } from './errors.js';

export interface RealtimeEvent<P = unknown> {
  /** UUID v4. */
  id: string;
  type: string;
  payload: P;
  /** Epoch milliseconds at publish. */
  timestamp: number;
  source: string;
  target?: string;
}

export type PublishedEvent<P = unknown> = Omit<RealtimeEvent<P>, 'id' | 'timestamp'>;

type Subscription = {
  callback: (event: RealtimeEvent<never>) => void;
  active: boolean;
};

type Channel = {
  maxHistory: number;
  /** In subscribe order. */
  subscribers: Subscription[];
  /** Oldest first, at most maxHistory. */
  history: RealtimeEvent[];
};

/** Events a new subscriber is replayed (the seed's `slice(-10)`). */
export const EVENT_BUS_REPLAY_COUNT = 10;

const unknownChannel = (name: string) =>
  new RealtimeError('unknown_channel', `Channel ${name} does not exist`);

export class RealtimeEventBus {
  private readonly channels = new Map<string, Channel>();
  /** Every event some channel's history holds (a replay skips one that left meanwhile). */
  private readonly events = new Set<RealtimeEvent>();
  private outbox: Array<{ event: RealtimeEvent; subscribers: Subscription[] }> = [];
  private delivering = false;
  private disposed = false;

  /**
   * Creates a channel keeping the last `maxHistory` events (an integer ≥ 0; 0 keeps none).
   * On an existing channel it only changes the bound (subscribers and history stay).
   */
  createChannel(name: string, maxHistory = 100): void {
    this.checkAlive();
    if (typeof name !== 'string') throw new TypeError('createChannel: name must be a string');
    if (!Number.isInteger(maxHistory) || maxHistory < 0 || maxHistory > 0x7fffffff) {
      throw new RealtimeError('invalid_config', `createChannel(${name}): maxHistory must be an integer ≥ 0`);
    }
    let channel = this.channels.get(name);
    if (!channel) {
      channel = { maxHistory, subscribers: [], history: [] };
      this.channels.set(name, channel);
    }
    channel.maxHistory = maxHistory;
    const excess = channel.history.length - maxHistory;
    if (excess > 0) this.forget(channel.history.splice(0, excess));
  }

  /** Removes a channel, its history and its subscriptions. False when it did not exist. */
  removeChannel(name: string): boolean {
    this.checkAlive();
    const channel = this.channels.get(name);
    if (!channel) return false;
    this.channels.delete(name);
    for (const sub of channel.subscribers) sub.active = false;
    this.forget(channel.history);
    return true;
  }

  hasChannel(name: string): boolean {
    return this.channels.has(name);
  }

  /**
   * Calls `callback` with every event published to the channel from now on, after replaying the
   * last 10 it holds (oldest first). Throws a RealtimeError 'unknown_channel' for a channel that
   * does not exist. Returns the function that ends this subscription (and only this one).
   */
  subscribe<P = unknown>(channel: string, callback: (event: RealtimeEvent<P>) => void): () => void {
    this.checkAlive();
    if (typeof callback !== 'function') throw new TypeError('subscribe: callback must be a function');
    const ch = this.channels.get(channel);
    if (!ch) throw unknownChannel(channel);
    const sub: Subscription = { callback, active: true };
    ch.subscribers.push(sub);
    for (const event of ch.history.slice(-EVENT_BUS_REPLAY_COUNT)) {
      if (sub.active && this.events.has(event)) safeCall(sub.callback, event as RealtimeEvent<never>);
    }
    return () => {
      if (!sub.active) return;
      sub.active = false;
      const i = ch.subscribers.indexOf(sub);
      if (i >= 0) ch.subscribers.splice(i, 1);
    };
  }

  /**
   * Publishes `{ ...event, id, timestamp }` to the channel's subscribers, in subscribe order, and
   * keeps it in the channel's history. Throws a RealtimeError 'unknown_channel' for a channel that
   * does not exist. An event published from inside a subscriber is delivered after the current
   * one has reached every subscriber, so all subscribers see events in publish order.
   */
  publish<P = unknown>(channel: string, event: PublishedEvent<P>): void {
    this.checkAlive();
    if (!event || typeof event.type !== 'string') throw new TypeError('publish: event.type must be a string');
    if (typeof event.source !== 'string') throw new TypeError('publish: event.source must be a string');
    if (event.target !== undefined && typeof event.target !== 'string') {
      throw new TypeError('publish: event.target must be a string when given');
    }
    const ch = this.channels.get(channel);
    if (!ch) throw unknownChannel(channel);
    const full = copy(event) as unknown as RealtimeEvent;
    full.id = uuidV4();
    full.timestamp = Date.now();
    ch.history.push(full);
    this.events.add(full);
    if (ch.history.length > ch.maxHistory) this.events.delete(ch.history.shift()!);
    this.deliver(full, ch.subscribers.slice());
  }

  /** Events the channel's history holds now (0 for an unknown channel). */
  historySize(channel: string): number {
    return this.channels.get(channel)?.history.length ?? 0;
  }

  /** Forgets every channel, event and subscription; later use throws `disposed`. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const ch of this.channels.values()) for (const sub of ch.subscribers) sub.active = false;
    this.channels.clear();
    this.events.clear();
    this.outbox = [];
  }

  // ---- internals ----

  private deliver(event: RealtimeEvent, subscribers: Subscription[]): void {
    this.outbox.push({ event, subscribers });
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let i = 0; i < this.outbox.length; i++) {
        const item = this.outbox[i]!;
        for (const sub of item.subscribers) {
          if (sub.active) safeCall(sub.callback, item.event as RealtimeEvent<never>);
        }
      }
    } finally {
      this.outbox = [];
      this.delivering = false;
    }
  }

  private forget(events: RealtimeEvent[]): void {
    for (const event of events) this.events.delete(event);
  }

  private checkAlive(): void {
    if (this.disposed) throw new RealtimeError('disposed', 'the event bus was disposed');
  }
}

/**
 * `{ ...event }`, without V8's slow path: under Node 20 `{ ...event, id, timestamp }` costs about
 * 2 µs, Object.assign 0.1 µs. Object.assign sets where spread defines, which differs only for an
 * own `__proto__` key (JSON.parse makes those): that one is spread.
 */
function copy<T extends object>(event: T): T {
  return Object.hasOwn(event, '__proto__') ? { ...event } : Object.assign({}, event);
}

// UUID v4 from crypto.getRandomValues, 8 KiB at a time (available in insecure contexts too,
// unlike crypto.randomUUID), formatted as src/envelope_json.cpp's uuid_v4: lowercase hex.
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const POOL_BYTES = 8192;  // 512 UUIDs per call: the call, not the bytes, is what costs
let pool: Uint8Array | null = null;
let poolPos = POOL_BYTES;

function uuidV4(): string {
  if (poolPos === POOL_BYTES) {
    pool ??= new Uint8Array(POOL_BYTES);
    crypto.getRandomValues(pool);
    poolPos = 0;
  }
  const b = pool!;
  const o = poolPos;
  poolPos += 16;
  const h = (i: number) => HEX[b[o + i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${HEX[(b[o + 6]! & 0x0f) | 0x40]}${h(7)}-` +
    `${HEX[(b[o + 8]! & 0x3f) | 0x80]}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

/**
 * The shared bus (the seed's `eventBus`). Constructing it is free: no global (window, document,
 * crypto) is touched until it is first used.
 */
export const eventBus: RealtimeEventBus = /* @__PURE__ */ new RealtimeEventBus();
