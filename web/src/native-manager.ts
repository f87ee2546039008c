// What WebSocketManager and ServerSentEventsManager share: the native client's lifetime (a
// NativeOwner: created once the runtime has loaded, deleted on dispose), the connect()
// promise, the state and error events, and subscriptions by type (C++ filters by type id, so
// unsubscribed types cost no decoding in JS).
import { Emitter } from './emitter.js';
import { RealtimeError, safeCall } from './errors.js';
import { NativeOwner } from './native-owner.js';
import type { NativeClient } from './wasm/realtime_wasm.mjs';
import { type RealtimeModule, type Sink, errcName, loadRuntime, register, unregister } from './runtime.js';
import type { RemoteSpec } from './worker/remote.js';
import { loadRemote, remoteEnv } from './worker/load.js';
import type { RuntimeMode } from './worker/protocol.js';

/** The C++ WsState's names (src/ws_session.cpp ws_state_name), as the native client passes them. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

export interface StateEvent {
  newState: ConnectionState;
  oldState: ConnectionState;
}

/** A URL, a failover list (the next one is tried when an attempt fails or the connection does
 * not stay up), or a function called before every attempt (fresh signed URLs). */
export type UrlSource = string | string[] | (() => string | Promise<string>);

/** The connection options both managers share (the behaviour is the C++ Connector's). */
export interface ConnectionOptions {
  url: UrlSource;
  /** Reconnect attempts before giving up; `Infinity` never gives up (seed default 5). */
  reconnectAttempts?: number;
  /** An attempt not open within this many ms is abandoned and counted ('error'
   * connect_timeout); 0 disables it (default 10000). */
  connectTimeout?: number;
  /** The attempt counter resets only after a connection stayed open this long (default 5000). */
  minUptime?: number;
  /** React to the page lifecycle: offline/online, visibility, freeze/resume, back/forward cache
   * (default true). */
  lifecycle?: boolean;
  /** Hold reconnect attempts while the page is hidden (default false). */
  pauseWhenHidden?: boolean;
  /** Where the module and the connection run: this page (default), a dedicated worker of this
   * tab, or one SharedWorker (or leader tab) for every tab of the origin (README "runtime"). */
  runtime?: RuntimeMode;
  /** runtime 'shared': managers with a function `url` and the same shareKey share one
   * connection (a function is otherwise this manager's own). */
  shareKey?: string;
}

/** The spec of a client that asks for runtime 'worker' | 'shared' (else null); `pinned`: an
 * option that cannot move into a worker (the client then stays in the page, with a warning). */
export function remoteSpec(kind: RemoteSpec['kind'], config: ConnectionOptions, native: Record<string, unknown>,
  pinned: unknown): RemoteSpec | null {
  const mode = config.runtime;
  return mode && mode !== 'page' ? { mode, kind, config: native, shareKey: config.shareKey, pinned } : null;
}

/** Throws the TypeError a constructor gives for a `url` that is none of the UrlSource forms. */
export function checkUrl(owner: string, url: unknown): void {
  const ok =
    typeof url === 'string' ||
    typeof url === 'function' ||
    (Array.isArray(url) && url.length > 0 && url.every((u) => typeof u === 'string'));
  if (!ok) {
    throw new TypeError(`${owner}: config.url must be a string, a non-empty array of strings or a function`);
  }
}

/** Something worked, but not as asked (e.g. runtime 'shared' fell back to 'page'). */
export interface WarningEvent {
  code: 'runtime_fallback';
  message: string;
}

export interface BaseEvents {
  state: StateEvent;
  error: RealtimeError;
  warning: WarningEvent;
}

/** The embind methods both native clients have (declared in wasm/realtime_wasm.d.mts). */
export type RawClient = NativeClient;

type Subscribers = { typeId: number; callbacks: Set<(value: never) => void> };

