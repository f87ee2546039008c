// The seed's hooks, each only useSyncExternalStore over a store from web/src/connection-store.ts:
// the store holds the pool reference, the state mapping and the batching; a hook picks the store
// (one per config key) and keeps the caller's callbacks in refs, so an inline handler never
// resubscribes.
import { useInsertionEffect, useMemo, useRef, useSyncExternalStore } from 'react';

import { type ConnectionConfigs, connectionKey } from '../connection-pool.js';
import type { ChannelMeta, ChannelOptions } from '../channel.js';
import {
  ConnectionStore,
  type DeliveryOptions,
  type HookConnectionState,
} from '../connection-store.js';
import {
  ChannelStore,
  type ChannelSnapshot,
  FeedStore,
  type FeedSnapshot,
  SubscriptionStore,
  type SubscriptionSnapshot,
} from '../derived-stores.js';
import { type OptimizedRealtimeConfig, optimizedDelivery, sseData } from './recipes.js';
import type { SSEConfig, SSEEvent, ServerSentEventsManager } from '../sse-manager.js';
import type { AckOptions, WebSocketConfig, WebSocketManager, WebSocketMessage } from '../websocket-manager.js';
import { useProvided } from './context.js';

/** Per-hook options (not part of the connection config). */
export interface HookOptions {
  /** Deliver messages in one batch per animation frame: at most one commit per frame. */
  frameAligned?: boolean;
}


/** What useWebSocket returns; `T` types `lastMessage.payload` (the last message of any type). */
export interface UseWebSocketReturn<T = unknown> {
  /** Sends now when open (true), else queues it (false). */
  sendMessage: <P>(message: WebSocketMessage<P>) => boolean;
  /** Resolves with the server's reply once it acknowledged the message (realtime.v1); see
   * WebSocketManager.sendWithAck. */
  sendWithAck: <R = unknown, P = unknown>(message: WebSocketMessage<P>, options?: AckOptions) => Promise<R>;
  subscribe: <P = unknown>(type: string, callback: (data: P) => void) => () => void;
  connectionState: HookConnectionState;
  lastMessage: WebSocketMessage<T> | null;
  isConnected: boolean;
  /** The shared WebSocketManager (stats, state…) once acquired, else null. Shared: do not
   * disconnect() it, unmount instead. */
  manager: WebSocketManager | null;
}

/** What useServerSentEvents returns; `T` types `lastEvent.data` (the last event of any name). */
export interface UseSSEReturn<T = unknown> {
  subscribe: <P = unknown>(eventType: string, callback: (event: SSEEvent<P>) => void) => () => void;
  connectionState: HookConnectionState;
  lastEvent: SSEEvent<T> | null;
  isConnected: boolean;
  /** The shared ServerSentEventsManager once acquired, else null. */
  manager: ServerSentEventsManager | null;
}

function useLatest<T>(value: T) {
  const ref = useRef(value);
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}

function useStore<S>(store: {
  subscribe: (l: () => void) => () => void;
  getSnapshot: () => S;
  getServerSnapshot: () => S;
}): S {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
}

/** One connection store per pool, connection key and delivery mode (the first config wins). */
function useConnectionStore<K extends 'ws' | 'sse'>(
  type: K, config: ConnectionConfigs[K], delivery: DeliveryOptions,
): ConnectionStore<K> {
  const { pool, runtime } = useProvided();
  if (runtime && !config.runtime) config = { ...config, runtime };
  const key = connectionKey(type, config);
  const { frameAligned, batching } = delivery;
  return useMemo(() => new ConnectionStore(type, config, { pool, ...delivery }),
    // Keyed by the connection key and the delivery fields, not by the (often inline) objects.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [pool, type, key, frameAligned, batching?.batchSize, batching?.flushInterval, batching?.priority]);
}

export function useWebSocket<T = unknown>(
  config: WebSocketConfig, options: HookOptions = {},
): UseWebSocketReturn<T> {
  const store = useConnectionStore('ws', config, options);
  const snap = useStore(store);
  return useMemo(() => ({
    sendMessage: store.send,
    sendWithAck: store.sendWithAck,
    subscribe: store.listen,
    connectionState: snap.connectionState,
    lastMessage: snap.lastMessage as WebSocketMessage<T> | null,
    isConnected: snap.isConnected,
    manager: store.connection as WebSocketManager | null,
  }), [store, snap]);
}

export function useWebSocketSubscription<T>(
  config: WebSocketConfig, eventType: string, onMessage?: (data: T) => void,
  options: HookOptions = {},
): SubscriptionSnapshot<T> {
  const connection = useConnectionStore('ws', config, options);
  const onMessageRef = useLatest(onMessage);
  const store = useMemo(
    () => new SubscriptionStore<T, 'ws'>(connection, eventType, (d) => onMessageRef.current?.(d)),
    [connection, eventType, onMessageRef]);
  return useStore(store);
}

/**
 * The last payload of `type` on a channel of a realtime.v1 server (the connection needs
 * `realtimeProtocol: true`), its position and the connection state. The channel resumes without
 * gaps across reconnects; `options.since` resumes after a saved position.
 */
export function useChannel<T = unknown>(
  config: WebSocketConfig, channel: string, type: string,
  onMessage?: (data: T, meta: ChannelMeta) => void, options: HookOptions & ChannelOptions = {},
): ChannelSnapshot<T> {
  const connection = useConnectionStore('ws', config, options);
  const onMessageRef = useLatest(onMessage);
  const since = options.since;
  const store = useMemo(
    () => new ChannelStore<T>(connection, channel, type, { since },
      (d, meta) => onMessageRef.current?.(d, meta)),
    // A saved position is read when the channel is joined; a later one changes nothing.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [connection, channel, type, onMessageRef]);
  return useStore(store);
}

export function useServerSentEvents<T = unknown>(
  config: SSEConfig, options: HookOptions = {},
): UseSSEReturn<T> {
  const store = useConnectionStore('sse', config, options);
  const snap = useStore(store);
  return useMemo(() => ({
    subscribe: store.listen,
    connectionState: snap.connectionState,
    lastEvent: (snap.lastMessage?.payload ?? null) as SSEEvent<T> | null,
    isConnected: snap.isConnected,
    manager: store.connection as ServerSentEventsManager | null,
  }), [store, snap]);
}

export function useLiveDataFeed<T>(
  config: SSEConfig, eventType = 'update', transformer?: (data: unknown) => T,
  options: HookOptions = {},
): FeedSnapshot<T> {
  const connection = useConnectionStore('sse', config, options);
  const transformerRef = useLatest(transformer);
  const store = useMemo(() => new FeedStore<T, 'sse'>(connection, eventType, {
    map: sseData((d) => (transformerRef.current ? transformerRef.current(d) : (d as T))),
    maxItems: 100,
  }), [connection, eventType, transformerRef]);
  return useStore(store);
}

export function useOptimizedRealtime<T>(config: OptimizedRealtimeConfig): readonly T[] {
  const delivery = optimizedDelivery(config);
  const connection = useConnectionStore('ws', config.wsConfig, delivery);
  const store = useMemo(
    () => new FeedStore<T, 'ws'>(connection, config.eventType, { maxItems: config.maxItems ?? 1000 }),
    [connection, config.eventType, config.maxItems]);
  return useStore(store).data;
}
