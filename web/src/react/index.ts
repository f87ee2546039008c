// realtime-wasm/react: the seed's hooks and provider. React is a peer dependency.
export {
  useChannel,
  useLiveDataFeed,
  useOptimizedRealtime,
  useServerSentEvents,
  useWebSocket,
  useWebSocketSubscription,
} from './hooks.js';
export type { HookOptions, UseSSEReturn, UseWebSocketReturn } from './hooks.js';
export type { SSEConfig, SSEEvent } from '../sse-manager.js';
export type { WebSocketConfig, WebSocketMessage } from '../websocket-manager.js';
export { RealtimeProvider, useConnectionState, useRealtimeContext } from './context.js';
export type { RealtimeContextValue, RealtimeProviderProps } from './context.js';
export type { BatchingConfig } from '../message-batcher.js';
export type { ChannelMeta, ChannelOptions, ChannelPosition } from '../channel.js';
export type { AckOptions } from '../websocket-manager.js';
export type { HookConnectionState } from '../connection-store.js';
export type { ChannelSnapshot, FeedSnapshot, SubscriptionSnapshot } from '../derived-stores.js';
export type { OptimizedRealtimeConfig } from './recipes.js';
