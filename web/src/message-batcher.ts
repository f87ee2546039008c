// MessageBatcher: the seed's API ("Message Batching and Throttling") over the native policy in
// src/message_batcher.h (`_MessageBatcher`). The messages stay here, in one array; C++ decides
// when a batch is due and reports the next deadline, for which this class arms one timer.
// Every flush takes everything pending, oldest first: nothing is lost or reordered.
import { RealtimeError, safeCall } from './errors.js';
import { NativeOwner, monotonicNow } from './native-owner.js';
import { nativeObject } from './runtime.js';
import type { NativeBatcher } from './wasm/realtime_wasm.mjs';

/**
 * - `'size'`: flush when `batchSize` messages are pending, or `flushInterval` ms after the oldest.
 * - `'time'`: flush `flushInterval` ms after the oldest pending message.
 * - `'adaptive'`: as `'size'`, and also as soon as the stream goes quiet (see message_batcher.h).
 * - `'frame'`: flush at most once per animation frame (requestAnimationFrame, else a 16 ms timer)
 *   with everything pending; `batchSize` is ignored and `flushInterval` (default 1000) is only
 *   the longest a message waits when no frame comes (a hidden tab pauses requestAnimationFrame).
 */
export type BatchPriority = 'size' | 'time' | 'adaptive' | 'frame';

export interface BatchingConfig {
  /** Messages per batch, an integer ≥ 1 (default 10; ignored by `'frame'`). */
  batchSize?: number;
  /** Milliseconds, ≥ 0 (default 100; for `'frame'`, the hidden-tab bound, default 1000). */
  flushInterval?: number;
  /** Default `'size'`. */
  priority?: BatchPriority;
}

/** The embind `_MessageBatcher` (emscripten/optimize_bindings.cpp). */
type RawBatcher = NativeBatcher;

// The names are passed to C++ as they are (src/message_batcher.h batch_priority_from_name);
// known here too so that a bad one throws at construction, before the module may have loaded.
const PRIORITIES: ReadonlySet<string> = new Set<BatchPriority>(['size', 'time', 'adaptive', 'frame']);
/** Frame period used where there is no requestAnimationFrame (Node, workers). */
export const FRAME_FALLBACK_MS = 16;

function requestFrame(cb: () => void): () => void {
  const g = globalThis as {
    requestAnimationFrame?: (cb: () => void) => number;
    cancelAnimationFrame?: (id: number) => void;
  };
  if (typeof g.requestAnimationFrame === 'function') {
    const id = g.requestAnimationFrame(cb);
    return () => g.cancelAnimationFrame?.(id);
  }
  const timer = setTimeout(cb, FRAME_FALLBACK_MS);
  return () => clearTimeout(timer);
}

function validate(input: BatchingConfig | undefined): Required<BatchingConfig> {
  const config = input ?? {};
  const priority = config.priority ?? 'size';
  if (!PRIORITIES.has(priority)) {
    throw new RealtimeError('invalid_config', `MessageBatcher: unknown priority '${priority}'`);
  }
  const batchSize = config.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 0x7fffffff) {
    throw new RealtimeError('invalid_config', 'MessageBatcher: batchSize must be an integer ≥ 1');
  }
  const flushInterval = config.flushInterval ?? (priority === 'frame' ? 1000 : 100);
  if (typeof flushInterval !== 'number' || !Number.isFinite(flushInterval) || flushInterval < 0) {
    throw new RealtimeError('invalid_config', 'MessageBatcher: flushInterval must be a finite number ≥ 0');
  }
  return { batchSize, flushInterval, priority };
}

export class MessageBatcher<T = unknown> {
  readonly config: Readonly<Required<BatchingConfig>>;
  private queue: T[] = [];
  /** Arrival times of the queued messages, kept only until the native batcher exists. */
  private times: number[] = [];
  private readonly native: NativeOwner<RawBatcher>;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Infinity;
  private cancelFrame: (() => void) | null = null;
  private destroyed = false;
  /** Batches taken but not yet handed over: onFlush runs one batch at a time, in order. */
  private outbox: T[][] = [];
  private delivering = false;

