// The runtime host: loads the WebAssembly module where it runs (a dedicated Worker, a
// SharedWorker, or the leader tab), creates the real native clients, and forwards between them and
// the tabs (protocol.ts). It decides nothing about connections: reconnects, queues, acks and
// channel positions are the C++ session's. What it adds is sharing: one native client per key,
// attachments counted, subscriptions and channel joins counted, deliveries fanned out to the
// attachments that want them, acks routed to the tab that sent them, and the client deleted when
// the last attachment leaves.
import {
  type RealtimeModule,
  type Sink,
  type WebSocketConstructor,
  deleteLater,
  errcName,
  loadRuntime,
  nativeObject,
  register,
  unregister,
} from '../runtime.js';
import { type TokenInjection, installToken, tokenSocketConstructor } from '../token-socket.js';
import type { NativeClient, NativeSseClient, NativeWsClient } from '../wasm/realtime_wasm.mjs';
import { type Delivery, type HostMessage, type Kind, type Position, type TabMessage, VERSION, tabLockName } from './protocol.js';

type Post = (msg: HostMessage) => void;
// A connection's native client (the one declaration, wasm/realtime_wasm.d.mts): the WebSocket
// client's methods for kind 'ws', the SSE client's for 'sse'; the other kind's are absent.
type Native = NativeClient &
  Partial<Omit<NativeWsClient, keyof NativeClient | 'disconnect'>> &
  Partial<Omit<NativeSseClient, keyof NativeClient | 'disconnect'>> & {
    disconnect(code?: number, reason?: string): void;
  };

