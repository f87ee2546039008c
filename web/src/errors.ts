import type { NativeErrorCode } from './errc-names.js';

export type { NativeErrorCode } from './errc-names.js';

/** The codes the TypeScript layer itself reports (what only JS can know or do). */
export type HostErrorCode =
  | 'aborted'  // sendWithAck's AbortSignal fired
  | 'closed'  // connect() pending when the connection closed without an error
  | 'disposed'  // the manager was disposed
  | 'load_failed'  // the WebAssembly module could not be loaded
  | 'not_loaded'
  | 'not_initialized'
  | 'encrypt_failed'
  | 'encode_failed'  // a codec's encode() threw
  | 'decode_failed'  // a codec's decode() threw
  | 'key_exhausted'
  | 'transform_failed'
  | 'unsupported'  // e.g. no WebCrypto outside a secure context
  | 'unknown';  // a number the native table does not know (never expected)

/** Every `RealtimeError.code`: the native core's (src/errc.cpp) and the TypeScript layer's. */
export type RealtimeErrorCode = NativeErrorCode | HostErrorCode;

/** Error payload of every manager's `'error'` event, and the rejection reason of `connect()`. */
export class RealtimeError extends Error {
  /** Stable machine-readable code: 'not_json', 'too_large', 'gave_up', 'http_status', … */
  readonly code: RealtimeErrorCode;
  /** HTTP status, when the error is about an HTTP response. */
  readonly status?: number;

  constructor(code: RealtimeErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'RealtimeError';
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** Calls a user callback; an exception in it is reported, never thrown into the runtime. */
export function safeCall<A, B = undefined>(fn: (arg: A, extra: B) => void, arg: A, extra?: B): void {
  try {
    fn(arg, extra as B);
  } catch (err) {
    console.error('realtime-wasm: a listener threw', err);
  }
}
