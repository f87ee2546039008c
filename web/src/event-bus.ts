// RealtimeEventBus: the seed's API ("Real-time Architecture Patterns") over the native bookkeeping
// in src/event_bus.h (`_EventBus`): channels, bounded histories, subscription ids, replay, UUIDs.
// The values stay here: each published event is kept under a payload handle for as long as C++
// keeps that handle in a channel's history, and the callbacks are kept by subscription id.
import { RealtimeError, safeCall } from './errors.js';
import { NativeOwner } from './native-owner.js';

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

/** The embind `_EventBus` (emscripten/optimize_bindings.cpp); errors are Errc numbers. */
interface RawEventBus {
  createChannel(name: string, maxHistory: number): { error: number; evicted: number[] };
  removeChannel(name: string): { error: number; evicted: number[] };
  subscribe(channel: string): { error: number; subscription: number; replay: number[] };
  unsubscribe(subscription: number): boolean;
  publish(
    channel: string, type: string, source: string, target: string, handle: number, now: number,
  ): { error: number; id: string; subscribers: number[]; evicted: number };
  historySize(channel: string): number;
  subscriptionCount(): number;
  delete(): void;
}

type Subscription = {
  id: number;  // 0 until the native subscribe has run
  channel: string;
  callback: (event: RealtimeEvent<never>) => void;
  active: boolean;
};

/** Events a new subscriber is replayed (the seed's `slice(-10)`). */
export const EVENT_BUS_REPLAY_COUNT = 10;

const unknownChannel = (name: string) =>
  new RealtimeError('unknown_channel', `Channel ${name} does not exist`);

export class RealtimeEventBus {
  private readonly native = new NativeOwner<RawEventBus>(
    this, (mod) => new (mod._EventBus as new () => RawEventBus)());
  /** Channel names, so that an unknown channel is an error at once, even before the load. */
  private readonly channels = new Set<string>();
  /** Payload handle → event, for every event some channel's history still holds. */
  private readonly events = new Map<number, RealtimeEvent>();
  private readonly subscriptions = new Map<number, Subscription>();
  private lastHandle = 0;
  private outbox: Array<{ event: RealtimeEvent; subscribers: number[] }> = [];
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
    this.channels.add(name);
    this.native.run((n) => this.forget(n.createChannel(name, maxHistory).evicted));
  }

  /** Removes a channel, its history and its subscriptions. False when it did not exist. */
  removeChannel(name: string): boolean {
    this.checkAlive();
    if (!this.channels.delete(name)) return false;
    for (const [id, sub] of this.subscriptions) {
      if (sub.channel !== name) continue;
      sub.active = false;
      this.subscriptions.delete(id);
    }
    this.native.run((n) => this.forget(n.removeChannel(name).evicted));
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
    if (!this.channels.has(channel)) throw unknownChannel(channel);
    const sub: Subscription = { id: 0, channel, callback, active: true };
    this.native.run((n) => {
      if (!sub.active) return;
      const r = n.subscribe(channel);
      if (r.error !== 0) return void (sub.active = false);
      sub.id = r.subscription;
      this.subscriptions.set(sub.id, sub);
      for (const handle of r.replay) {
        const event = this.events.get(handle);
        if (event && sub.active) safeCall(sub.callback, event as RealtimeEvent<never>);
      }
    });
    return () => {
      if (!sub.active) return;
      sub.active = false;
      this.native.run((n) => {
        if (sub.id === 0) return;
        n.unsubscribe(sub.id);
        this.subscriptions.delete(sub.id);
      });
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
    if (!this.channels.has(channel)) throw unknownChannel(channel);
    const timestamp = Date.now();
    this.native.run((n) => {
      const handle = this.nextHandle();
      const r = n.publish(channel, event.type, event.source, event.target ?? '', handle, timestamp);
      if (r.error !== 0) return;  // not reached: the name was checked above, in the same order
      const full = { ...event, id: r.id, timestamp } as RealtimeEvent;
      this.events.set(handle, full);
      if (r.evicted !== 0) this.events.delete(r.evicted);
      this.deliver(full, r.subscribers);
    });
  }

  /** Events the channel's history holds now (0 for an unknown channel, or before the load). */
  historySize(channel: string): number {
    return this.native.current()?.historySize(channel) ?? 0;
  }

  /** Frees the native bus and forgets every channel, event and subscription. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.native.dispose();
    for (const sub of this.subscriptions.values()) sub.active = false;
    this.subscriptions.clear();
    this.channels.clear();
    this.events.clear();
    this.outbox = [];
  }

  // ---- internals ----

  private deliver(event: RealtimeEvent, subscribers: number[]): void {
    this.outbox.push({ event, subscribers });
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let i = 0; i < this.outbox.length; i++) {
        const item = this.outbox[i]!;
        for (const id of item.subscribers) {
          const sub = this.subscriptions.get(id);
          if (sub?.active) safeCall(sub.callback, item.event as RealtimeEvent<never>);
        }
      }
    } finally {
      this.outbox = [];
      this.delivering = false;
    }
  }

  private forget(handles: number[]): void {
    for (const handle of handles) this.events.delete(handle);
  }

  /** A uint32 payload handle ≠ 0 not in use (they wrap after 2^32 publishes). */
  private nextHandle(): number {
    do this.lastHandle = (this.lastHandle % 0xffffffff) + 1;
    while (this.events.has(this.lastHandle));
    return this.lastHandle;
  }

  private checkAlive(): void {
    if (this.disposed) throw new RealtimeError('disposed', 'the event bus was disposed');
  }
}

/**
 * The shared bus (the seed's `eventBus`). Constructing it is free: nothing loads and no global
 * (window, document) is touched until it is first used.
 */
export const eventBus: RealtimeEventBus = /* @__PURE__ */ new RealtimeEventBus();
