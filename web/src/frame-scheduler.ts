// FlushScheduler: coalesces many "there is something to deliver" signals into one flush per
// animation frame (requestAnimationFrame when present, else a ~16 ms timer), or at most one per
// `interval` ms. It carries no data: the owner keeps the queue and drains it in `flush`, so
// nothing is lost and order is the owner's. (Stand-in until MessageBatcher lands; see README.)

/** Frame length used where there is no requestAnimationFrame (Node, workers). */
export const FRAME_MS = 16;
/** A hidden tab never runs animation frames: flush on a timer by then (timers still run). */
const FRAME_FALLBACK_MS = 250;

export type FlushTiming = 'frame' | { interval: number };

type Raf = (cb: () => void) => number;
type Caf = (id: number) => void;

const now = (): number =>
  typeof performance === 'object' && typeof performance.now === 'function'
    ? performance.now()
    : Date.now();

export class FlushScheduler {
  private cancelPending: (() => void) | null = null;
  private lastFlush = -Infinity;

  constructor(
    private readonly flush: () => void,
    private readonly timing: FlushTiming = 'frame',
  ) {}

  /** Asks for a flush; a flush already scheduled absorbs the request. */
  schedule(): void {
    if (this.cancelPending) return;
    const g = globalThis as { requestAnimationFrame?: Raf; cancelAnimationFrame?: Caf };
    if (this.timing === 'frame' && typeof g.requestAnimationFrame === 'function') {
      const raf = g.requestAnimationFrame;
      const caf = g.cancelAnimationFrame;
      const frame = raf(() => this.run());
      const fallback = setTimeout(() => this.run(), FRAME_FALLBACK_MS);
      this.cancelPending = () => {
        caf?.(frame);
        clearTimeout(fallback);
      };
      return;
    }
    // Timer: at most one flush per interval, and no wait after a quiet period.
    this.armTimer(this.timing === 'frame' ? FRAME_MS : this.timing.interval);
  }

  /** Flushes now (e.g. a batch is full), cancelling the scheduled one. */
  flushNow(): void {
    this.cancel();
    this.run();
  }

  /** Drops the scheduled flush, if any. */
  cancel(): void {
    this.cancelPending?.();
    this.cancelPending = null;
  }

  get scheduled(): boolean {
    return this.cancelPending !== null;
  }

  private armTimer(interval: number): void {
    const wait = this.lastFlush + interval - now();
    if (wait <= 0 && this.cancelPending) return this.run();
    // Node starts a timer from its loop's cached clock, so it may fire a little early: re-check.
    const timer = setTimeout(() => this.armTimer(interval), Math.max(0, Math.ceil(wait)));
    this.cancelPending = () => clearTimeout(timer);
  }

  private run(): void {
    this.cancel();
    this.lastFlush = now();
    this.flush();
  }
}
