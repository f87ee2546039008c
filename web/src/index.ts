export { RealtimeError } from './errors.js';
export { loadRuntime, liveHandles } from './runtime.js';
export type { ConnectionStats, LoadOptions, WebSocketConstructor } from './runtime.js';
export type { ConnectionState, StateEvent } from './native-manager.js';
export { WebSocketManager, WS_DEFAULTS } from './websocket-manager.js';
export type { CloseEvent, DropEvent, ManagerEvents, WebSocketConfig, WebSocketMessage } from './websocket-manager.js';
export { ServerSentEventsManager, SSE_DEFAULTS } from './sse-manager.js';
export type { EventSourceConstructor, SSEConfig, SSEEvent, SSEManagerEvents } from './sse-manager.js';
