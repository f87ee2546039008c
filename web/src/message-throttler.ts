// MessageThrottler: the seed's API ("Message Batching and Throttling") over the native policy in
// src/message_throttler.h (`_MessageThrottler`): at most one run per `delay` ms, on the leading
// edge (the first call runs at once) and on the trailing edge (the end of the window), where the
// trailing run gets the LATEST arguments. C++ decides when; the function and its arguments stay
// here, and this class arms the one timer for the window's end.
import { RealtimeError, safeCall } from './errors.js';
import { NativeOwner, monotonicNow } from './native-owner.js';

/** The embind `_MessageThrottler` (emscripten/optimize_bindings.cpp). */
interface RawThrottler {
  /** NaN: run now; else the deadline of the trailing run. */
  call(now: number): number;
  onTimer(now: number): boolean;
  flush(now: number): boolean;
  cancel(): boolean;
  hasPending(): boolean;
  nextDeadline(): number;
  delete(): void;
}

type Call = { fn: (...args: unknown[]) => void; args: unknown[] };

export class MessageThrottler {
  private readonly native: NativeOwner<RawThrottler>;
  /** The trailing call: the latest wrapper called inside the window, with its latest arguments. */
  private pending: Call | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly delay: number) {
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw new RealtimeError('invalid_config', 'MessageThrottler: delay must be a finite number ≥ 0');
    }
    this.native = new NativeOwner<RawThrottler>(
      this,
      (mod) => new (mod._MessageThrottler as new (delay: number) => RawThrottler)(delay),
    );
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
      const now = monotonicNow();
      this.native.run((n) => {
        const deadline = n.call(now);
        if (Number.isNaN(deadline)) {
          this.pending = null;  // a late timer's trailing call is superseded by this newer one
          this.clearTimer();
          invoke({ fn: call, args });
        } else {
          this.pending = { fn: call, args };
          if (this.timer === null) this.arm(deadline);
        }
      });
    };
  }

  /** Drops the pending trailing call, if any. */
  cancel(): void {
    this.native.run((n) => {
      n.cancel();
      this.pending = null;
      this.clearTimer();
    });
  }

  /** Runs the pending trailing call now, if any (it starts a new window). */
  flush(): void {
    const now = monotonicNow();
    this.native.run((n) => {
      const call = this.pending;
      this.pending = null;
      this.clearTimer();
      if (n.flush(now) && call) invoke(call);
    });
  }

  /** True while a trailing call waits for the end of the window. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** Drops the pending call and frees the native throttler; wrapped functions then do nothing. */
  dispose(): void {
    this.pending = null;
    this.clearTimer();
    this.native.dispose();
  }

  // ---- internals ----

  private arm(deadline: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(0, deadline - monotonicNow()));
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const n = this.native.current();
    if (!n) return;
    if (n.onTimer(monotonicNow())) {
      const call = this.pending;
      this.pending = null;
      if (call) invoke(call);
      return;
    }
    const deadline = n.nextDeadline();  // early timer: wait for the real end of the window
    if (!Number.isNaN(deadline)) this.arm(deadline);
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
