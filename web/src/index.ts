export { RealtimeError } from './errors.js';
export { loadRuntime, liveHandles } from './runtime.js';
export type { ConnectionStats, LoadOptions, WebSocketConstructor } from './runtime.js';
export { WebSocketManager, WS_DEFAULTS } from './websocket-manager.js';
export type {
  ConnectionState,
  DropEvent,
  ManagerEvents,
  StateEvent,
  WebSocketConfig,
  WebSocketMessage,
} from './websocket-manager.js';