  constructor(config: BatchingConfig, private readonly onFlush: (messages: T[]) => void) {
    if (typeof onFlush !== 'function') throw new TypeError('MessageBatcher: onFlush must be a function');
    this.config = Object.freeze(validate(config));
    const { batchSize, flushInterval, priority } = this.config;
    this.native = new NativeOwner<RawBatcher>(
      this,
      (mod) =>
        nativeObject(mod, '_MessageBatcher', batchSize, flushInterval, priority),
      (n) => this.replay(n),
    );
  }

  /** Queues a message (kept as is). After destroy(), it is handed to onFlush at once. */
  add(message: T): void {
    if (this.destroyed) return this.deliver([[message]]);
    this.queue.push(message);
    const now = monotonicNow();
    const n = this.native.get();  // may create it, replaying earlier adds (and calling onFlush)
    if (this.destroyed) return;  // onFlush destroyed the batcher: destroy() delivered this one too
    if (!n) {
      this.times.push(now);  // decided once the runtime has loaded (see replay)
    } else if (n.add(now)) {
      return this.flush();
    } else if (this.timer === null || this.config.priority === 'adaptive') {
      this.arm(n);  // only 'adaptive' deadlines move within a batch
    }
    if (this.config.priority === 'frame' && !this.cancelFrame) {
      this.cancelFrame = requestFrame(this.onFrame);
    }
  }

  /** Hands every pending message to onFlush now (nothing when none is pending). */
  flush(): void {
    this.clearTimer();
    this.clearFrame();
    if (this.queue.length === 0) return;
    const messages = this.queue;
    this.queue = [];
    this.times = [];
    this.native.current()?.flush();
    this.deliver([messages]);
  }

  /** Flushes the rest and frees the native batcher; later add() calls are delivered at once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;  // first: an add() from inside onFlush is passed through, not queued
    this.clearTimer();
    this.clearFrame();
    const rest = this.queue;
    this.queue = [];
    this.times = [];
    this.native.dispose();
    if (rest.length > 0) this.deliver([rest]);
  }

  /** Messages waiting for the next flush. */
  get pending(): number {
    return this.queue.length;
  }

  // ---- internals ----

  /** The native batcher was just created: decide on the messages queued before, in order. */
  private replay(n: RawBatcher): void {
    const times = this.times;
    this.times = [];
    const batches: T[][] = [];
    for (const t of times) if (n.add(t)) batches.push(this.queue.splice(0, n.flush()));
    this.arm(n);
    this.deliver(batches);  // all queued before onFlush runs: a destroy() inside goes after them
  }

  private deliver(batches: T[][]): void {
    this.outbox.push(...batches);
    if (this.delivering) return;  // a flush from inside onFlush: after the current batch
    this.delivering = true;
    try {
      for (let i = 0; i < this.outbox.length; i++) safeCall(this.onFlush, this.outbox[i]!);
    } finally {
      this.outbox = [];
      this.delivering = false;
    }
  }

  /** One timer, at the native deadline. A later deadline keeps the earlier timer (it re-arms). */
  private arm(n: RawBatcher): void {
    const deadline = n.nextDeadline();
    if (Number.isNaN(deadline)) return this.clearTimer();
    if (this.timer !== null && this.timerAt <= deadline) return;
    this.clearTimer();
    this.timerAt = deadline;
    this.timer = setTimeout(this.onTimer, Math.max(0, deadline - monotonicNow()));
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const n = this.native.current();
    if (!n) return;
    if (n.onTimer(monotonicNow())) this.flush();
    else this.arm(n);
  };

  private readonly onFrame = (): void => {
    this.cancelFrame = null;
    this.flush();
  };

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private clearFrame(): void {
    const cancel = this.cancelFrame;
    this.cancelFrame = null;
    cancel?.();
  }
}

/**
 * A batcher for UI state: at most one onFlush per animation frame, with every message received
 * since the last one, in order (see `'frame'`). React hooks use it to commit once per frame.
 */
export function createFrameBatcher<T = unknown>(
  onFlush: (messages: T[]) => void,
  options: { maxWait?: number } = {},
): MessageBatcher<T> {
  return new MessageBatcher<T>({ priority: 'frame', flushInterval: options.maxWait ?? 1000 }, onFlush);
}
