// The one lifetime owner of the TS layer: owns the native client of a manager (a public TS class):
// creates it once the runtime has loaded (starting the load on first use, never at import), queues
// work until then, and frees it on dispose(). Also the layer's one clock (monotonicNow).
//
// There is no FinalizationRegistry: a native client's events reach its manager through the
// runtime's sink table (runtime.ts), so a manager whose client exists is always reachable, the way
// a browser keeps an open WebSocket with listeners alive; a registry for it could never fire. A
// manager is freed by dispose() (the hooks and the pool call it).
import { type RealtimeModule, deleteLater, loadRuntime, runtimeIfLoaded } from './runtime.js';

export interface Deletable {
  delete(): void;
}

export class NativeOwner<N extends Deletable> {
  private obj: N | null = null;
  private ops: Array<(native: N) => void> = [];
  private loading = false;
  private draining = false;
  private disposed = false;

  /**
   * @param make creates the native object (the runtime is loaded)
   * @param onCreate called right after creation, before the queued ops run
   * @param onLoadError a failed load drops the queued work and calls it (a later use retries the
   *   load)
   * @param loader asked once, at first use: a promise of another way to make the object (a
   *   client in a worker host, web/src/worker/remote.ts), or null for `make` on the module
   */
  constructor(
    private readonly make: (mod: RealtimeModule) => N,
    private readonly onCreate: (native: N) => void,
    private readonly onLoadError: (err: unknown) => void,
    private readonly loader?: () => Promise<() => N> | null,
  ) {}

  private source: Promise<() => N> | null | undefined;

  /** The native object, created now if the runtime has loaded; else null (and a load starts). */
  get(): N | null {
    if (this.obj || this.disposed) return this.obj;
    if (this.source === undefined) this.source = this.loader?.() ?? null;
    const mod = this.source ? null : runtimeIfLoaded();
    if (mod) {
      this.create(() => this.make(mod));
      return this.obj;
    }
    this.startLoad();
    return null;
  }

  /** The native object if it exists (never creates it, never starts a load). */
  current(): N | null {
    return this.obj;
  }

  /**
   * Runs `op` now when the native object exists, else once it does (queued ops keep order). The
   * queue is not bounded here on purpose: it only lives while the module loads, and what it holds
   * (e.g. a manager's sends) is replayed in order into the native object, whose own policy (the C++
   * send queue: messageQueueSize, 'drop' events) then decides exactly as for a later call.
   */
  run(op: (native: N) => void): void {
    if (this.disposed) return;
    const native = this.ops.length === 0 && !this.draining ? this.get() : null;
    if (native) op(native);
    else this.ops.push(op);
  }

  /** Queues `op` only when work is already waiting for the native object (else drops it). */
  runIfQueued(op: (native: N) => void): void {
    if (this.obj) op(this.obj);
    else if (this.ops.length > 0) this.ops.push(op);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the native object and drops queued work. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ops = [];
    if (this.obj) {
      deleteLater(this.obj);
      this.obj = null;
    }
  }

  private startLoad(): void {
    if (this.loading) return;
    this.loading = true;
    (this.source ?? loadRuntime().then((mod) => () => this.make(mod))).then(
      (factory) => {
        this.loading = false;
        if (!this.disposed && !this.obj) this.create(factory);
      },
      (err: unknown) => {
        this.loading = false;
        this.source = undefined;  // the next use asks again
        this.ops = [];
        this.onLoadError(err);
      },
    );
  }

  private create(factory: () => N): void {
    const native = factory();
    this.obj = native;
    this.onCreate(native);
    // Work queued before the load, in order; ops queued meanwhile go to the end of the line.
    this.draining = true;
    try {
      for (let i = 0; i < this.ops.length && this.obj; i++) {
        try {
          this.ops[i]!(native);
        } catch (err) {
          console.error('realtime-wasm: a callback threw', err);
        }
      }
    } finally {
      this.draining = false;
      this.ops = [];
    }
  }
}

/** The one clock of the TS layer (batcher, throttler, pool): monotonic milliseconds. */
export const monotonicNow: () => number =
  typeof performance === 'object' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();

/** The longest delay a JS timer takes: 2^31 - 1 ms (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_DELAY = 0x7fffffff;

/**
 * The setTimeout delay for `deadline` (monotonicNow ms): at most MAX_TIMER_DELAY, so a deadline
 * further away gets an early timer, on which its owner re-arms (the batcher, the throttler and the
 * pool all do), instead of a timer that fires at once, again and again.
 */
export function delayUntil(deadline: number): number {
  return Math.min(Math.max(0, deadline - monotonicNow()), MAX_TIMER_DELAY);
}
