// Types of realtime-wasm/server (hand-written; the implementation is plain ESM in this folder).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The WebSocket subprotocol the server requires. */
export declare const SUBPROTOCOL: 'realtime.v1';

export interface Limits {
  /** Larger inbound messages get `rt:error` `too_large`; the connection stays. Default 65536. */
  maxMessageBytes: number;
  /** Larger frames close the connection with 1009 (ws will not buffer them). Default 16 × maxMessageBytes. */
  maxFrameBytes?: number;
  /** Channels one connection may have joined. Default 100. */
  maxChannels: number;
  /** Longest message / publication id. Default 128. */
  maxIdLength: number;
  /** Longest channel name. Default 256. */
  maxChannelLength: number;
  /** A WebSocket or SSE response with more unsent bytes is closed (1013) as a slow consumer. Default 8 MiB. */
  maxBufferedBytes: number;
  /** SSE comment heartbeat period. Default 15000. */
  sseHeartbeatMs: number;
  /** SSE `retry:` sent at the start of each stream. Default 1000. */
  sseRetryMs: number;
}
export declare const DEFAULT_LIMITS: Readonly<Limits>;

/** A message as received from a client (the envelope). */
export interface InboundMessage {
  type: string;
  payload?: unknown;
  id?: string;
  timestamp?: number;
  ack?: boolean;
  [key: string]: unknown;
}

export interface Client<Identity = unknown> {
  /** The connection id (random, per connection). */
  id: string;
  /** The HTTP upgrade request. */
  request: IncomingMessage;
  /** What authorize returned for the connection, when it returned an object. */
  identity: Identity | undefined;
  /** Sends `{ type, payload, id, timestamp }` to this connection. */
  send(type: string, payload?: unknown): void;
}

/**
 * Allows with `true` or an object (the connection's identity); refuses with anything else:
 * `'forbidden'` (or a thrown error whose `code` is `'forbidden'`) closes a connection with 4403,
 * anything else with 4401. For a join (`channel` set) any refusal is `rt:error` `forbidden`.
 */
export type Authorize<Identity = unknown> = (args: {
  request: IncomingMessage;
  channel: string | undefined;
}) => boolean | Identity | 'forbidden' | null | undefined | Promise<boolean | Identity | 'forbidden' | null | undefined>;

/** A stored publication (internal representation, as stores hand it to subscribers). */
export interface Publication {
  channel: string;
  epoch: string;
  offset: number;
  type: string;
  id: string;
  timestamp: number;
  /** The payload, already JSON text. */
  payloadJson: string;
}

/** A channel history's state at one instant, with the publications from an offset on. */
export interface HistorySnapshot {
  epoch: string;
  /** The oldest offset still kept (newest + 1 when none is kept). */
  oldest: number;
  /** The newest offset (0 when nothing was published in this epoch). */
  newest: number;
  publications: Publication[];
}

/** What createRealtimeServer needs of a store (memoryStore and redisStore implement it). */
export interface Store {
  readonly kind: string;
  readonly historySize: number;
  publish(
    channel: string,
    publication: { type: string; id: string; dedupe: boolean; timestamp: number; payloadJson: string },
  ): Promise<{ offset: number; epoch: string; duplicate: boolean }>;
  /** Resolves once every later publication of the channel reaches `listener`; returns the unsubscribe. */
  subscribe(channel: string, listener: (pub: Publication) => void): Promise<() => void>;
  /** Atomic snapshot; `from` = Infinity reads no publications. */
  history(channel: string, from: number): Promise<HistorySnapshot>;
  /** Runs `run` once per id across the whole system; the outcome is kept for the store's ttl. */
  once(id: string, run: () => unknown): Promise<{ reply: unknown } | { error: { code: 'server_error'; message: string } }>;
  close(): Promise<void>;
}

export interface MemoryStoreOptions {
  /** Publications kept per channel. Default 1000. */
  historySize?: number;
  /** How long (ms) message ids (with their reply) and publication ids are remembered. Default 600000. */
  ttl?: number;
}
export declare function memoryStore(options?: MemoryStoreOptions): Store;

export interface RedisStoreOptions extends MemoryStoreOptions {
  /** Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** How long a handler's claim on a message id lives without renewal (renewed every third of it). Default 5000. */
  leaseMs?: number;
  /** How often an instance waiting on another's lease looks for the outcome. Default 50. */
  pollMs?: number;
  /** Prefix of every key and pub/sub channel. Default `rt:`. */
  prefix?: string;
}
export declare function redisStore(options?: RedisStoreOptions): Store;

export interface RealtimeServerOptions<Identity = unknown> {
  /** Listen on this port (0 or absent: a free one) … */
  port?: number;
  /** … or attach to this HTTP server (upgrades on other paths are left to others). */
  server?: Server;
  host?: string;
  /** Default `/realtime`. */
  path?: string;
  /** Default `memoryStore()`. close() closes it. */
  store?: Store;
  /** Runs once per message id; its return value (JSON) is the ack's reply. */
  onMessage?: (message: InboundMessage, client: Client<Identity>) => unknown;
  /** A connection was accepted (after authorize): e.g. presence. */
  onConnection?: (client: Client<Identity>) => void;
  /** A connection closed. */
  onClose?: (client: Client<Identity>) => void;
  authorize?: Authorize<Identity>;
  limits?: Partial<Limits>;
  /** Where handler failures of unacknowledged messages are reported. Default console.error. */
  log?: (...args: unknown[]) => void;
}

export interface RealtimeServer {
  /** `ws://host:port/path` (undefined while a given server is not listening). */
  readonly url: string | undefined;
  readonly store: Store;
  /** Appends to the channel and fans out. With an `id`, idempotent: a repeat returns the first offset. */
  publish(channel: string, type: string, payload?: unknown, options?: { id?: string }): Promise<{ offset: number }>;
  /** An HTTP handler serving the channel as SSE (`id: <epoch>:<offset>`), resuming from Last-Event-ID. */
  sse(channel: string): (req: IncomingMessage, res: ServerResponse) => void;
  /** Closes connections (1001), SSE streams, the HTTP server when it made it, and the store. */
  close(): Promise<void>;
}

export declare function createRealtimeServer<Identity = unknown>(
  options?: RealtimeServerOptions<Identity>,
): Promise<RealtimeServer>;
