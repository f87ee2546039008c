// ServerSentEventsManager: the seed's public API over the native SseClient
// (emscripten/sse_client.cpp). Two transports:
//  - 'fetch' (default when `headers`, `method` or `body` are given, and wherever there is no
//    global EventSource): the response bytes go to the C++ WHATWG parser; it can send headers
//    (Authorization), POST a body, and sends Last-Event-ID as a header on reconnect.
//  - 'eventsource': the browser's EventSource parses; any event name can be subscribed.
import { type RealtimeError, safeCall } from './errors.js';
import {
  type BaseEvents,
  type ConnectionOptions,
  type UrlSource,
  NativeManager,
  checkUrl,
  remoteSpec,
} from './native-manager.js';
import { type RealtimeModule, type Sink, nativeObject, runtimeIfLoaded } from './runtime.js';
import type { NativeSseClient } from './wasm/realtime_wasm.mjs';

export type EventSourceConstructor = new (
  url: string,
  init?: { withCredentials?: boolean },
) => EventSource;

export interface SSEConfig extends ConnectionOptions {
  /** Request headers (fetch transport only: EventSource cannot send headers). */
  headers?: Record<string, string>;
  withCredentials?: boolean;
  /** 'GET' (default) or 'POST' with `body` (fetch transport only). */
  method?: 'GET' | 'POST';
  body?: string;
  /** Base reconnect delay in ms, doubled per attempt; a `retry:` field replaces it (default 1000). */
  reconnectInterval?: number;
  maxReconnectInterval?: number;
  reconnectJitter?: boolean;
  /**
   * Bound on one event's data (default 1 MiB). Fetch transport: a longer line or event ends the
   * stream with an 'error' (stream_too_large). EventSource transport: the event is dropped with
   * that 'error' and the stream keeps serving (the browser has already parsed it).
   */
  maxEventBytes?: number;
  /** JSON data nested deeper than this is dropped with an 'error' (too_deep) (default 128). */
  maxDepth?: number;
  /** Default: 'fetch' when headers/method/body are given or there is no EventSource. */
  transport?: 'fetch' | 'eventsource';
  /** An EventSource constructor (e.g. the `eventsource` package) for the eventsource transport. */
  EventSource?: EventSourceConstructor;
  /** A fetch implementation for the fetch transport (default: the global fetch). */
  fetch?: typeof fetch;
}

export interface SSEEvent<T = unknown> {
  id?: string;
  event?: string;
  /** JSON-parsed when the data is valid JSON, else the raw string. */
  data: T;
}

export interface SSEManagerEvents extends BaseEvents {
  /** Every event, whatever its name. */
  event: SSEEvent;
}

type RawSseClient = NativeSseClient;

/** The data as subscribers get it. C++ passes `mayBeJson` when the data starts like a JSON value
 * and nests within maxDepth (emscripten/sse_client.cpp, `json_candidate`); JSON.parse has the last
 * word, and data it rejects stays the string. */
function eventData(data: string, mayBeJson: number): unknown {
  if (!mayBeJson) return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function chooseTransport(config: SSEConfig): 'fetch' | 'eventsource' {
  if (config.transport) return config.transport;
  if (config.headers || config.method || config.body !== undefined) return 'fetch';
  const hasEventSource = config.EventSource ?? (globalThis as { EventSource?: unknown }).EventSource;
  return hasEventSource ? 'eventsource' : 'fetch';
}

export class ServerSentEventsManager extends NativeManager<RawSseClient, SSEManagerEvents> {
  /** As given: the native client reads it, with the C++ defaults for what is left out. */
  protected config: SSEConfig;
  readonly transport: 'fetch' | 'eventsource';

  constructor(config: SSEConfig) {
    super();
    checkUrl('ServerSentEventsManager', config?.url);
    this.config = { ...config };
    this.transport = chooseTransport(config);
    if (this.transport === 'eventsource' && (config.headers || config.method || config.body)) {
      throw new TypeError(
        "ServerSentEventsManager: EventSource cannot send headers or a body; use transport 'fetch'",
      );
    }
  }

  /** Closes the stream; no reconnect follows. */
  disconnect(): void {
    this.ifClient((c) => c.disconnect());
  }

  /** Calls cb with `{ id, event, data }` for every event of this name ('message' when unnamed). */
  subscribe<T = unknown>(eventType: string, callback: (event: SSEEvent<T>) => void): () => void {
    const off = this.addSubscriber(eventType, callback);
    const mod = runtimeIfLoaded();
    if (this.transport === 'eventsource' && this.client && mod) {
      mod.rtSseListen(this.handle, eventType);
    }
    return off;
  }

  /** The last event id seen (sent as Last-Event-ID on reconnect). */
  get lastEventId(): string {
    return this.client ? this.client.lastEventId() : '';
  }

  get stats(): { eventsReceived: number; reconnects: number } | null {
    return this.client
      ? { eventsReceived: this.client.eventsReceived(), reconnects: this.client.reconnects() }
      : null;
  }

  protected override closedReadyState(): number {
    return 2;
  }

  protected override wantsWildcard(): boolean {
    return this.events.has('event');
  }

  protected override remoteSpec() {
    return remoteSpec('sse', this.config, { ...this.config, transport: this.transport }, this.config.fetch ?? this.config.EventSource);
  }

  protected urlSource(): UrlSource {
    return this.config.url;
  }

  protected sink(): Partial<Sink> {
    return {
      // Runs for every event: no thunk per event. Subscribers of the type share one object; the
      // 'event' listeners get their own.
      sse: (typeId: number, type: string, data: string, id: string, mayBeJson: number) => {
        const callbacks = typeId !== 0 ? this.subscribersOf(typeId) : undefined;
        if (callbacks) {
          const event = { id, event: type, data: eventData(data, mayBeJson) } as never;
          for (const cb of callbacks) safeCall(cb, event);
        }
        if (this.events.has('event')) {
          this.events.emit('event', { id, event: type, data: eventData(data, mayBeJson) });
        }
      },
      sseRequest: () => ({
        transport: this.transport,
        headers: this.config.headers,
        method: this.config.method,
        body: this.config.body,
        withCredentials: this.config.withCredentials,
        fetch: this.config.fetch,
        EventSource:
          this.config.EventSource ?? (globalThis as { EventSource?: unknown }).EventSource,
        types: this.subscribedTypes(),
      }),
    };
  }

  protected createClient(mod: RealtimeModule, handle: number): RawSseClient {
    // The config object as given (emscripten/sse_client.cpp reads it; what is left out keeps
    // the C++ default).
    return nativeObject(mod, '_SseClient', handle, this.config);
  }
}

export type { RealtimeError };
