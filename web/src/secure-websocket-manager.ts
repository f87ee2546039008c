// SecureWebSocketManager: a WebSocketManager whose every socket carries a fresh, valid token.
//
// The seed put the token in the URL once, at connect(): every reconnect reused it (expired or
// not), the token ended up in proxy and server access logs, `super.connect.call(this, config)`
// passed a config nobody read, `maxRetries` was never used, and the JWT was decoded with atob
// (base64, not base64url: it throws when the encoding holds '-' or '_', e.g. for a payload
// {"name":"Zoë"}, and decodes Latin-1 rather than UTF-8).
//
// Here:
// - The native transport calls a WebSocket constructor for EVERY socket it opens (first connect
//   and each reconnect). This class hands it a wrapper that injects the token current at that
//   moment — as a Sec-WebSocket-Protocol entry (default), in a first {type:'auth'} message, or
//   in the query string. When the token is expired (or was rejected), the wrapper returns a
//   placeholder socket that opens the real one only once a refresh has completed.
// - The JWT is decoded strictly (web/src/jwt.ts: the rules of the C++ src/jwt.h, strict
//   base64url); `exp` schedules a refresh `refreshThreshold` before expiry (an unref'd timer,
//   cleared on disconnect/dispose).
// - A close with 4001/4401 gets ONE refresh and immediate retry (the native session's
//   AuthRetryPolicy); a second rejection is an 'error' 'unauthorized' and the state 'closed'.
// - The token never appears in an error, a log line or an event.
import { RealtimeError } from './errors.js';
import { decodeJwt } from './jwt.js';
import {
  type RealtimeModule,
  type WebSocketConstructor,
  defaultWebSocket,
  loadRuntime,
  reportNoWebSocket,
} from './runtime.js';
import {
  type AuthEvent,
  type RawWsClient,
  type WebSocketConfig,
  WebSocketManager,
} from './websocket-manager.js';

export type TokenTransport = 'protocol' | 'message' | 'query';

export interface AuthConfig {
  /** Returns a JWT (compact serialization). Called at connect, before expiry, and after a 4001/4401. */
  tokenProvider: () => Promise<string>;
  /** Refresh this many ms before `exp` (default 60000). */
  refreshThreshold?: number;
  /** Retries of a failing tokenProvider call, with backoff, before the refresh fails (default 3). */
  maxRetries?: number;
  /**
   * How the token travels (default 'protocol'):
   * - 'protocol': Sec-WebSocket-Protocol entry `auth.<token>` next to your `protocols`
   *   (default ['realtime.v1']); the server must select one of YOUR protocols, never the token.
   * - 'message': a first `{type:'auth', payload:{token}}` envelope on every open, sent before any
   *   queued message; a refreshed token is also sent on the open connection.
   * - 'query': `?token=<token>` in the URL. Tokens in URLs end up in proxy and server logs and
   *   in browser history/devtools: use it only when the server can do nothing else.
   */
  transport?: TokenTransport;
  /** The query parameter for the 'query' transport (default 'token'). */
  queryParam?: string;
  /** The subprotocol prefix for the 'protocol' transport (default 'auth.'). */
  protocolPrefix?: string;
  /** A connection that stayed open this long earns its 4001/4401 retry back (default 10000 ms). */
  retryResetAfter?: number;
}

export interface SecureWebSocketConfig extends WebSocketConfig {
  auth: AuthConfig;
}

