// WebSocketManager: the seed's public API over the native WsClient (emscripten/ws_client.cpp).
// Reconnection, backoff, the offline queue, heartbeats and envelope validation happen in C++.
// An optional payload codec (e.g. EncryptedMessageHandler) transforms payloads in JS, in order.
import { RealtimeError, type RealtimeErrorCode, safeCall } from './errors.js';
import {
  type BaseEvents,
  type ConnectionOptions,
  type RawClient,
  type UrlSource,
  NativeManager,
  checkUrl,
} from './native-manager.js';
import type { ConnectionStats, RealtimeModule, Sink, WebSocketConstructor } from './runtime.js';

export interface WebSocketConfig extends ConnectionOptions {
  protocols?: string | string[];
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
  /**
   * Transforms every payload: `send` encodes it, subscribers get it decoded (e.g. an
   * EncryptedMessageHandler). Order is kept both ways; 'ping'/'pong' are never transformed.
   */
  codec?: PayloadCodec;
  /** Inbound messages waiting for the codec before new ones are dropped ('drop' event,
   * reason 'decode_backlog') (default 10000). */
  maxDecodeBacklog?: number;
}

/** A payload transform run in JS on both directions (may be async). */
export interface PayloadCodec {
  /** The payload as it goes on the wire (JSON-serializable). Called synchronously by send(). */
  encode(payload: unknown, type: string): unknown | Promise<unknown>;
  /** The payload for subscribers. A throw or rejection drops that message with an 'error'. */
  decode(wire: unknown, type: string): unknown | Promise<unknown>;
}

/** Heartbeat envelopes: never passed through a codec. */
const CONTROL_TYPES = new Set(['ping', 'pong']);

export interface WebSocketMessage<T = unknown> {
  type: string;
  payload: T;
  id?: string;
  timestamp?: number;
}

export interface DropEvent {
  reason: string;
  count: number;
}

export interface CloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** SecureWebSocketManager's token lifecycle (never carries the token itself). */
export interface AuthEvent {
  /** 'refreshing': the tokenProvider is being called; 'refreshed': a new token is in use;
   * 'waiting': a socket open is held until the refresh completes. */
  phase: 'refreshing' | 'refreshed' | 'waiting';
  /** Why a refresh started. */
  reason?: 'connect' | 'expiring' | 'expired' | 'rejected';
  /** Expiry of the new token (epoch ms; null when it has no `exp`). */
  expiresAt?: number | null;
}

export interface ManagerEvents extends BaseEvents {
  /** SecureWebSocketManager only. */
  auth: AuthEvent;
  drop: DropEvent;
  /** The socket closed (a reconnect may follow: see 'state'). */
  close: CloseEvent;
  /** Every valid inbound envelope, whatever its type. */
  message: WebSocketMessage;
}

type Tunables = Omit<
  WebSocketConfig,
  'url' | 'protocols' | 'WebSocket' | 'codec' | keyof Omit<ConnectionOptions, 'reconnectAttempts'>
>;

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
  maxDecodeBacklog: 10_000,
};

const DROP_REASONS = ['queue_full'];

export interface RawWsClient extends RawClient {
  disconnect(code: number, reason: string): void;
  send(type: string, payloadJson: string, id: string, timestamp: number): boolean;
  setPreamble(type: string, payloadJson: string): void;
  stats(): ConnectionStats;
}

function asRealtimeError(err: unknown, code: RealtimeErrorCode, message: string): RealtimeError {
  return err instanceof RealtimeError ? err : new RealtimeError(code, message);
}

export class WebSocketManager extends NativeManager<RawWsClient, ManagerEvents> {
  protected config: WebSocketConfig & Required<Tunables>;
  private codec: PayloadCodec | null;
  private outChain: Promise<void> = Promise.resolve();
  private outPending = 0;
  private inChain: Promise<void> = Promise.resolve();
  private inPending = 0;

  constructor(config: WebSocketConfig) {
    super();
    checkUrl('WebSocketManager', config?.url);
    this.config = { ...WS_DEFAULTS, ...config };
    this.codec = config.codec ?? null;
  }

  /**
   * Installs (or with null removes) the payload codec. From then on `send` encodes and
   * subscribers receive decoded payloads; messages already in flight keep their order.
   */
  useCodec(codec: PayloadCodec | null): void {
    this.codec = codec;
    this.client?.setWildcard(this.wantsWildcard());
  }

  /** Closes with code 1000; no reconnect follows. */
  disconnect(): void {
    this.ifClient((c) => c.disconnect(1000, 'Normal closure'));
  }

  /** Sends now when open (returns true), else queues it for the next open (returns false). */
  send<T>(message: WebSocketMessage<T>): boolean {
    if (!message || typeof message.type !== 'string') {
      throw new TypeError('WebSocketManager.send: message.type must be a string');
    }
    const id = message.id === undefined ? '' : String(message.id);
    const timestamp = typeof message.timestamp === 'number' ? message.timestamp : NaN;
    if ((this.codec && !CONTROL_TYPES.has(message.type)) || this.outPending > 0) {
      this.sendThroughCodec(message, id, timestamp);
      return false;
    }
    const payload = message.payload === undefined ? '' : JSON.stringify(message.payload);
    return this.sendJson(message.type, payload, id, timestamp);
  }