export abstract class NativeManager<Client extends RawClient, Events extends BaseEvents> {
  protected readonly events = new Emitter<Events>();
  protected handle = 0;
  private readonly native = new NativeOwner<Client>(
    (mod) => this.create(mod),
    (client) => this.bind(client),
    (err) => {
      this.fail(new RealtimeError('load_failed', `could not load the runtime: ${String(err)}`));
      this.rejectWaiters(this.lastError!);
    },
    () => this.remoteLoader(),
  );
  private readonly byType = new Map<string, Subscribers>();
  private readonly byTypeId = new Map<number, Subscribers>();
  private current: ConnectionState = 'closed';
  private lastError: RealtimeError | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: RealtimeError) => void }> = [];

  /** Creates the native client for `handle`. */
  protected abstract createClient(mod: RealtimeModule, handle: number): Client;
  /** Routes the client's events beyond state/error (message, drop, sse…). */
  protected abstract sink(): Partial<Sink>;
  /** The manager's `url` option. */
  protected abstract urlSource(): UrlSource;
  /** runtime 'worker' | 'shared': what the host needs (null: the client runs in this page). */
  protected remoteSpec(): RemoteSpec | null {
    return null;
  }
  /** Whether a wildcard listener is registered (every message, whatever its type). */
  protected wantsWildcard(): boolean {
    return false;
  }

  /** Opens the connection; resolves when open, rejects with a RealtimeError if it closes first. */
  connect(): Promise<void> {
    if (this.isDisposed) return Promise.reject(new RealtimeError('disposed', 'manager was disposed'));
    if (this.current === 'open') return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.withClient((c) => c.connect());
    return opened;
  }

  /** Listens to the manager's own events; returns the function that removes the listener. */
  on<K extends keyof Events>(event: K, callback: (value: Events[K]) => void): () => void {
    const off = this.events.on(event, callback);
    this.client?.setWildcard(this.wantsWildcard());
    return () => {
      off();
      this.client?.setWildcard(this.wantsWildcard());
    };
  }

  get readyState(): number {
    return this.client ? this.client.readyState() : this.closedReadyState();
  }
  get isConnected(): boolean {
    return this.current === 'open';
  }
  /** 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed' */
  get state(): ConnectionState {
    return this.current;
  }

  /** Disconnects and frees the native object. The manager cannot be used afterwards. */
  dispose(): void {
    if (this.isDisposed) return;
    this.disconnect();
    if (this.client) unregister(this.handle);
    this.native.dispose();
    this.rejectWaiters(new RealtimeError('disposed', 'manager was disposed'));
  }

  abstract disconnect(): void;

  // ---- for subclasses ----

  /** The native client, once the runtime has loaded and it was created. */
  protected get client(): Client | null {
    return this.native.current();
  }

  protected closedReadyState(): number {
    return 3;
  }

  /** Adds a callback for a type; returns the function that removes it. */
  protected addSubscriber<T>(type: string, callback: (value: T) => void): () => void {
    if (typeof type !== 'string') throw new TypeError('subscribe: type must be a string');
    let subs = this.byType.get(type);
    if (!subs) {
      subs = { typeId: 0, callbacks: new Set() };
      this.byType.set(type, subs);
      if (this.client) this.bindType(type, subs);
    }
    const cb = callback as (value: never) => void;
    subs.callbacks.add(cb);
    return () => {
      const current = this.byType.get(type);
      if (!current || !current.callbacks.delete(cb) || current.callbacks.size > 0) return;
      this.byType.delete(type);
      this.byTypeId.delete(current.typeId);
      this.client?.unsubscribeType(type);
    };
  }

  protected subscribedTypes(): string[] {
    return [...this.byType.keys()];
  }

  /** The callbacks subscribed under a type id, if any (for per-message paths: no closure). */
  protected subscribersOf(typeId: number): Set<(value: never) => void> | undefined {
    return this.byTypeId.get(typeId)?.callbacks;
  }

  protected hasSubscribers(type: string): boolean {
    return this.byType.has(type);
  }

  /** Calls the subscribers of `type` with `value` (for values decoded in JS, e.g. by a codec). */
  protected deliverToType(type: string, value: unknown): void {
    const subs = this.byType.get(type);
    if (!subs || this.isDisposed) return;
    for (const cb of subs.callbacks) safeCall(cb, value as never);
  }

  protected get isDisposed(): boolean {
    return this.native.isDisposed;
  }

  protected deliver(typeId: number, value: () => unknown): void {
    const subs = this.byTypeId.get(typeId);
    if (!subs) return;
    const v = value() as never;
    for (const cb of subs.callbacks) safeCall(cb, v);
  }

  /** Runs op on the native client now, or once the runtime has loaded (creating it). */
  protected withClient(op: (client: Client) => void): void {
    this.native.run(op);
  }

  /** Runs op on the native client if there is one, or after the ops already waiting for it. */
  protected ifClient(op: (client: Client) => void): void {
    this.native.runIfQueued(op);
  }

  protected fail(error: RealtimeError): void {
    this.lastError = error;
    this.events.emit('error', error as Events['error']);
  }

  protected makeError(code: number, message: string, status?: number): RealtimeError {
    return new RealtimeError(errcName(code), message, status && status > 0 ? status : undefined);
  }

  // ---- internals ----

  private create(mod: RealtimeModule): Client {
    this.registerSink();
    return this.createClient(mod, this.handle);
  }

  // The sink of this manager's client, registered under `this.handle`.
  private registerSink(): Sink {
    const sink = {
      state: (n: string, o: string) => this.onState(n as ConnectionState, o as ConnectionState),
      error: (code: number, message: string, status?: number) =>
        this.fail(this.makeError(code, message, status)),
      url: (seq: number) => this.resolveUrl(seq),
      ...this.sink(),
    } as Sink;
    this.handle = register(sink);
    return sink;
  }

  // The client in a worker host (web/src/worker/remote.ts, loaded only here, by URL: see
  // worker/load.ts); remote.ts emits the 'warning' and answers null where the page cannot run
  // one: the client then runs here. Null for runtime 'page'.
  private remoteLoader(): Promise<() => Client> | null {
    const spec = this.remoteSpec();
    if (!spec) return null;
    return loadRemote()
      .then((r) => r.openRemote(spec, (w) => this.events.emit('warning', w as Events['warning']), remoteEnv))
      .then((open) => {
        if (!open) return loadRuntime().then((mod) => () => this.create(mod));
        return () => open(this.registerSink()) as unknown as Client;
      });
  }

  // Before the ops queued until the load run.
  private bind(client: Client): void {
    for (const [type, subs] of this.byType) this.bindType(type, subs);
    client.setWildcard(this.wantsWildcard());
  }

  // A function `url`: called for each attempt; its answer (or failure) goes back to C++, which
  // ignores it when the attempt timed out meanwhile.
  private resolveUrl(seq: number): void {
    const source = this.urlSource() as () => string | Promise<string>;
    let answer: Promise<string>;
    try {
      answer = Promise.resolve(source());
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (url) => this.client?.provideUrl(seq, String(url)),
      (err: unknown) => this.client?.urlFailed(seq, err instanceof Error ? err.message : String(err)),
    );
  }

  private bindType(type: string, subs: Subscribers): void {
    subs.typeId = this.client!.subscribeType(type);
    this.byTypeId.set(subs.typeId, subs);
  }

  private onState(newState: ConnectionState, oldState: ConnectionState): void {
    this.current = newState;
    if (newState === 'open') {
      this.lastError = null;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    } else if (newState === 'closed') {
      this.rejectWaiters(this.lastError ?? new RealtimeError('closed', 'connection closed'));
    }
    this.events.emit('state', { newState, oldState } as Events['state']);
  }

  private rejectWaiters(error: RealtimeError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }
}
