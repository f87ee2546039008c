// Loads the WebAssembly module once, and routes its events (integers and strings from
// emscripten/library_realtime.js) to the object that owns each native client (its "sink").
import type { NativeErrorCode } from './errc-names.js';
import createRealtimeModule, {
  type NativeObjects,
  type NativeWsStats,
  type RealtimeModule,
} from './wasm/realtime_wasm.mjs';

export type { RealtimeModule } from './wasm/realtime_wasm.mjs';

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

export interface ConnectionStats extends NativeWsStats {
  /** Round-trip time of the last ping → pong, in ms; -1 until measured. */
  rtt: number;
  /** Acknowledged sends not settled yet (sendWithAck). */
  acksPending: number;
  /** Channel publications received twice (a replay overlapping live delivery) and dropped. */
  duplicates: number;
}

/** Receives the events of one native client. */
export interface Sink {
  /** State names as C++ spells them (ws_state_name): never a copied table. */
  state(newState: string, oldState: string): void;
  error(code: number, message: string, status?: number): void;
  message?(typeId: number, payloadJson: string): void;
  raw?(text: string): void;
  /** The reason as C++ names it (drop_reason_name): 'queue_full', 'ack_store_full'. */
  drop?(reason: string, count: number): void;
  close?(code: number, reason: string, wasClean: boolean): void;
  sse?(typeId: number, type: string, data: string, id: string, isJson: number): void;
  sseRequest?(): Record<string, unknown>;
  ack?(id: string, code: number, detail: string): void;
  publication?(channelId: number, type: string, payload: string, id: string, offset: number, timestamp: number): void;
  gap?(channelId: number, fromEpoch: string, fromOffset: number, epoch: string): void;
  /** A dynamic URL is wanted for attempt `seq` (answered with the client's provideUrl). */
  url?(seq: number): void;
  /** The credentials step wants a token for request `seq` (answered with provideToken or
   * tokenFailed). */
  token?(seq: number): void;
  /** The credentials step's progress: phase 'refreshing' | 'refreshed' | 'waiting', reason
   * 'connect' | 'expiring' | 'expired' | 'rejected'; expiresAt (epoch ms, NaN: no `exp`). */
  auth?(phase: string, reason: string, expiresAt: number): void;
  webSocket?(): WebSocketConstructor | undefined;
  [extra: string]: unknown;
}

export interface LoadOptions {
  /** The .wasm bytes, when you host them yourself. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Where the .wasm is, relative to the glue (as emscripten's locateFile). */
  locateFile?: (path: string, prefix: string) => string;
}

const sinks = new Map<number, Sink>();
let nextHandle = 1;
let dispatchDepth = 0;
let fallbackWebSocket: WebSocketConstructor | undefined;
let loaded: RealtimeModule | null = null;
let loading: Promise<RealtimeModule> | null = null;

export function register(sink: Sink): number {
  const handle = nextHandle++;
  sinks.set(handle, sink);
  return handle;
}

export function unregister(handle: number): void {
  sinks.delete(handle);
}

/** Deletes a native object, deferred while native code is calling out (deleting it then would
 * free it under its own stack frames). */
export function deleteLater(obj: { delete(): void }): void {
  if (dispatchDepth > 0) queueMicrotask(() => obj.delete());
  else obj.delete();
}

type NativeFunction = (...args: unknown[]) => unknown;
const methodTables = new Map<string, Array<[string, NativeFunction]>>();

/**
 * Creates the native object `name` (emscripten/object_binding.h): `_Name_new(...args)` gives its
 * handle, and each `_Name_<method>(handle, …)` the module exports becomes a method of the object
 * returned, `delete()` included. Once deleted, a call throws instead of touching freed memory.
 */
