// Channel: a named, ordered stream of a realtime.v1 server (docs/protocol.md), joined through a
// WebSocketManager. The position, the de-duplication by offset, the re-join after every
// reconnect and the gap decisions are the C++ session's (src/delivery.h); this class routes the
// deliveries to the subscribers of each type and reads the position from C++.
import { Emitter } from './emitter.js';
import { safeCall } from './errors.js';

/** Where a client is in a channel: the last publication it received (JSON-serializable: save
 * it and pass it as `since` to resume, e.g. after a page reload). */
export interface ChannelPosition {
  epoch: string;
  offset: number;
}

/** What each channel delivery carries besides the payload. */
export interface ChannelMeta {
  channel: string;
  offset: number;
  id: string;
  timestamp: number;
}

/** Publications after `from` may be missing (history trimmed, or a new epoch); live delivery
 * goes on in `epoch`. */
export interface GapEvent {
  channel: string;
  from: ChannelPosition;
  epoch: string;
}

export interface ChannelEvents {
  gap: GapEvent;
}

export interface ChannelOptions {
  /** Resume after this position (publications up to it are not delivered again). */
  since?: ChannelPosition;
}

/** What a Channel needs from its manager. */
export interface ChannelHost {
  channelPosition(name: string): ChannelPosition | null;
  leaveChannel(name: string): void;
}

type Listener = (payload: never, meta: ChannelMeta) => void;

export class Channel {
  private readonly byType = new Map<string, Set<Listener>>();
  private readonly events = new Emitter<ChannelEvents>();
  private left = false;

  constructor(readonly name: string, private readonly host: ChannelHost) {}

  /** Calls cb(payload, meta) for every publication of `type`, once each, in offset order. */
  subscribe<T = unknown>(type: string, callback: (payload: T, meta: ChannelMeta) => void): () => void {
    if (typeof type !== 'string') throw new TypeError('Channel.subscribe: type must be a string');
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, (set = new Set()));
    const cb = callback as Listener;
    set.add(cb);
    return () => {
      set.delete(cb);
      if (set.size === 0 && this.byType.get(type) === set) this.byType.delete(type);
    };
  }

  on<K extends keyof ChannelEvents>(event: K, callback: (value: ChannelEvents[K]) => void): () => void {
    return this.events.on(event, callback);
  }

  /** The position after the last publication delivered; null before the server's first answer
   * (a live-only join) and after leave(). */
  get position(): ChannelPosition | null {
    return this.left ? null : this.host.channelPosition(this.name);
  }

  /** Stops delivery and tells the server; the manager forgets the channel. */
  leave(): void {
    if (this.left) return;
    this.left = true;
    this.byType.clear();
    this.host.leaveChannel(this.name);
  }

  get isJoined(): boolean {
    return !this.left;
  }

  /** @internal From the native session (one publication). */
  deliver(type: string, payloadJson: string, id: string, offset: number, timestamp: number): void {
    const set = this.byType.get(type);
    if (!set) return;
    const payload = JSON.parse(payloadJson) as never;
    const meta: ChannelMeta = { channel: this.name, offset, id, timestamp };
    for (const cb of set) safeCall(cb, payload, meta);
  }

  /** @internal From the native session. */
  gap(event: GapEvent): void {
    this.events.emit('gap', event);
  }
}
