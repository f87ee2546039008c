// WebSocketManager: the seed's public API over the native WsClient (emscripten/ws_client.cpp).
// Reconnection, backoff, the offline queue, heartbeats and envelope validation happen in C++.
// An optional payload codec (e.g. EncryptedMessageHandler) transforms payloads in JS, in order.
import { RealtimeError, type RealtimeErrorCode, safeCall } from './errors.js';
import {
  type BaseEvents,
  type ConnectionOptions,
  type UrlSource,
  NativeManager,
  checkUrl,
  remoteSpec,
} from './native-manager.js';
import { Channel, type ChannelOptions } from './channel.js';
import {
  type ConnectionStats,
  type RealtimeModule,
  type Sink,
  type WebSocketConstructor,
  nativeObject,
} from './runtime.js';
import type { NativeWsClient } from './wasm/realtime_wasm.mjs';

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
  /** Offer the realtime.v1 subprotocol next to `protocols`: acknowledged sends and channels
   * need it (docs/protocol.md; realtime-wasm/server speaks it) (default false: a plain server
   * that ignores subprotocols would fail the `ws` client's handshake). */
  realtimeProtocol?: boolean;
  /** Unacknowledged sends kept (sendWithAck); past that it rejects ack_store_full with a 'drop'
   * (default 1000). */
  maxPendingAcks?: number;
  /** Bytes of unacknowledged sends kept (default 1 MiB). */
  maxPendingAckBytes?: number;
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
   * 'waiting': a reconnect attempt is held until the refresh completes (the C++ session's
   * credentials step). */
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

/** Inbound messages waiting for a codec's decode (a JS-only step: there is no C++ copy). */
const DEFAULT_DECODE_BACKLOG = 10_000;

/** sendWithAck's options. */
export interface AckOptions {
  /** Reject with ack_timeout (and withdraw the message) after this many ms (default 10000). */
  timeout?: number;
  /** Aborting rejects with 'aborted' and withdraws the message (not re-sent). */
  signal?: AbortSignal;
}

/** What this layer uses of the native WebSocket client (`_WsClient`, declared in
 * wasm/realtime_wasm.d.mts): a remote client (issue 12) implements this much. */
export type RawWsClient = Omit<NativeWsClient, 'state'>;

interface PendingAck {
  resolve(reply: unknown): void;
  reject(error: RealtimeError): void;
}

function asRealtimeError(err: unknown, code: RealtimeErrorCode, message: string): RealtimeError {
  return err instanceof RealtimeError ? err : new RealtimeError(code, message);
}

export class WebSocketManager extends NativeManager<RawWsClient, ManagerEvents> {
  /** As given: the native client reads it, with the C++ defaults for what is left out
   * (emscripten/ws_client.cpp). */
  protected config: WebSocketConfig;
  private codec: PayloadCodec | null;
  private outChain: Promise<void> = Promise.resolve();
  private outPending = 0;
  private inChain: Promise<void> = Promise.resolve();
  private inPending = 0;
  private readonly acks = new Map<string, PendingAck[]>();  // by id: a re-send of a pending id joins it
  private readonly channels = new Map<string, Channel>();
  private readonly channelIds = new Map<number, Channel>();