export function nativeObject<K extends keyof NativeObjects>(
  mod: RealtimeModule, name: K, ...args: NativeObjects[K]['args']): NativeObjects[K]['object'] {
  const exports = mod as unknown as Record<string, NativeFunction>;
  const prefix = `${name}_`;
  let table = methodTables.get(name);
  if (!table) {
    table = Object.keys(exports)
      .filter((key) => key.startsWith(prefix) && key !== `${prefix}new`)
      .map((key) => [key.slice(prefix.length), exports[key]!]);
    methodTables.set(name, table);
  }
  let self = exports[`${prefix}new`]!(...args) as number;
  const obj: Record<string, NativeFunction> = {};
  for (const [method, fn] of table) {
    obj[method] = (...a: unknown[]) => {
      if (self === 0) throw new Error(`realtime-wasm: ${name}.${method} after delete()`);
      return fn(self, ...a);
    };
  }
  const free = obj.delete!;
  obj.delete = () => {
    free();
    self = 0;
  };
  return obj as unknown as NativeObjects[K]['object'];
}

// Each route calls the method of the same name on the handle's sink.
function route(name: string) {
  return (handle: number, ...args: unknown[]): unknown => {
    const method = sinks.get(handle)?.[name] as ((...a: unknown[]) => unknown) | undefined;
    if (!method) return undefined;
    dispatchDepth++;
    try {
      return method(...args);
    } finally {
      dispatchDepth--;
    }
  };
}

// The object emscripten/library_realtime.js calls as Module.rtHost.
const rtHost: Record<string, unknown> = {
  // The per-message routes have a fixed arity: a generic `(...args) => method(...args)` costs an
  // array and a spread call for every message.
  message(handle: number, typeId: number, payloadJson: string): void {
    const sink = sinks.get(handle);
    if (!sink?.message) return;
    dispatchDepth++;
    try {
      sink.message(typeId, payloadJson);
    } finally {
      dispatchDepth--;
    }
  },
  raw(handle: number, text: string): void {
    const sink = sinks.get(handle);
    if (!sink?.raw) return;
    dispatchDepth++;
    try {
      sink.raw(text);
    } finally {
      dispatchDepth--;
    }
  },
  publication(handle: number, channelId: number, type: string, payload: string, id: string, offset: number, timestamp: number): void {
    const sink = sinks.get(handle);
    if (!sink?.publication) return;
    dispatchDepth++;
    try {
      sink.publication(channelId, type, payload, id, offset, timestamp);
    } finally {
      dispatchDepth--;
    }
  },
  sse(handle: number, typeId: number, type: string, data: string, id: string, isJson: number): void {
    const sink = sinks.get(handle);
    if (!sink?.sse) return;
    dispatchDepth++;
    try {
      sink.sse(typeId, type, data, id, isJson);
    } finally {
      dispatchDepth--;
    }
  },
  state: route('state'),
  error(handle: number, code: number, message: string, status?: number): unknown {
    // The transport could not create a socket because there is no WebSocket implementation at
    // all: the session reports that as invalid_url (socket id 0); say what is missing instead.
    if (noWebSocket.delete(handle) && errcName(code) === 'invalid_url') {
      code = errcCode('no_websocket') ?? code;
      message = NO_WEBSOCKET_MESSAGE;
    }
    return routeError(handle, code, message, status);
  },
  drop: route('drop'),
  close: route('close'),
  sseRequest: route('sseRequest'),
  url: route('url'),
  token: route('token'),
  auth: route('auth'),
  ack: route('ack'),
  gap: route('gap'),
  webSocketFor(handle: number): WebSocketConstructor | undefined {
    const ctor = sinks.get(handle)?.webSocket?.() ?? defaultWebSocket();
    if (ctor) noWebSocket.delete(handle);
    else reportNoWebSocket(handle);
    return ctor;
  },
};