const DEFAULT_PROTOCOL = 'realtime.v1';
const MAX_TIMEOUT_MS = 2 ** 31 - 1;  // setTimeout fires at once for longer delays
// RFC 7230 tchar: what a Sec-WebSocket-Protocol value may contain.
const SUBPROTOCOL_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const JWT_LIKE = /[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g;  // not hostnames

type Timer = ReturnType<typeof setTimeout>;

/**
 * Stands in for a socket while a token refresh completes, then opens the real one and forwards
 * to it. It has what emscripten/library_realtime.js uses: on{open,message,close,error},
 * binaryType, readyState, send, close.
 */
class PendingSocket {
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  binaryType = 'arraybuffer';
  private real: WebSocket | null = null;
  private done = false;

  constructor(ready: Promise<() => WebSocket>) {
    ready.then(
      (open) => {
        if (this.done) return;
        try {
          this.attach(open());
        } catch {
          this.finish(1006, false);
        }
      },
      () => this.finish(1006, false),  // the refresh failed (reported as an 'error' already)
    );
  }

  get readyState(): number {
    if (this.real) return this.real.readyState;
    return this.done ? 3 : 0;
  }

  send(data: string): void {
    this.real?.send(data);
  }

  close(code?: number, reason?: string): void {
    if (this.real) {
      this.real.close(code, reason);
    } else if (!this.done) {
      this.done = true;
      queueMicrotask(() => this.onclose?.({ code: code ?? 1000, reason: reason ?? '', wasClean: true }));
    }
  }

  private attach(ws: WebSocket): void {
    this.real = ws;
    ws.binaryType = this.binaryType as BinaryType;
    ws.onopen = (e) => this.onopen?.(e);
    ws.onmessage = (e) => this.onmessage?.(e);
    ws.onclose = (e) => this.onclose?.(e);
    ws.onerror = (e) => this.onerror?.(e);
  }

  private finish(code: number, wasClean: boolean): void {
    if (this.done) return;
    this.done = true;
    this.onclose?.({ code, reason: '', wasClean });
  }
}

export class SecureWebSocketManager extends WebSocketManager {
  private readonly auth: Required<Omit<AuthConfig, 'tokenProvider'>> & Pick<AuthConfig, 'tokenProvider'>;
  private readonly baseConstructor: WebSocketConstructor | undefined;
  private readonly authedConstructor: WebSocketConstructor;
  private token: string | null = null;
  private expMs: number | null = null;
  private stale = false;  // rejected by the server (4001/4401): refresh before the next socket
  private refreshing: Promise<string> | null = null;
  private refreshTimer: Timer | null = null;
  private refreshAt: number | null = null;
  private active = false;  // between connect() and disconnect()/closed
  private readonly recentTokens: string[] = [];  // redacted from any error text

  constructor(config: SecureWebSocketConfig) {
    if (!config || !config.auth || typeof config.auth.tokenProvider !== 'function') {
      throw new TypeError('SecureWebSocketManager: config.auth.tokenProvider must be a function');
    }
    const transport = config.auth.transport ?? 'protocol';
    if (!['protocol', 'message', 'query'].includes(transport)) {
      throw new TypeError("SecureWebSocketManager: auth.transport is 'protocol', 'message' or 'query'");
    }
    const protocols =
      transport === 'protocol' && (config.protocols === undefined || config.protocols.length === 0)
        ? [DEFAULT_PROTOCOL]
        : config.protocols;
    super({ ...config, protocols });
    this.auth = {
      tokenProvider: config.auth.tokenProvider,
      refreshThreshold: config.auth.refreshThreshold ?? 60_000,
      maxRetries: config.auth.maxRetries ?? 3,
      transport,
      queryParam: config.auth.queryParam ?? 'token',
      protocolPrefix: config.auth.protocolPrefix ?? 'auth.',
      retryResetAfter: config.auth.retryResetAfter ?? 10_000,
    };
    this.baseConstructor = config.WebSocket;
    this.authedConstructor = this.makeConstructor();
    this.on('close', ({ code }) => {
      if (code === 4001 || code === 4401) this.stale = true;  // the retry socket waits for a refresh
    });
    this.on('state', ({ newState }) => {
      if (newState === 'closed') this.stop();
    });
  }

  /** Fetches a valid token if needed, then connects. Rejects with the token error if there is one. */
  override async connect(): Promise<void> {
    if (this.isDisposed) return super.connect();
    this.active = true;
    try {
      await loadRuntime();
      await this.validToken();
    } catch (err) {
      const error = this.authError(err);
      this.stop();
      this.fail(error);
      throw error;
    }
    if (!this.active) throw new RealtimeError('closed', 'disconnected before the connection opened');
    return super.connect();
  }

  override disconnect(): void {
    this.stop();
    super.disconnect();
  }

  override dispose(): void {
    this.stop();
    super.dispose();
  }

  /** When the next refresh is due (epoch ms), or null when none is scheduled (for diagnostics). */
  get refreshScheduledAt(): number | null {
    return this.refreshAt;
  }

  /** Transport the token uses. */
  get tokenTransport(): TokenTransport {
    return this.auth.transport;
  }

  // ---- the native side's hooks ----

  protected override socketConstructor(): WebSocketConstructor {
    return this.authedConstructor;
  }

  protected override nativeConfig(): Record<string, unknown> {
    return {
      ...super.nativeConfig(),
      authRetries: 1,  // the 4001/4401 policy (the C++ AuthRetryPolicy)
      authRetryResetMs: this.auth.retryResetAfter,
    };
  }

  protected override createClient(mod: RealtimeModule, handle: number): RawWsClient {
    const client = super.createClient(mod, handle);
    if (this.auth.transport === 'message' && this.token) client.setPreamble('auth', this.authPayload());
    return client;
  }

  // ---- token lifecycle ----

  private usable(): boolean {
    return this.token !== null && !this.stale && (this.expMs === null || Date.now() < this.expMs);
  }

  private refreshReason(): NonNullable<AuthEvent['reason']> {
    return this.token === null ? 'connect' : this.stale ? 'rejected' : 'expired';
  }

  private validToken(): Promise<string> {
    if (!this.usable()) return this.refresh(this.refreshReason());
    if (this.refreshTimer === null) this.schedule();  // reconnecting after a disconnect()
    return Promise.resolve(this.token!);
  }

  /** One refresh at a time: concurrent callers share it. */
  private refresh(reason: NonNullable<AuthEvent['reason']>): Promise<string> {
    if (!this.refreshing) {
      this.events.emit('auth', { phase: 'refreshing', reason });
      this.refreshing = this.fetchToken().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async fetchToken(): Promise<string> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.auth.maxRetries; attempt++) {
      if (attempt > 0) await this.backoff(attempt);
      let token: unknown;
      try {
        token = await this.auth.tokenProvider();
      } catch (err) {
        lastError = err;
        continue;
      }
      this.accept(token);
      return token as string;
    }
    throw new RealtimeError(
      'token_refresh_failed',
      `tokenProvider failed ${this.auth.maxRetries + 1} time(s): ${this.describe(lastError)}`,
    );
  }

  // Validates and installs a token; throws a RealtimeError that never contains it.
  private accept(token: unknown): void {
    if (typeof token !== 'string') {
      throw new RealtimeError('malformed_token', 'tokenProvider did not return a string');
    }
    const claims = decodeJwt(token);
    if (claims.error) {
      throw new RealtimeError(claims.error, `token from tokenProvider: ${claims.reason}`);
    }
    if (this.auth.transport === 'protocol' && !SUBPROTOCOL_TOKEN.test(token)) {
      // e.g. base64 '=' padding: decodable, but not allowed in Sec-WebSocket-Protocol.
      throw new RealtimeError(
        'malformed_token',
        "token from tokenProvider has characters a Sec-WebSocket-Protocol value cannot carry (JWTs are unpadded base64url); use transport 'message'",
      );
    }
    if (claims.expMs !== null && claims.expMs <= Date.now()) {
      throw new RealtimeError('token_expired', 'tokenProvider returned a token that is already expired');
    }
    this.token = token;
    this.recentTokens.push(token);
    if (this.recentTokens.length > 4) this.recentTokens.shift();
    this.expMs = claims.expMs;
    this.stale = false;
    this.events.emit('auth', { phase: 'refreshed', expiresAt: claims.expMs });
    if (this.auth.transport === 'message') {
      const payload = this.authPayload();
      this.ifClient((c) => {
        c.setPreamble('auth', payload);
        // The open connection learns the new token too (a server can extend the session).
        if (this.state === 'open') c.send('auth', payload, '', NaN);
      });
    }
    this.schedule();
  }

  private schedule(): void {
    this.clearTimer();
    if (!this.active || this.expMs === null) return;
    const now = Date.now();
    const left = this.expMs - now;
    // Refresh refreshThreshold before exp; a token living shorter than that, at half its
    // remaining life (not at once: that would call the provider in a loop).
    const delay = left > this.auth.refreshThreshold ? left - this.auth.refreshThreshold : Math.max(left / 2, 0);
    this.refreshAt = now + delay;
    this.arm(delay);
  }

  private arm(delay: number): void {
    const step = Math.min(delay, MAX_TIMEOUT_MS);
    const timer = setTimeout(() => {
      this.refreshTimer = null;
      if (!this.active) return;
      if (step < delay) return this.arm(delay - step);
      this.refresh('expiring').catch((err: unknown) => this.fail(this.authError(err)));
    }, step);
    (timer as { unref?: () => void }).unref?.();  // never keeps a Node process alive
    this.refreshTimer = timer;
  }

  private clearTimer(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    this.refreshAt = null;
  }

  private stop(): void {
    this.active = false;
    this.clearTimer();
  }

  private backoff(attempt: number): Promise<void> {
    const delay = Math.min(
      this.config.reconnectInterval * 2 ** (attempt - 1),
      this.config.maxReconnectInterval,
    );
    return new Promise((resolve) => {
      const t = setTimeout(resolve, delay);
      (t as { unref?: () => void }).unref?.();
    });
  }

  private authPayload(): string {
    return JSON.stringify({ token: this.token });
  }

  // ---- the constructor handed to the native transport ----

  private makeConstructor(): WebSocketConstructor {
    const open = (url: string, protocols: string | string[] | undefined, token: string): WebSocket => {
      const Base = this.baseConstructor ?? defaultWebSocket();
      if (!Base) {
        reportNoWebSocket(this.handle);
        throw new Error('no WebSocket constructor');
      }
      const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
      switch (this.auth.transport) {
        case 'protocol':
          return new Base(url, [...list, this.auth.protocolPrefix + token]);
        case 'query': {
          const u = new URL(url);
          u.searchParams.set(this.auth.queryParam, token);
          return list.length ? new Base(u.toString(), list) : new Base(u.toString());
        }
        default:
          return list.length ? new Base(url, list) : new Base(url);
      }
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    // `new` on a function that returns an object yields that object.
    const Authed = function (this: unknown, url: string, protocols?: string | string[]) {
      // Say so now, before asking for a token that no socket could carry.
      if (!(self.baseConstructor ?? defaultWebSocket())) {
        reportNoWebSocket(self.handle);
        throw new Error('no WebSocket constructor');
      }
      if (self.usable()) return open(url, protocols, self.token!);
      const reason = self.refreshReason();
      const ready = self.refresh(reason).then(
        (token) => () => open(url, protocols, token),
        (err: unknown) => {
          self.fail(self.authError(err));
          throw err;
        },
      );
      self.events.emit('auth', { phase: 'waiting', reason });
      return new PendingSocket(ready) as unknown as WebSocket;
    };
    return Authed as unknown as WebSocketConstructor;
  }

  // ---- errors without tokens ----

  private authError(err: unknown): RealtimeError {
    if (err instanceof RealtimeError) return err;
    return new RealtimeError('token_refresh_failed', `token refresh failed: ${this.describe(err)}`);
  }

  private describe(err: unknown): string {
    let text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    for (const t of [this.token ?? '', ...this.recentTokens]) if (t) text = text.split(t).join('[token]');
    return text.replace(JWT_LIKE, '[token]').slice(0, 200);
  }
}