  constructor(config: WebSocketConfig) {
    super();
    checkUrl('WebSocketManager', config?.url);
    this.config = { ...config };
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
  // not change what is sent); hands over to the native queue in send() order once encoded. The
  // chain holds a message only while its (async) encode runs: it is not a queue with a policy of
  // its own; the C++ send queue decides (messageQueueSize, 'drop') once each arrives.
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
    if (this.inPending >= (this.config.maxDecodeBacklog ?? DEFAULT_DECODE_BACKLOG)) {
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

  /**
   * Sends and resolves with the server's reply once it acknowledged the message (realtime.v1,
   * docs/protocol.md). Until then the message is kept and re-sent, with the same id and in
   * order, after every reconnect; the server handles each id once. Rejects with a RealtimeError:
   * ack_timeout (withdrawn), aborted, server_error (the handler's message), gave_up,
   * ack_store_full, protocol_unsupported.
   */
  sendWithAck<R = unknown, T = unknown>(message: WebSocketMessage<T>, options: AckOptions = {}): Promise<R> {
    if (!message || typeof message.type !== 'string') {
      throw new TypeError('WebSocketManager.sendWithAck: message.type must be a string');
    }
    const { timeout = 10_000, signal } = options;
    const aborted = () => new RealtimeError('aborted', `sendWithAck '${message.type}' was aborted`);
    if (signal?.aborted) return Promise.reject(aborted());
    const id = message.id === undefined ? '' : String(message.id);
    const timestamp = typeof message.timestamp === 'number' ? message.timestamp : NaN;
    const codec = CONTROL_TYPES.has(message.type) ? null : this.codec;
    return new Promise<R>((resolve, reject) => {
      let sentId: string | null = null;
      const onAbort = () => {
        if (sentId === null) {
          sentId = '';
          return reject(aborted());
        }
        const waiting = this.acks.get(sentId);
        if (!waiting?.includes(settle)) return;
        waiting.splice(waiting.indexOf(settle), 1);
        if (waiting.length === 0) {
          this.acks.delete(sentId);
          this.client?.withdrawAck(sentId);
        }
        reject(aborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = {
        resolve: (reply: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply as R);
        },
        reject: (error: RealtimeError) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      Promise.resolve(codec ? codec.encode(message.payload, message.type) : message.payload).then(
        (wire) => {
          const payload = wire === undefined ? '' : JSON.stringify(wire);
          this.withClient((c) => {
            if (sentId === '') return;  // aborted meanwhile
            const r = c.sendWithAck(message.type, payload, id, timestamp, timeout);
            if (typeof r === 'number') return settle.reject(this.makeError(r, `'${message.type}' was not sent`));
            sentId = r;
            const waiting = this.acks.get(r);
            if (waiting) waiting.push(settle);
            else this.acks.set(r, [settle]);
          });
        },
        (err: unknown) => settle.reject(asRealtimeError(err, 'encode_failed', `a '${message.type}' message could not be encoded; not sent`)),
      );
    });
  }

  /**
   * Joins a channel of a realtime.v1 server (the same Channel when already joined). It is
   * re-joined with its position after every reconnect: the server replays what was missed, in
   * order, once; when it cannot, the channel emits 'gap' and live delivery goes on. `since`
   * resumes after a saved position (e.g. after a page reload).
   */
  channel(name: string, options: ChannelOptions = {}): Channel {
    if (typeof name !== 'string' || name === '') throw new TypeError('WebSocketManager.channel: name must be a non-empty string');
    const existing = this.channels.get(name);
    if (existing) return existing;
    const channel = new Channel(name, {
      channelPosition: (n) => this.client?.channelPosition(n) ?? options.since ?? null,
      leaveChannel: (n) => {
        this.channels.delete(n);
        this.ifClient((c) => c.leaveChannel(n));
      },
    });
    this.channels.set(name, channel);
    this.withClient((c) => {
      if (this.channels.get(name) === channel) this.channelIds.set(c.joinChannel(name, options.since ?? null), channel);
    });
    return channel;
  }

  override dispose(): void {
    super.dispose();
    const pending = [...this.acks.values()].flat();
    this.acks.clear();
    for (const p of pending) p.reject(new RealtimeError('disposed', 'manager was disposed'));
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

  protected override remoteSpec() {
    // A user-given constructor cannot cross a port; SecureWebSocketManager's token wrapper is
    // rebuilt in the host (token-socket.ts).
    return remoteSpec('ws', this.config, this.nativeConfig(), this.config.WebSocket);
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
      drop: (reason: string, count: number) => this.events.emit('drop', { reason, count }),
      ack: (id: string, code: number, detail: string) => {
        const waiting = this.acks.get(id);
        if (!waiting) return;
        this.acks.delete(id);
        for (const pending of waiting) {
          if (code === 0) pending.resolve(JSON.parse(detail));
          else pending.reject(this.makeError(code, detail));
        }
      },
      publication: (channelId: number, type: string, payload: string, id: string, offset: number, timestamp: number) =>
        this.channelIds.get(channelId)?.deliver(type, payload, id, offset, timestamp),
      gap: (channelId: number, fromEpoch: string, fromOffset: number, epoch: string) => {
        const channel = this.channelIds.get(channelId);
        channel?.gap({ channel: channel.name, from: { epoch: fromEpoch, offset: fromOffset }, epoch });
      },
      close: (code: number, reason: string, wasClean: boolean) =>
        this.events.emit('close', { code, reason, wasClean }),
      webSocket: () => this.socketConstructor(),
    };
  }

  protected createClient(mod: RealtimeModule, handle: number): RawWsClient {
    return nativeObject(mod, '_WsClient', handle, this.nativeConfig());
  }

  /** The config object the native client reads (emscripten/ws_client.cpp); an option left out
   * keeps the C++ default. */
  protected nativeConfig(): Record<string, unknown> {
    return { ...this.config };
  }
}

export type { RealtimeError };
