// SecureWebSocketManager: a WebSocketManager whose every socket carries a fresh, valid token.
//
// The seed put the token in the URL once, at connect(): every reconnect reused it (expired or
// not), the token ended up in proxy and server access logs, `super.connect.call(this, config)`
// passed a config nobody read, `maxRetries` was never used, and the JWT was decoded with atob
// (base64, not base64url: it throws when the encoding holds '-' or '_', e.g. for a payload
// {"name":"Zoë"}, and decodes Latin-1 rather than UTF-8).
//
// Here every decision is the C++ session's credentials step (src/ws_session.h
// CredentialsConfig, src/ws_credentials.cpp): before each socket opens it asks for a token when
// it holds no usable one (never opened, rejected by a 4001/4401 close, expired) and holds the
// attempt meanwhile (connectTimeout covers the wait); it decodes the JWT (src/jwt.h, strict
// base64url), schedules the refresh from `exp`, retries a failing provider with the reconnect
// backoff (full jitter), and applies the 4001/4401 rule (one refresh and retry, then
// 'unauthorized'). This class only calls the user's tokenProvider when asked (`token` sink
// event → provideToken / tokenFailed), and injects the token C++ accepted into each socket the
// native transport opens: as a Sec-WebSocket-Protocol entry (default), in a first {type:'auth'}
// message, or in the query string (web/src/token-socket.ts). With runtime 'worker' | 'shared' the
// session runs in the host: the provider is still called here (the host asks this tab), and the
// host injects the token with the same module. The token never appears in an error, a log line
// or an event.
import type { RealtimeModule, Sink, WebSocketConstructor } from './runtime.js';
import { type TokenInjection, type TokenTransport, installToken, tokenSocketConstructor } from './token-socket.js';
import {
  type AuthEvent,
  type RawWsClient,
  type WebSocketConfig,
  WebSocketManager,
} from './websocket-manager.js';

export type { TokenTransport } from './token-socket.js';

export interface AuthConfig {
  /** Returns a JWT (compact serialization). Called when the session needs one: at connect,
   * before expiry, for a reconnect after expiry, and after a 4001/4401. */
  tokenProvider: () => Promise<string>;
  /** Refresh this many ms before `exp`; a token living shorter than that is refreshed at half
   * its remaining life (default 60000). */
  refreshThreshold?: number;
  /** Retries of a failing tokenProvider call, with the reconnect backoff (full jitter), before
   * the refresh fails with token_refresh_failed (default 3). */
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
const JWT_LIKE = /[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g;  // not hostnames

export class SecureWebSocketManager extends WebSocketManager {
  private readonly auth: AuthConfig;
  private readonly inject: TokenInjection;
  private readonly authedConstructor: WebSocketConstructor;
  private token: string | null = null;  // the last token the session accepted
  private offered: string | null = null;  // the token being handed to the session
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
    this.auth = config.auth;
    this.inject = {
      transport,
      queryParam: config.auth.queryParam ?? 'token',
      protocolPrefix: config.auth.protocolPrefix ?? 'auth.',
    };
    const base = config.WebSocket;
    this.authedConstructor = tokenSocketConstructor(() => base, () => this.handle, () => this.token ?? '', this.inject);
  }

  /** When the next refresh is due (epoch ms), or null when none is scheduled (for diagnostics). */
  get refreshScheduledAt(): number | null {
    const at = this.client?.refreshScheduledAt() ?? NaN;
    return Number.isNaN(at) ? null : at;
  }

  /** Transport the token uses. */
  get tokenTransport(): TokenTransport {
    return this.inject.transport;
  }

  // ---- the native side's hooks ----

  protected override socketConstructor(): WebSocketConstructor {
    return this.authedConstructor;
  }

  /** The credentials step's options (emscripten/ws_client.cpp; what is left out keeps the C++
   * default). */
  protected override nativeConfig(): Record<string, unknown> {
    return {
      ...super.nativeConfig(),
      credentials: true,
      refreshThreshold: this.auth.refreshThreshold,
      maxRetries: this.auth.maxRetries,
      tokenSubprotocol: this.inject.transport === 'protocol',
      authRetries: 1,  // the 4001/4401 policy (the C++ AuthRetryPolicy)
      authRetryResetMs: this.auth.retryResetAfter,
      // Not read by C++: a runtime host (runtime 'worker' | 'shared') injects the token with it.
      tokenInjection: this.inject,
    };
  }

  protected override createClient(mod: RealtimeModule, handle: number): RawWsClient {
    const client = super.createClient(mod, handle);
    if (this.token) installToken(client, this.token, this.inject, false);
    return client;
  }

  protected override sink(): Partial<Sink> {
    return {
      ...super.sink(),
      token: (seq: number) => this.callProvider(seq),
      auth: (phase: string, reason: string, expiresAt: number) => this.onAuth(phase, reason, expiresAt),
    };
  }

  // ---- what only JS can do: call the provider, install the token ----

  // The session asked for a token (request `seq`): the answer, or why there is none, goes back.
  private callProvider(seq: number): void {
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(this.auth.tokenProvider());
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (token) => {
        this.offered = typeof token === 'string' ? token : '';  // not a string: "JWT is empty"
        this.recentTokens.push(this.offered);
        if (this.recentTokens.length > 4) this.recentTokens.shift();
        try {
          this.client?.provideToken(seq, this.offered);
        } finally {
          this.offered = null;
        }
      },
      (err: unknown) => this.client?.tokenFailed(seq, this.describe(err)),
    );
  }

  private onAuth(phase: string, reason: string, expiresAt: number): void {
    if (phase !== 'refreshed') {
      this.events.emit('auth', { phase, reason } as AuthEvent);
      return;
    }
    // The session accepted the token being provided (synchronously, in provideToken); the socket
    // it opens next carries it. In runtime 'worker' | 'shared' the event comes later, from the
    // host, which keeps the token and injects it there (offered is null by then).
    if (this.offered !== null) {
      const token = (this.token = this.offered);
      this.ifClient((c) => installToken(c, token, this.inject, this.state === 'open'));
    }
    this.events.emit('auth', { phase: 'refreshed', expiresAt: Number.isNaN(expiresAt) ? null : expiresAt });
  }

  // ---- errors without tokens ----

  private describe(err: unknown): string {
    let text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    for (const t of [this.token ?? '', ...this.recentTokens]) if (t) text = text.split(t).join('[token]');
    return text.replace(JWT_LIKE, '[token]').slice(0, 200);
  }
}
