// MessageBatcher: the seed's API ("Message Batching and Throttling"). The messages stay in one
// array; the policy below decides when a batch is due and arms one timer for the next deadline.
// Every flush takes everything pending, oldest first: nothing is lost or reordered.
//
// TypeScript, like the throttler and the event bus: the batcher holds no I/O, and as an embind
// object it cost one or two calls into wasm per message (add, and nextDeadline for 'adaptive'),
// the module 0.7 kB gzip, and a queue of arrival times replayed once the module had loaded
// (docs/size.md, "The batcher").
//
// 'adaptive' (see BatchPriority below) counts the stream as quiet after no message for
// clamp(2 × average inter-arrival gap, flushInterval / 10, flushInterval). The average is an
// exponential moving average (weight 1/4) of the gaps between adds, each capped at flushInterval,
// kept across flushes: at a high rate the end of a burst goes out after a short wait instead of a
// full flushInterval, and at a low rate it behaves like 'size'. An add also flushes when the
// deadline has already passed (a late timer in a throttled tab).
import { RealtimeError, safeCall } from './errors.js';
import { delayUntil, monotonicNow } from './native-owner.js';

/**
 * - `'size'`: flush when `batchSize` messages are pending, or `flushInterval` ms after the oldest.
 * - `'time'`: flush `flushInterval` ms after the oldest pending message.
 * - `'adaptive'`: as `'size'`, and also as soon as the stream goes quiet (the top of the file says when).
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

const PRIORITIES: ReadonlySet<string> = new Set<BatchPriority>(['size', 'time', 'adaptive', 'frame']);
/** Frame period used where there is no requestAnimationFrame (Node, workers). */
export const FRAME_FALLBACK_MS = 16;
const GAP_WEIGHT = 0.25;  // weight of the newest gap in the moving average
const QUIET_FACTOR = 2;  // quiet = this many average gaps without a message
const MIN_QUIET_FRACTION = 0.1;  // the quiet wait is never below flushInterval / 10

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
  private oldestAt = 0;  // arrival of the oldest pending message
  private lastAt = NaN;  // 'adaptive': arrival of the latest message, across flushes
  private avgGap = NaN;  // 'adaptive': moving average of the inter-arrival gaps
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
  }

  /** Queues a message (kept as is). After destroy(), it is handed to onFlush at once. */
  add(message: T): void {
    if (this.destroyed) return this.deliver([[message]]);
    const { batchSize, priority } = this.config;
    const queue = this.queue;
    // The clock is read for the first message of a batch, and for every one by 'adaptive'.
    if (priority === 'adaptive') {
      if (this.adaptiveAdd(message)) return this.flush();
    } else {
      if (queue.length === 0) this.oldestAt = monotonicNow();
      queue.push(message);
      if (priority === 'size' && queue.length >= batchSize) return this.flush();
    }
    if (this.timer === null || priority === 'adaptive') this.arm();  // only 'adaptive' deadlines move
    if (priority === 'frame' && !this.cancelFrame) this.cancelFrame = requestFrame(this.onFrame);
  }

  /** Hands every pending message to onFlush now (nothing when none is pending). */
  flush(): void {
    this.clearTimer();
    this.clearFrame();
    if (this.queue.length === 0) return;
    const messages = this.queue;
    this.queue = [];
    this.deliver([messages]);
  }

  /** Flushes the rest; later add() calls are delivered at once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;  // first: an add() from inside onFlush is passed through, not queued
    this.flush();
  }

  /** Messages waiting for the next flush. */
  get pending(): number {
    return this.queue.length;
  }

  // ---- internals ----

  /** 'adaptive': queues the message, updates the rate; whether to flush now. */
  private adaptiveAdd(message: T): boolean {
    const now = monotonicNow();
    const before = this.deadline();
    if (!Number.isNaN(this.lastAt)) {
      const gap = Math.min(Math.max(now - this.lastAt, 0), this.config.flushInterval);
      this.avgGap = Number.isNaN(this.avgGap) ? gap : this.avgGap + GAP_WEIGHT * (gap - this.avgGap);
    }
    this.lastAt = now;
    if (this.queue.length === 0) this.oldestAt = now;
    this.queue.push(message);
    // Full, or the deadline passed before this message (a late timer) or with it.
    return this.queue.length >= this.config.batchSize || now >= before || now >= this.deadline();
  }

  /** 'adaptive': how long without a message counts as quiet (flushInterval until two arrived). */
  private quietWait(): number {
    const interval = this.config.flushInterval;
    if (Number.isNaN(this.avgGap)) return interval;
    return Math.min(Math.max(QUIET_FACTOR * this.avgGap, interval * MIN_QUIET_FRACTION), interval);
  }

  /** When the pending batch is due (NaN when nothing is pending). */
  private deadline(): number {
    if (this.queue.length === 0) return NaN;
    const due = this.oldestAt + this.config.flushInterval;
    return this.config.priority === 'adaptive' ? Math.min(due, this.lastAt + this.quietWait()) : due;
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

  /** One timer, at the deadline. A later deadline keeps the earlier timer (it re-arms). */
  private arm(): void {
    const deadline = this.deadline();
    if (Number.isNaN(deadline)) return this.clearTimer();
    if (this.timer !== null && this.timerAt <= deadline) return;
    this.clearTimer();
    this.timerAt = deadline;
    this.timer = setTimeout(this.onTimer, delayUntil(deadline));
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    if (monotonicNow() >= this.deadline()) this.flush();  // false for NaN: nothing pending
    else this.arm();  // early, or the deadline moved
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
