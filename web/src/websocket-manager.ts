// WebSocketManager: the seed's public API over the native WsClient (emscripten/ws_client.cpp).
// Reconnection, backoff, the offline queue, heartbeats and envelope validation happen in C++.
import type { RealtimeError } from './errors.js';
import { type BaseEvents, type RawClient, NativeManager } from './native-manager.js';
import type { ConnectionStats, RealtimeModule, Sink, WebSocketConstructor } from './runtime.js';

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

export interface DropEvent {
  reason: string;
  count: number;
}

export interface CloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
}

export interface ManagerEvents extends BaseEvents {
  drop: DropEvent;
  /** The socket closed (a reconnect may follow: see 'state'). */
  close: CloseEvent;
  /** Every valid inbound envelope, whatever its type. */
  message: WebSocketMessage;
}

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

const DROP_REASONS = ['queue_full'];

interface RawWsClient extends RawClient {
  disconnect(code: number, reason: string): void;
  send(type: string, payloadJson: string, id: string, timestamp: number): boolean;
  stats(): ConnectionStats;
}

export class WebSocketManager extends NativeManager<RawWsClient, ManagerEvents> {
  protected config: WebSocketConfig & Required<Tunables>;

  constructor(config: WebSocketConfig) {
    super();
    if (!config || typeof config.url !== 'string') {
      throw new TypeError('WebSocketManager: config.url must be a string');
    }
    this.config = { ...WS_DEFAULTS, ...config };
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
    const payload = message.payload === undefined ? '' : JSON.stringify(message.payload);
    const id = message.id === undefined ? '' : String(message.id);
    const timestamp = typeof message.timestamp === 'number' ? message.timestamp : NaN;
    if (this.client) return this.client.send(message.type, payload, id, timestamp);
    this.withClient((c) => c.send(message.type, payload, id, timestamp));
    return false;
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
    return this.events.has('message');
  }

  protected sink(): Partial<Sink> {
    return {
      message: (typeId: number, json: string) => this.deliver(typeId, () => JSON.parse(json)),
      raw: (text: string) => this.events.emit('message', JSON.parse(text) as WebSocketMessage),
      drop: (reason: number, count: number) =>
        this.events.emit('drop', { reason: DROP_REASONS[reason] ?? 'unknown', count }),
      close: (code: number, reason: string, wasClean: boolean) =>
        this.events.emit('close', { code, reason, wasClean }),
      webSocket: () => this.config.WebSocket,
    };
  }

  protected createClient(mod: RealtimeModule, handle: number): RawWsClient {
    const c = this.config;
    const protocols = Array.isArray(c.protocols) ? c.protocols.join(',') : (c.protocols ?? '');
    return new (mod._WsClient as unknown as new (h: number, cfg: object) => RawWsClient)(handle, {
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
  }
}

export type { RealtimeError };
