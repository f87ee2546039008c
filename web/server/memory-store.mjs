// The embedded store: channel histories, publication-id and message-id de-duplication, all in
// this process. One process is one system: epochs are made at process start, per channel.

/** @typedef {import('./index.d.ts').Publication} Publication */

import { DEFAULT_HISTORY_SIZE, DEFAULT_TTL_MS, newEpoch, outcomeOf } from './common.mjs';

/**
 * A map whose entries expire `ttlMs` after they were set. Entries are kept in insertion order,
 * which is expiry order (one ttl for all), so a sweep only looks at the expired head.
 */
export class TtlMap {
  constructor(ttlMs) {
    this.ttlMs = ttlMs;
    /** @type {Map<string, { value: any, expires: number }>} */
    this.map = new Map();
  }

  get(key) {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key, value) {
    const now = Date.now();
    for (const [k, e] of this.map) {
      if (e.expires > now) break;
      this.map.delete(k);
    }
    this.map.delete(key);
    this.map.set(key, { value, expires: now + this.ttlMs });
  }
}

/**
 * @param {{ historySize?: number, ttl?: number }} [options] `ttl`: how long (ms) message ids
 *   (with their cached reply) and publication ids are remembered; default 10 min.
 */
export function memoryStore({ historySize = DEFAULT_HISTORY_SIZE, ttl = DEFAULT_TTL_MS } = {}) {
  if (!(historySize >= 1)) throw new RangeError('memoryStore: historySize must be ≥ 1');
  /** @type {Map<string, { epoch: string, newest: number, history: Publication[], ids: TtlMap, listeners: Set<(p: Publication) => void> }>} */
  const channels = new Map();
  const results = new TtlMap(ttl); // message id → outcome
  /** @type {Map<string, Promise<any>>} */
  const running = new Map(); // message id → outcome promise, while the handler runs

  const channelOf = (name) => {
    let c = channels.get(name);
    if (!c) {
      c = { epoch: newEpoch(), newest: 0, history: [], ids: new TtlMap(ttl), listeners: new Set() };
      channels.set(name, c);
    }
    return c;
  };

  return {
    kind: 'memory',
    historySize,

    async publish(channel, { type, id, dedupe, timestamp, payloadJson }) {
      const c = channelOf(channel);
      if (dedupe) {
        const offset = c.ids.get(id);
        if (offset !== undefined) return { offset, epoch: c.epoch, duplicate: true };
      }
      const pub = { channel, epoch: c.epoch, offset: ++c.newest, type, id, timestamp, payloadJson };
      c.history.push(pub);
      if (c.history.length > historySize) c.history.shift();
      if (dedupe) c.ids.set(id, pub.offset);
      for (const listener of c.listeners) listener(pub);
      return { offset: pub.offset, epoch: c.epoch, duplicate: false };
    },

    async subscribe(channel, listener) {
      const c = channelOf(channel);
      c.listeners.add(listener);
      return () => c.listeners.delete(listener);
    },

    async history(channel, from) {
      const c = channelOf(channel);
      const oldest = c.history.length ? c.history[0].offset : c.newest + 1;
      const start = Math.max(0, from - oldest);
      return {
        epoch: c.epoch,
        oldest,
        newest: c.newest,
        publications: from > c.newest ? [] : c.history.slice(start),
      };
    },

    async once(id, run) {
      const done = results.get(id);
      if (done) return done;
      let p = running.get(id);
      if (!p) {
        p = outcomeOf(run).then((outcome) => {
          results.set(id, outcome);
          running.delete(id);
          return outcome;
        });
        running.set(id, p);
      }
      return p;
    },

    async close() {
      for (const c of channels.values()) c.listeners.clear();
    },
  };
}