const routeError = route('error');
// Handles whose last socket could not be created for want of a WebSocket implementation.
const noWebSocket = new Set<number>();
const NO_WEBSOCKET_MESSAGE =
  'no WebSocket implementation: this runtime has no global WebSocket (Node before 22). ' +
  'Run `npm install ws` (realtime-wasm uses it when it is installed), or pass a constructor as ' +
  "config `WebSocket` (e.g. `import { WebSocket } from 'ws'`)";

/** Marks `handle`'s socket as failing for want of a WebSocket implementation (a constructor
 * handed to the transport that found none calls this before throwing). */
export function reportNoWebSocket(handle: number): void {
  noWebSocket.add(handle);
}

export function defaultWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? fallbackWebSocket;
}

// Node, including Node with DOM globals (jsdom / happy-dom test environments, where there is a
// `window` but fetch() cannot read a file: URL). Asked at load time, not at import.
const runningOnNode = (): boolean =>
  typeof process === 'object' && typeof process.versions?.node === 'string';

// Bundlers must not try to resolve Node-only modules for the browser: hide the specifiers, and
// tell each bundler to leave the import alone (webpack 5 would otherwise warn "Critical
// dependency: the request of a dependency is an expression" in every app build).
const dynamicImport = (specifier: string): Promise<Record<string, unknown>> =>
  import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);

async function nodeOptions(): Promise<Record<string, unknown>> {
  if (!defaultWebSocket()) {
    try {
      const ws = await dynamicImport('ws');
      fallbackWebSocket = (ws.WebSocket ?? (ws.default as Record<string, unknown>)?.WebSocket ??
        ws.default) as WebSocketConstructor;
    } catch {
      // No global WebSocket and no `ws`: WebSocketManager needs config.WebSocket then (connect()
      // rejects with `no_websocket` otherwise).
    }
  }
  const fs = await dynamicImport('node:fs/promises');
  const readFile = fs.readFile as (url: URL) => Promise<Uint8Array>;
  return { wasmBinary: await readFile(new URL('./wasm/realtime_wasm.wasm', import.meta.url)) };
}

/** Loads the runtime (idempotent). Constructors never need it first; `connect()` awaits it. */
export function loadRuntime(options: LoadOptions = {}): Promise<RealtimeModule> {
  if (!loading) {
    loading = (async () => {
      const args: Record<string, unknown> = { rtHost, ...options };
      if (runningOnNode() && !options.wasmBinary) Object.assign(args, await nodeOptions());
      const mod = await createRealtimeModule(args);
      loaded = mod;
      return mod;
    })();
    loading.catch(() => {
      loading = null;  // a failed load may be retried
    });
  }
  return loading;
}

/** The module if it has loaded, else null (never starts a load). */
export function runtimeIfLoaded(): RealtimeModule | null {
  return loaded;
}

/** Number of live native objects, sockets and timers (for leak tests and diagnostics). */
export function liveHandles(): number {
  return loaded ? loaded._liveHandles() : 0;
}

export type RuntimeNames = Pick<RealtimeModule, '_errcName'>;
// runtime 'worker' | 'shared': the module runs in a host, which sent the names of its codes.
let names: RuntimeNames | null = null;

/** @internal The C++ names of the error codes, from a runtime host
 * (web/src/worker/remote.ts), for a tab that does not load the module. */
export function setRuntimeNames(n: RuntimeNames): void {
  names = n;
}

export function errcName(code: number): NativeErrorCode | 'unknown' {
  const n = loaded ?? names;
  return n ? (n._errcName(code) as NativeErrorCode | 'unknown') : 'unknown';
}

let errcCodes: Map<string, number> | null = null;
/** The number of a C++ Errc by name, read from the module's own table (never copied here). */
export function errcCode(name: NativeErrorCode): number | undefined {
  const from = loaded ?? names;
  if (!from) return undefined;
  if (!errcCodes) {
    errcCodes = new Map();
    for (let code = 0; code < 256; code++) {
      const n = from._errcName(code);
      if (n !== 'unknown') errcCodes.set(n, code);
    }
  }
  return errcCodes.get(name);
}
