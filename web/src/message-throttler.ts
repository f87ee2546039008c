// MessageThrottler: the seed's API ("Message Batching and Throttling"): at most one run per
// `delay` ms, on the leading edge (the first call runs at once) and on the trailing edge (the end
// of the window), where the trailing run gets the LATEST arguments. Plain TypeScript: it holds no
// I/O, and in C++ every call crossed embind (docs/size.md, "placement").
//
// Fixes over the seed (kept from the C++ version): the first call always runs (the seed compared
// against lastExecution = 0, so with a small clock the first call could be deferred); the
// trailing call always carries the latest arguments and the window end never moves (the seed
// re-created the closure per message and re-armed its timer on every call); a call arriving
// after the window ended while a trailing call is still pending (a late timer) runs now with its
// own, newest, arguments and drops the pending one.
import { RealtimeError, safeCall } from './errors.js';
import { delayUntil, monotonicNow } from './native-owner.js';

type Call = { fn: (...args: unknown[]) => void; args: unknown[] };

export class MessageThrottler {
  /** When the last run started (the window is [lastRun, lastRun + delay)); null before any. */
  private lastRun: number | null = null;
  /** The trailing call: the latest wrapper called inside the window, with its latest arguments. */
  private pending: Call | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(readonly delay: number) {
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw new RealtimeError('invalid_config', 'MessageThrottler: delay must be a finite number ≥ 0');
    }
  }

  /**
   * Wraps `fn`. Every wrapper made by one throttler shares its window (as in the seed, where the
   * throttler is made once and `throttle()` may be called per message): a call outside the window
   * runs now; calls inside it collapse into one run at the window's end with the arguments of
   * the last call.
   */
  throttle<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    if (typeof fn !== 'function') throw new TypeError('MessageThrottler.throttle: fn must be a function');
    const call = fn as unknown as Call['fn'];
    return (...args: A) => {
      if (this.disposed) return;
      const now = monotonicNow();
      if (this.lastRun === null || now >= this.lastRun + this.delay) {
        this.lastRun = now;
        this.pending = null;  // a late timer's trailing call is superseded by this newer one
        this.clearTimer();
        invoke({ fn: call, args });
      } else {
        this.pending = { fn: call, args };
        if (this.timer === null) this.arm(this.lastRun + this.delay);
      }
    };
  }

  /** Drops the pending trailing call, if any. */
  cancel(): void {
    if (this.disposed) return;
    this.pending = null;
    this.clearTimer();
  }

  /** Runs the pending trailing call now, if any (it starts a new window). */
  flush(): void {
    if (this.disposed) return;
    const call = this.pending;
    this.clearTimer();
    if (!call) return;
    this.pending = null;
    this.lastRun = monotonicNow();
    invoke(call);
  }

  /** True while a trailing call waits for the end of the window. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** Drops the pending call; wrapped functions then do nothing. */
  dispose(): void {
    this.disposed = true;
    this.pending = null;
    this.clearTimer();
  }

  // ---- internals ----

  private arm(deadline: number): void {
    this.timer = setTimeout(this.onTimer, delayUntil(deadline));
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.disposed || !this.pending) return;
    const now = monotonicNow();
    const deadline = this.lastRun! + this.delay;
    if (now < deadline) return this.arm(deadline);  // early timer: wait for the real end
    const call = this.pending;
    this.pending = null;
    this.lastRun = now;
    invoke(call);
  };

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
  }
}

function invoke(call: Call): void {
  safeCall((args: unknown[]) => call.fn(...args), call.args);
}
