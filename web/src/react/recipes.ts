// What each hook builds from its arguments (so the hooks carry no logic): the delivery options of
// useOptimizedRealtime's config, and the `data` of an SSE event.
import type { ConnectionConfigs } from '../connection-pool.js';
import type { DeliveryOptions } from '../connection-store.js';
import type { BatchingConfig } from '../message-batcher.js';

export interface OptimizedRealtimeConfig {
  wsConfig: ConnectionConfigs['ws'];
  eventType: string;
  /** Deliver in the batches of a MessageBatcher with this config (seed semantics). */
  batchingConfig?: BatchingConfig;
  /** Deliver at most every throttleDelay ms; unlike the seed, no message is dropped. */
  throttleDelay?: number;
  /** Deliver at most once per animation frame. */
  frameAligned?: boolean;
  /** Items kept, newest first (default 1000; the seed kept everything forever). */
  maxItems?: number;
}

/** The delivery options useOptimizedRealtime's config asks for. */
export function optimizedDelivery(config: OptimizedRealtimeConfig): DeliveryOptions {
  if (config.frameAligned) return { frameAligned: true };
  if (config.batchingConfig) return { batching: config.batchingConfig };
  // A lossless throttle: everything that arrived during the window, at its end.
  if (config.throttleDelay) return { batching: { priority: 'time', flushInterval: config.throttleDelay } };
  return {};
}

/** The `data` field of a Server-Sent Event (`{ id, event, data }`), through `transform`. */
export function sseData<T>(transform?: (data: unknown) => T): (event: unknown) => T {
  return (event) => {
    const data = (event as { data?: unknown } | null)?.data;
    return transform ? transform(data) : (data as T);
  };
}
