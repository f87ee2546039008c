/** Error payload of every manager's `'error'` event, and the rejection reason of `connect()`. */
export class RealtimeError extends Error {
  /** Stable machine-readable code: 'not_json', 'too_large', 'gave_up', 'http_status', … */
  readonly code: string;
  /** HTTP status, when the error is about an HTTP response. */
  readonly status?: number;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'RealtimeError';
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** Calls a user callback; an exception in it is reported, never thrown into the runtime. */
export function safeCall<A>(fn: (arg: A) => void, arg: A): void {
  try {
    fn(arg);
  } catch (err) {
    console.error('realtime-wasm: a listener threw', err);
  }
}
