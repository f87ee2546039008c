// The whole embind surface of the module (build/wasm/realtime_wasm.mjs, copied to dist/wasm/),
// declared once: every web/src file takes the native types from here (emscripten/*_bindings.cpp,
// ws_client.cpp, sse_client.cpp, host_support.cpp are what it declares). Names starting with `_`
// are not the public API. tests/types/embind-surface.ts is its compile-only test.

/** Every embind object: freed with delete() (web/src/native-owner.ts owns that). */
export interface NativeObject {
  delete(): void;
}

/** What both native clients (_WsClient, _SseClient) have. */
export interface NativeClient extends NativeObject {
  connect(): void;
  provideUrl(seq: number, url: string): void;
  urlFailed(seq: number, message: string): void;
  subscribeType(type: string): number;
  unsubscribeType(type: string): void;
  setWildcard(on: boolean): void;
  readyState(): number;
}

export interface NativeChannelPosition {
  epoch: string;
  offset: number;
}

export interface NativeWsStats {
  messagesReceived: number;
  messagesSent: number;
  errors: number;
  dropped: number;
  reconnects: number;
  queueDepth: number;
  rtt: number;
  acksPending: number;
  duplicates: number;
}

/** `_WsClient` (emscripten/ws_client.cpp over src/ws_session.h). */
export interface NativeWsClient extends NativeClient {
  disconnect(code: number, reason: string): void;
  send(type: string, payloadJson: string, id: string, timestamp: number): boolean;
  /** The id of the pending message, or (a number) the Errc that refused it at once. */
  sendWithAck(type: string, payloadJson: string, id: string, timestamp: number, timeoutMs: number): string | number;
  withdrawAck(id: string): boolean;
  joinChannel(name: string, since: NativeChannelPosition | null): number;
  leaveChannel(name: string): void;
  channelPosition(name: string): NativeChannelPosition | null;
  setPreamble(type: string, payloadJson: string): void;
  /** The credentials step (SecureWebSocketManager): answers to the sink's `token(seq)`. */
  provideToken(seq: number, token: string): void;
  tokenFailed(seq: number, message: string): void;
  /** Epoch ms of the next token refresh, NaN when none is scheduled. */
  refreshScheduledAt(): number;
  state(): string;
  stats(): NativeWsStats;
}

/** `_SseClient` (emscripten/sse_client.cpp over src/sse_session.h). */
export interface NativeSseClient extends NativeClient {
  disconnect(): void;
  lastEventId(): string;
  reconnects(): number;
  eventsReceived(): number;
}

/** `_ConnectionPool` (emscripten/pool_bindings.cpp over src/connection_pool.h). */
export interface NativeConnectionPool extends NativeObject {
  acquire(id: string, nowMs: number): { created: boolean; overCapacity: boolean; closed: string[] };
  release(id: string, nowMs: number): { error: number; closed: string[] };
  remove(id: string): number;
  onTimer(nowMs: number): string[];
  destroy(): string[];
  /** When the health check is due, NaN while the pool is empty. */
  nextDeadline(): number;
  size(): number;
  contains(id: string): boolean;
  users(id: string): number;
}

export interface NativePoolConfig {
  maxConnections: number;
  idleTimeout: number;
  healthCheckInterval: number;
}

/** `_decodeJwt`'s result (src/jwt.h): error '' when valid; a claim null when absent. */
export interface NativeJwtClaims {
  error: '' | 'malformed_token';
  reason: string;
  expMs: number | null;
  iatMs: number | null;
  nbfMs: number | null;
}

/**
 * The native objects (emscripten/object_binding.h): the module exports `_Name_new(...args)`, which
 * gives a handle, and `_Name_<method>(handle, ...)` for each method and `delete`;
 * web/src/runtime.ts `nativeObject(mod, name, ...args)` makes the object.
 */
export interface NativeObjects {
  _WsClient: { args: [handle: number, config: object]; object: NativeWsClient };
  _SseClient: { args: [handle: number, config: object]; object: NativeSseClient };
  _ConnectionPool: {
    args: [maxConnections: number, idleTimeout: number, healthCheckInterval: number];
    object: NativeConnectionPool;
  };
}

/** The module (the native objects' functions are reached through NativeObjects). */
export interface RealtimeModule {
  /** The options with the C++ defaults for what is left out; when invalid, what they must be. */
  _poolConfig(options: object): NativePoolConfig | string;
  _liveHandles(): number;
  _heapBytes(): number;
  _errcName(code: number): string;
  /** The one JWT decoder and its strict base64url (hex), for tests/js/jwt.test.mjs. */
  _decodeJwt(token: string): NativeJwtClaims;
  _base64UrlDecodeHex(text: string): string | null;
  /** The EventSource transport listens to one more event name (library_realtime.js). */
  rtSseListen(handle: number, type: string): void;
}

declare const createRealtimeModule: (moduleArg?: Record<string, unknown>) => Promise<RealtimeModule>;
export default createRealtimeModule;