/** Calls a method of the native client by the name the tab sent, with the tab's arguments. */
function forward(native: Native, method: string, args: unknown[]): unknown {
  return (native as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
}

interface Tab {
  id: string;
  post: Post;
  out: Delivery[];
  clients: Map<number, Attachment>;
}

interface Attachment {
  tab: Tab;
  cid: number;
  conn: Conn;
  /** Between the tab's connect() and disconnect(): gets the connection's events. */
  active: boolean;
  wildcard: boolean;
  types: Map<string, number>;  // type → the tab's local id
  channels: Map<string, { local: number; last: Position | null }>;
}

interface ChannelEntry {
  name: string;
  epoch: string | null;
  /** The position of the last native join. */
  since: Position | null;
  subs: Set<Attachment>;
}

interface Conn {
  key: string;
  kind: Kind;
  config: Record<string, unknown>;
  native: Native;
  handle: number;
  state: string;  // the C++ state name (ws_state_name), as the native client passes it
  atts: Set<Attachment>;
  types: Map<string, { nativeId: number; subs: Set<Attachment> }>;
  byTypeId: Map<number, string>;
  channels: Map<string, ChannelEntry>;
  byChannelId: Map<number, ChannelEntry>;
  acks: Map<string, Attachment>;
  /** The attachment asked for a URL or a token (the request's seq): asked again of another
   * attachment when it leaves first. */
  asked: Map<'url' | 'token', { seq: number; att: Attachment }>;
  /** SecureWebSocketManager (config `credentials`): how the token goes with each socket, the
   * token the session accepted last (the socket it opens carries it), the one being provided. */
  inject: TokenInjection | null;
  token: string | null;
  offered: string | null;
  socket: WebSocketConstructor | undefined;
}

const CLOSED = 'closed';

/** Takes `att` off the entry of `key`; returns the entry (removed) when `att` was its last. */
function lastOut<E extends { subs: Set<Attachment> }>(map: Map<string, E>, key: string, att: Attachment): E | null {
  const entry = map.get(key);
  if (!entry || !entry.subs.delete(att) || entry.subs.size > 0) return null;
  map.delete(key);
  return entry;
}

function forgetChannel(conn: Conn, entry: ChannelEntry): void {
  for (const [id, e] of conn.byChannelId) if (e === entry) conn.byChannelId.delete(id);
}

export interface HostOptions {
  /** Defers a flush of the deliveries (default: a 16 ms timer, about a frame). */
  schedule?: (flush: () => void) => void;
}

export class RuntimeHost {
  private readonly tabs = new Map<string, Tab>();
  private readonly conns = new Map<string, Conn>();
  private readonly dirty = new Set<Tab>();
  private readonly dirtyConns = new Set<Conn>();
  private flushing = false;
  private mod: RealtimeModule | null = null;
  private readonly schedule: (flush: () => void) => void;

  constructor(options: HostOptions = {}) {
    this.schedule = options.schedule ?? ((f) => setTimeout(f, 16));
  }

  /** Handles one message of a tab; `post` reaches that tab. */
  receive(msg: TabMessage, post: Post): void {
    if (!msg || msg.v !== VERSION) return;
    if (msg.op === 'hello') return void this.hello(msg.tab, post);
    const tab = this.tabs.get(msg.tab);
    if (!tab) return;
    switch (msg.op) {
      case 'open':
        return this.open(tab, msg.cid, msg.kind, msg.key, msg.config);
      case 'call': {
        const att = tab.clients.get(msg.cid);
        if (att) this.call(att, msg.m, msg.a);
        return;
      }
      case 'detach': {
        const att = tab.clients.get(msg.cid);
        if (att) this.detach(att);
        return;
      }
      case 'bye':
        return this.forget(tab);
      case 'info?':
        return tab.post({
          v: VERSION, op: 'info', tab: tab.id, tabs: this.tabs.size, connections: this.conns.size,
          sockets: [...this.conns.values()].filter((c) => c.state !== CLOSED).length,
        });
    }
  }

  /** Tabs attached (diagnostics). */
  get tabCount(): number {
    return this.tabs.size;
  }

  private async hello(id: string, post: Post): Promise<void> {
    const old = this.tabs.get(id);
    if (old) this.forget(old);
    const tab: Tab = { id, post, out: [], clients: new Map() };
    this.tabs.set(id, tab);
    // The tab holds this lock while it lives: being granted it means the tab is gone.
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
    locks?.request(tabLockName(id), () => {
      if (this.tabs.get(id) === tab) this.forget(tab);
    }).catch(() => {});
    try {
      this.mod = await loadRuntime();
    } catch (err) {
      console.error('realtime-wasm: the runtime host could not load the module', err);
      return;
    }
    const errc: Array<[number, string]> = [];
    for (let code = 0; code < 256; code++) {
      const name = errcName(code);
      if (name !== 'unknown') errc.push([code, name]);
    }
    if (this.tabs.get(id) === tab) post({ v: VERSION, op: 'ready', tab: id, errc });
  }

  private forget(tab: Tab): void {
    for (const att of [...tab.clients.values()]) this.detach(att);
    if (this.tabs.get(tab.id) === tab) this.tabs.delete(tab.id);
    this.dirty.delete(tab);
  }

  private open(tab: Tab, cid: number, kind: Kind, key: string, config: Record<string, unknown>): void {
    if (!this.mod || tab.clients.has(cid)) return;
    let conn = this.conns.get(key);
    if (!conn) {
      conn = this.create(kind, key, config);
      this.conns.set(key, conn);
    }
    const att: Attachment = {
      tab, cid, conn, active: false, wildcard: false, types: new Map(), channels: new Map(),
    };
    conn.atts.add(att);
    tab.clients.set(cid, att);
  }

  private create(kind: Kind, key: string, config: Record<string, unknown>): Conn {
    const conn = {
      key, kind, config, state: CLOSED, atts: new Set(), types: new Map(), byTypeId: new Map(),
      channels: new Map(), byChannelId: new Map(), acks: new Map(), asked: new Map(),
      inject: null, token: null, offered: null,
    } as unknown as Conn;
    // The token is injected where the socket is created: here (token-socket.ts, as in the page).
    if (kind === 'ws' && config.credentials === true) {
      const inject = (conn.inject = config.tokenInjection as TokenInjection);
      conn.socket = tokenSocketConstructor(() => undefined, () => conn.handle, () => conn.token ?? '', inject);
    }
    conn.handle = register(this.sink(conn));
    const native = { ...config };
    // A function `url` stays in the tab: the native client asks for each attempt's URL (the
    // 'url' delivery) and the tab answers with provideUrl.
    if (config.url === true) native.url = () => '';
    conn.native = nativeObject(this.mod!, kind === 'ws' ? '_WsClient' : '_SseClient', conn.handle, native);
    return conn;
  }

  private detach(att: Attachment): void {
    const { conn, tab } = att;
    tab.clients.delete(att.cid);
    conn.atts.delete(att);
    for (const type of [...att.types.keys()]) this.unsubscribe(att, type);
    for (const name of [...att.channels.keys()]) this.leave(att, name);
    for (const [id, owner] of conn.acks) if (owner === att) conn.acks.delete(id);
    if (conn.atts.size > 0) {
      // A URL or token it was asked for: another live tab answers.
      for (const [what, q] of conn.asked) if (q.att === att) this.ask(conn, what, q.seq);
      if (att.active && ![...conn.atts].some((a) => a.active)) this.nativeDisconnect(conn);
      else this.updateWildcard(conn);
      return;
    }
    // The last attachment left: the connection closes and its native client is freed.
    this.conns.delete(conn.key);
    this.dirtyConns.delete(conn);
    this.nativeDisconnect(conn);
    unregister(conn.handle);
    deleteLater(conn.native);
  }

  private nativeDisconnect(conn: Conn): void {
    if (conn.kind === 'ws') conn.native.disconnect(1000, 'Normal closure');
    else conn.native.disconnect();
  }

  private call(att: Attachment, m: string, a: unknown[]): void {
    const { conn } = att;
    const n = conn.native;
    switch (m) {
      case 'connect':
        att.active = true;
        // Joining a connection that is already up: this tab sees where it is.
        if (conn.state !== CLOSED) this.push(att, 'state', conn.state, CLOSED, n.readyState());
        if (conn.state === CLOSED || conn.state === 'closing') n.connect();
        return;
      case 'disconnect':
        // A tab's disconnect() detaches that tab only; the socket closes when no tab wants it.
        if (!att.active) return;
        att.active = false;
        if ([...conn.atts].some((x) => x.active)) {
          this.push(att, 'state', CLOSED, conn.state, conn.kind === 'ws' ? 3 : 2);
        } else {
          forward(n, 'disconnect', a);
        }
        return;
      case 'sendWithAck': {
        const [type, payload, id, ts, timeout] = a as [string, string, string, number, number];
        const r = n.sendWithAck!(type, payload, id, ts, timeout);
        if (typeof r === 'number') this.push(att, 'ack', id, r, `'${type}' was not sent`);
        else conn.acks.set(String(r), att);
        return;
      }
      case 'withdrawAck':
        conn.acks.delete(String(a[0]));
        n.withdrawAck!(String(a[0]));
        return;
      case 'subscribeType':
        return this.subscribe(att, String(a[0]), Number(a[1]));
      case 'unsubscribeType':
        return this.unsubscribe(att, String(a[0]));
      case 'setWildcard':
        att.wildcard = Boolean(a[0]);
        return this.updateWildcard(conn);
      case 'joinChannel':
        return this.join(att, String(a[0]), (a[1] as Position | null) ?? null, Number(a[2]));
      case 'leaveChannel':
        return this.leave(att, String(a[0]));
      case 'stats':
        this.dirtyConns.add(conn);
        this.dirty.add(att.tab);
        return this.scheduleFlush();
      case 'provideToken':
        // The session accepts it (or not) synchronously: the 'refreshed' auth event installs it.
        conn.asked.delete('token');
        conn.offered = String(a[1]);
        try {
          forward(n, 'provideToken', a);
        } finally {
          conn.offered = null;
        }
        return;
      case 'provideUrl': case 'urlFailed': case 'tokenFailed':
        conn.asked.delete(m === 'tokenFailed' ? 'token' : 'url');
        forward(n, m, a);
        return;
      case 'send': case 'setPreamble':
        forward(n, m, a);
        return;
    }
  }

  private subscribe(att: Attachment, type: string, local: number): void {
    const { conn } = att;
    att.types.set(type, local);
    let entry = conn.types.get(type);
    if (!entry) {
      const nativeId = conn.native.subscribeType(type);
      entry = { nativeId, subs: new Set() };
      conn.types.set(type, entry);
      conn.byTypeId.set(nativeId, type);
      // The EventSource transport listens per event name (the native client asks at open).
      if (conn.kind === 'sse') this.mod!.rtSseListen(conn.handle, type);
    }
    entry.subs.add(att);
  }

  private unsubscribe(att: Attachment, type: string): void {
    const { conn } = att;
    att.types.delete(type);
    const entry = lastOut(conn.types, type, att);
    if (!entry) return;
    conn.byTypeId.delete(entry.nativeId);
    conn.native.unsubscribeType(type);
  }

  private updateWildcard(conn: Conn): void {
    conn.native.setWildcard([...conn.atts].some((a) => a.wildcard));
  }

  // A channel is joined once per connection. Each tab gets a publication at most once, after the
  // position it joined with. A tab that joins later from an older position (e.g. "from the
  // start") has the native client leave and join again from there: the server replays for it,
  // and the tabs already there skip what they had (after a leader handover the tabs re-join with
  // the position each saw last, the same way).
  private join(att: Attachment, name: string, since: Position | null, local: number): void {
    const { conn } = att;
    const n = conn.native;
    att.channels.set(name, { local, last: since });
    let entry = conn.channels.get(name);
    if (entry && since) {
      const at = n.channelPosition!(name) ?? entry.since;
      if (at && since.offset >= at.offset) since = null;  // it is not behind: live from here
    }
    if (!entry || since) {
      if (entry) {
        n.leaveChannel!(name);
        forgetChannel(conn, entry);
      } else {
        entry = { name, epoch: since?.epoch || null, since, subs: new Set() };
        conn.channels.set(name, entry);
      }
      entry.since = since;
      conn.byChannelId.set(n.joinChannel!(name, since), entry);
    }
    entry.subs.add(att);
  }

  private leave(att: Attachment, name: string): void {
    const { conn } = att;
    att.channels.delete(name);
    const entry = lastOut(conn.channels, name, att);
    if (!entry) return;
    forgetChannel(conn, entry);
    conn.native.leaveChannel!(name);
  }

  private sink(conn: Conn): Sink {
    const toActive = (name: string, ...args: unknown[]) => {
      for (const att of conn.atts) if (att.active) this.push(att, name, ...args);
    };
    return {
      state: (n: string, o: string) => {
        conn.state = n;
        toActive('state', n, o, conn.native.readyState());
      },
      error: (code: number, message: string, status?: number) => toActive('error', code, message, status ?? 0),
      drop: (reason: string, count: number) => toActive('drop', reason, count),
      close: (code: number, reason: string, wasClean: boolean) => toActive('close', code, reason, wasClean),
      message: (typeId: number, json: string) => {
        const type = conn.byTypeId.get(typeId);
        const entry = type === undefined ? undefined : conn.types.get(type);
        if (!entry) return;
        for (const att of entry.subs) if (att.active) this.push(att, 'message', att.types.get(type!)!, json);
      },
      raw: (text: string) => {
        for (const att of conn.atts) if (att.active && att.wildcard) this.push(att, 'raw', text);
      },
      sse: (typeId: number, type: string, data: string, id: string, isJson: number) => {
        for (const att of conn.atts) {
          const local = att.types.get(type) ?? 0;
          if (att.active && (local !== 0 || att.wildcard)) this.push(att, 'sse', local, type, data, id, isJson);
        }
      },
      sseRequest: () => ({
        ...conn.config, url: undefined, types: [...conn.types.keys()],
        EventSource: (globalThis as { EventSource?: unknown }).EventSource,
      }),
      ack: (id: string, code: number, detail: string) => {
        const att = conn.acks.get(id);
        if (!att) return;
        conn.acks.delete(id);
        this.push(att, 'ack', id, code, detail);
      },
      publication: (channelId: number, type: string, payload: string, id: string, offset: number, timestamp: number) => {
        const entry = conn.byChannelId.get(channelId);
        if (!entry) return;
        if (entry.epoch === null) {
          const pos = conn.native.channelPosition!(entry.name);
          entry.epoch = pos?.epoch ?? '';
        }
        for (const att of entry.subs) {
          const ch = att.channels.get(entry.name)!;
          if (ch.last && ch.last.epoch === entry.epoch && offset <= ch.last.offset) continue;
          ch.last = { epoch: entry.epoch, offset };
          this.push(att, 'pub', ch.local, type, payload, id, offset, timestamp, entry.epoch);
        }
      },
      gap: (channelId: number, fromEpoch: string, fromOffset: number, epoch: string) => {
        const entry = conn.byChannelId.get(channelId);
        if (!entry) return;
        entry.epoch = epoch;
        for (const att of entry.subs) {
          const ch = att.channels.get(entry.name)!;
          // A tab already in `epoch` past the gap's start (it joined before a re-join from an
          // older position) misses nothing.
          const { last } = ch;
          if (last && last.epoch === epoch && !(fromEpoch === epoch && last.offset <= fromOffset)) continue;
          ch.last = null;
          this.push(att, 'gap', ch.local, fromEpoch, fromOffset, epoch);
        }
      },
      // A function `url` and a token provider are the tab's: a live attachment answers.
      url: (seq: number) => this.ask(conn, 'url', seq),
      token: (seq: number) => this.ask(conn, 'token', seq),
      auth: (phase: string, reason: string, expiresAt: number) => {
        if (phase === 'refreshed' && conn.offered !== null && conn.inject) {
          conn.token = conn.offered;
          installToken(conn.native as never, conn.token, conn.inject, conn.state === 'open');
        }
        toActive('auth', phase, reason, expiresAt);
      },
      webSocket: () => conn.socket,
    };
  }

  // The first attachment that wants the connection (else any) is asked.
  private ask(conn: Conn, what: 'url' | 'token', seq: number): void {
    const att = [...conn.atts].find((a) => a.active) ?? conn.atts.values().next().value;
    if (!att) return;
    conn.asked.set(what, { seq, att });
    this.push(att, what, seq);
  }

  private push(att: Attachment, name: string, ...args: unknown[]): void {
    att.tab.out.push([att.cid, name, ...args]);
    this.dirty.add(att.tab);
    this.dirtyConns.add(att.conn);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    this.schedule(() => this.flush());
  }

  private flush(): void {
    this.flushing = false;
    // The synchronous `stats` of each tab's client: the snapshot after this batch.
    for (const conn of this.dirtyConns) {
      const snap = this.stats(conn);
      const refreshAt = conn.inject ? conn.native.refreshScheduledAt!() : NaN;
      for (const att of conn.atts) {
        att.tab.out.push([att.cid, 'stats', snap, refreshAt]);
        this.dirty.add(att.tab);
      }
    }
    this.dirtyConns.clear();
    for (const tab of this.dirty) {
      const d = tab.out;
      tab.out = [];
      try {
        tab.post({ v: VERSION, op: 'batch', tab: tab.id, d });
      } catch (err) {
        console.error('realtime-wasm: a delivery could not be posted', err);
      }
    }
    this.dirty.clear();
  }

  private stats(conn: Conn): Record<string, unknown> {
    const n = conn.native;
    if (conn.kind === 'ws') return { ...n.stats!() };
    return { eventsReceived: n.eventsReceived!(), reconnects: n.reconnects!(), lastEventId: n.lastEventId!() };
  }
}
