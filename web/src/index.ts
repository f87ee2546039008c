// The package's root export: the public API (DESIGN.md) and the types its users need. Internals
// (the hooks' stores, the connection registry, pool keys, timing constants) stay in their modules.
export { RealtimeError } from './errors.js';
export type { HostErrorCode, NativeErrorCode, RealtimeErrorCode } from './errors.js';
export { loadRuntime, liveHandles } from './runtime.js';
export type { ConnectionStats, LoadOptions, WebSocketConstructor } from './runtime.js';
export type { ConnectionOptions, ConnectionState, StateEvent, UrlSource, WarningEvent } from './native-manager.js';
export { runtimeInfo } from './runtime-info.js';
export type { HostInfo } from './runtime-info.js';
export type { RuntimeMode } from './worker/protocol.js';
export { WebSocketManager } from './websocket-manager.js';
export type { AckOptions, CloseEvent, DropEvent, ManagerEvents, WebSocketConfig, WebSocketMessage } from './websocket-manager.js';
export { Channel } from './channel.js';
export type { ChannelEvents, ChannelMeta, ChannelOptions, ChannelPosition, GapEvent } from './channel.js';
export { ServerSentEventsManager } from './sse-manager.js';
export type { EventSourceConstructor, SSEConfig, SSEEvent, SSEManagerEvents } from './sse-manager.js';
export { MessageBatcher, createFrameBatcher } from './message-batcher.js';
export type { BatchingConfig, BatchPriority } from './message-batcher.js';
export { MessageThrottler } from './message-throttler.js';
export { RealtimeEventBus, eventBus } from './event-bus.js';
export type { PublishedEvent, RealtimeEvent } from './event-bus.js';
export { selectRealtimeTechnology, technologies } from './select-technology.js';
export type {
  RealtimeRequirements,
  RealtimeTechnology,
  RealtimeTechnologyName,
} from './select-technology.js';
export { RealtimeConnectionPool, connectionPool } from './connection-pool.js';
export type {
  AcquireOptions,
  ConnectionPoolConfig,
  ConnectionType,
  PoolCloseReason,
  PoolEvents,
  PoolLease,
  RealtimeConnection,
} from './connection-pool.js';
export type { AuthEvent, PayloadCodec } from './websocket-manager.js';
export { SecureWebSocketManager } from './secure-websocket-manager.js';
export type { AuthConfig, SecureWebSocketConfig, TokenTransport } from './secure-websocket-manager.js';
export { EncryptedMessageHandler, PBKDF2_MIN_ITERATIONS } from './encrypted-message-handler.js';
export type { CipherOptions, EncryptionKeyInput, HandlerOptions, PassphraseKeyOptions } from './encrypted-message-handler.js';