  private sendJson(type: string, payload: string, id: string, timestamp: number): boolean {
    if (this.client) return this.client.send(type, payload, id, timestamp);
    this.withClient((c) => c.send(type, payload, id, timestamp));
    return false;
  }

  // Encodes now (the codec serializes synchronously, so later mutation of the payload object does
  // not change what is sent); hands over to the native queue in send() order once encoded.
  private sendThroughCodec<T>(message: WebSocketMessage<T>, id: string, timestamp: number): void {
    const codec = CONTROL_TYPES.has(message.type) ? null : this.codec;
    const type = message.type;
    let wire: Promise<unknown>;
    try {
      wire = Promise.resolve(codec ? codec.encode(message.payload, type) : message.payload);
    } catch (err) {
      wire = Promise.reject(err);
    }
    wire.catch(() => {});  // handled in order by the chain below (not an unhandled rejection)
    this.outPending++;
    this.outChain = this.outChain
      .then(() => wire)
      .then(
        (w) => {
          if (!this.isDisposed) this.sendJson(type, w === undefined ? '' : JSON.stringify(w), id, timestamp);
        },
        (err: unknown) =>
          this.fail(asRealtimeError(err, 'encode_failed', `a '${type}' message could not be encoded; not sent`)),
      )
      .finally(() => {
        this.outPending--;
      });
  }

  // Codec mode: every frame comes here whole (wildcard), is decoded off the native path, and is
  // delivered in arrival order however long each decode takes. Bounded by maxDecodeBacklog.
  private receiveThroughCodec(codec: PayloadCodec, text: string): void {
    const env = JSON.parse(text) as WebSocketMessage;
    const type = env.type;
    const wantsEvent = this.events.has('message');
    if (!wantsEvent && !this.hasSubscribers(type)) return;  // nobody listens: no decode
    if (this.inPending >= this.config.maxDecodeBacklog) {
      this.events.emit('drop', { reason: 'decode_backlog', count: 1 });
      return;
    }
    let decoded: Promise<unknown>;
    try {
      decoded = Promise.resolve(CONTROL_TYPES.has(type) ? env.payload : codec.decode(env.payload, type));
    } catch (err) {
      decoded = Promise.reject(err);
    }
    decoded.catch(() => {});  // handled in order by the chain below (not an unhandled rejection)
    this.inPending++;
    this.inChain = this.inChain
      .then(() => decoded)
      .then(
        (payload) => {
          this.deliverToType(type, payload);
          if (wantsEvent && !this.isDisposed) this.events.emit('message', { ...env, payload });
        },
        (err: unknown) =>
          this.fail(asRealtimeError(err, 'decode_failed', `a '${type}' message could not be decoded; dropped`)),
      )
      .finally(() => {
        this.inPending--;
      });
  }

  /** Calls cb with the payload of every message of this type; returns the unsubscribe function. */
  subscribe<T = unknown>(type: string, callback: (payload: T) => void): () => void {
    return this.addSubscriber(type, callback);
  }

  /** Messages, errors, drops, reconnects, queue depth and heartbeat RTT; null before connect. */
  get stats(): ConnectionStats | null {
    return this.client ? this.client.stats() : null;
  }

  protected override wantsWildcard(): boolean {
    return this.events.has('message') || this.codec !== null;
  }

  protected urlSource(): UrlSource {
    return this.config.url;
  }

  /** The constructor the native transport calls for every socket it opens. */
  protected socketConstructor(): WebSocketConstructor | undefined {
    return this.config.WebSocket;
  }

  protected sink(): Partial<Sink> {
    return {
      // Runs for every inbound message: no thunk per message, as deliver() would need.
      message: (typeId: number, json: string) => {
        if (this.codec) return;
        const callbacks = this.subscribersOf(typeId);
        if (!callbacks) return;
        const payload = JSON.parse(json) as never;
        for (const cb of callbacks) safeCall(cb, payload);
      },
      raw: (text: string) => {
        if (this.codec) this.receiveThroughCodec(this.codec, text);
        else this.events.emit('message', JSON.parse(text) as WebSocketMessage);
      },
      drop: (reason: number, count: number) =>
        this.events.emit('drop', { reason: DROP_REASONS[reason] ?? 'unknown', count }),
      close: (code: number, reason: string, wasClean: boolean) =>
        this.events.emit('close', { code, reason, wasClean }),
      webSocket: () => this.socketConstructor(),
    };
  }

  protected createClient(mod: RealtimeModule, handle: number): RawWsClient {
    return new (mod._WsClient as unknown as new (h: number, cfg: object) => RawWsClient)(
      handle,
      this.nativeConfig(),
    );
  }

  /** The config object the native client reads (emscripten/ws_client.cpp); an option left out
   * keeps the C++ default. */
  protected nativeConfig(): Record<string, unknown> {
    return { ...this.config };
  }
}

export type { RealtimeError };
