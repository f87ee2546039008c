// The port protocol between a tab and the runtime host (a dedicated Worker, a SharedWorker, or a
// leader tab over BroadcastChannel). Documented in docs/worker-protocol.md; bump VERSION when a
// message changes shape. Every value is a structured-clone primitive: the host runs the native
// clients (web/src/worker/host.ts), the tab emulates their synchronous API
// (web/src/worker/remote.ts). State names, drop reasons and error codes are C++'s, passed
// through; the error codes' names come from the host's module in 'ready'.

import type { VERSION } from './remote.js';

export { LEADER_CHANNEL, LEADER_LOCK, VERSION, tabLockName } from './remote.js';

export type Kind = 'ws' | 'sse';
export type RuntimeMode = 'page' | 'worker' | 'shared';

/** The channel position a tab last saw (as Channel.position). */
export interface Position {
  epoch: string;
  offset: number;
}

/** Tab → host. `tab` names the sending tab (one id per page load). */
export type TabMessage =
  /** A tab (re)attaches: the host forgets what it had of this tab, then answers 'ready'. */
  | { v: typeof VERSION; op: 'hello'; tab: string }
  /** Attach client `cid` of the tab to the connection `key` (created from `config` if new). */
  | { v: typeof VERSION; op: 'open'; tab: string; cid: number; kind: Kind; key: string; config: Record<string, unknown> }
  /** A method of the native client (RawWsClient / RawSseClient), see CALLS. */
  | { v: typeof VERSION; op: 'call'; tab: string; cid: number; m: CallName; a: unknown[] }
  /** Client `cid` is gone (dispose). */
  | { v: typeof VERSION; op: 'detach'; tab: string; cid: number }
  /** The tab is leaving (pagehide): detach all its clients. */
  | { v: typeof VERSION; op: 'bye'; tab: string }
  /** Diagnostics: the host answers 'info'. */
  | { v: typeof VERSION; op: 'info?'; tab: string }
  /** Leader fallback, to the leader tab's own dedicated worker: serve every tab over the
   * BroadcastChannel LEADER_CHANNEL from now on (and announce 'leader' there). */
  | { v: typeof VERSION; op: 'lead'; tab: string };

/** The client methods that cross the port. The return values are emulated in the tab:
 * subscribeType and joinChannel carry the tab's local id as a last argument, sendWithAck always
 * carries an id (generated in the tab when the message had none). */
export type CallName =
  | 'connect' | 'disconnect' | 'send' | 'sendWithAck' | 'withdrawAck'
  | 'subscribeType' | 'unsubscribeType' | 'setWildcard' | 'setPreamble'
  | 'joinChannel' | 'leaveChannel' | 'provideUrl' | 'urlFailed'
  /** Answers to a 'token' delivery: the tab's tokenProvider ran (SecureWebSocketManager). */
  | 'provideToken' | 'tokenFailed'
  /** Asks for a 'stats' delivery (the tab read its snapshot: the next read is fresh). */
  | 'stats';

/**
 * One delivery: `[cid, name, ...args]`. The names and arguments are those of the Sink
 * (web/src/runtime.ts), with ids made local to the tab:
 * - ['state', newState, oldState, readyState]
 * - ['error', code, message, status]
 * - ['message', localTypeId, payloadJson] · ['raw', text]
 * - ['drop', reason, count] · ['close', code, reason, wasClean]
 * - ['ack', id, code, detail]
 * - ['pub', localChannelId, type, payloadJson, id, offset, timestamp, epoch]
 * - ['gap', localChannelId, fromEpoch, fromOffset, epoch]
 * - ['url', seq] (a function `url` is called in the tab, answered with provideUrl/urlFailed)
 * - ['token', seq] (the tokenProvider is called in the tab, answered with provideToken/tokenFailed)
 * - ['auth', phase, reason, expiresAt] (the credentials step's phases; never the token)
 * - ['sse', localTypeId, type, data, id, isJson]
 * - ['stats', snapshot, refreshAt] (the connection's stats after a batch: the tab's synchronous
 *   `stats`; refreshAt: the next token refresh, epoch ms, NaN when none)
 */
export type Delivery = [number, string, ...unknown[]];

/** Host → tab. */
export type HostMessage =
  /** Answer to 'hello': the C++ names of the error codes (by number). */
  | { v: typeof VERSION; op: 'ready'; tab: string; errc: Array<[number, string]> }
  /** Deliveries in order: one message per flush (a frame in a worker). */
  | { v: typeof VERSION; op: 'batch'; tab: string; d: Delivery[] }
  /** Diagnostics: tabs attached and native connections open in this host. */
  | { v: typeof VERSION; op: 'info'; tab: string; tabs: number; connections: number; sockets: number }
  /** Leader fallback only: a new leader runs the host; every tab re-attaches. */
  | { v: typeof VERSION; op: 'leader'; tab: '*' }
  /** Leader fallback only, from the leader tab's page as it goes (pagehide): until the next
   * host's 'ready', tabs hold their plain sends instead of posting them to nobody. */
  | { v: typeof VERSION; op: 'leaving'; tab: '*' };
