// How a token the C++ credentials step accepted travels with a socket (SecureWebSocketManager's
// auth.transport). Used where the socket is created, the page's SecureWebSocketManager
// (runtime 'page') and the runtime host in a worker (web/src/worker/host.ts), so there is one copy.
import { type WebSocketConstructor, defaultWebSocket, reportNoWebSocket } from './runtime.js';

export type TokenTransport = 'protocol' | 'message' | 'query';

/** The transport options as the native config carries them (config `tokenInjection`). */
export interface TokenInjection {
  transport: TokenTransport;
  /** 'query': the parameter name. */
  queryParam: string;
  /** 'protocol': the Sec-WebSocket-Protocol entry's prefix. */
  protocolPrefix: string;
}

/** Opens `Base(url, protocols)` carrying `token`: a Sec-WebSocket-Protocol entry, the URL query,
 * or nothing ('message': the preamble carries it, see installToken). */
function tokenSocket(Base: WebSocketConstructor, url: string, protocols: string | string[] | undefined,
  token: string, inj: TokenInjection): WebSocket {
  const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
  if (inj.transport === 'protocol') return new Base(url, [...list, inj.protocolPrefix + token]);
  if (inj.transport === 'query') {
    const u = new URL(url);
    u.searchParams.set(inj.queryParam, token);
    url = u.toString();
  }
  return list.length ? new Base(url, list) : new Base(url);
}

/**
 * The WebSocket constructor handed to the native transport of a client with credentials: it opens
 * `base()` (else the runtime's default WebSocket) carrying the current `token()`. Without any
 * implementation it reports that for the client `handle()` (runtime.ts) and throws.
 */
export function tokenSocketConstructor(base: () => WebSocketConstructor | undefined, handle: () => number,
  token: () => string, inj: TokenInjection): WebSocketConstructor {
  // `new` on a function that returns an object yields that object.
  return function (url: string, protocols?: string | string[]) {
    const Base = base() ?? defaultWebSocket();
    if (!Base) {
      reportNoWebSocket(handle());
      throw new Error('no WebSocket constructor');
    }
    return tokenSocket(Base, url, protocols, token(), inj);  // the session opens one only with a usable token
  } as unknown as WebSocketConstructor;
}

/** The minimum of a native client installToken uses. */
interface PreambleClient {
  setPreamble(type: string, payloadJson: string): void;
  send(type: string, payloadJson: string, id: string, timestamp: number): boolean;
}

/** 'message': every open sends `{type:'auth', payload:{token}}` first; an open connection (`open`)
 * gets the refreshed token at once (a server can extend the session). */
export function installToken(client: PreambleClient, token: string, inj: TokenInjection, open: boolean): void {
  if (inj.transport !== 'message') return;
  const payload = JSON.stringify({ token });
  client.setPreamble('auth', payload);
  if (open) client.send('auth', payload, '', NaN);
}
