// The Redis store: several server processes on one Redis are one system. Channel history is a
// Redis Stream whose entry ids are `<offset>-1`; publishing is one Lua script (de-dup by
// publication id, INCR the offset, XADD with MAXLEN, remember the id, PUBLISH the fan-out);
// every instance subscribes (Redis pub/sub) to the channels its clients joined. Message ids are
// claimed with a lease (SET NX PX) and their outcome stored with a TTL.
//
// ioredis is an optional peer dependency, imported on first use: memoryStore users need nothing.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_HISTORY_SIZE, DEFAULT_TTL_MS, newEpoch, outcomeOf } from './common.mjs';

// KEYS: epoch, seq, stream, publication-id key. ARGV: new epoch, history size, ttl ms,
// dedupe ('1' | '0'), header JSON ([type, id, timestamp]), payload JSON, fan-out channel.
const PUBLISH_LUA = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[1], epoch) end
if ARGV[4] == '1' then
  local prev = redis.call('GET', KEYS[4])
  if prev then return {tonumber(prev), epoch, 1} end
end
local offset = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[2], offset .. '-1', 'h', ARGV[5], 'p', ARGV[6])
if ARGV[4] == '1' then redis.call('SET', KEYS[4], offset, 'PX', ARGV[3]) end
redis.call('PUBLISH', ARGV[7], offset .. '\\n' .. epoch .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[6])
return {offset, epoch, 0}
`;

// KEYS: epoch, seq, stream. ARGV: new epoch, first offset wanted ('' = none).
const HISTORY_LUA = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[1], epoch) end
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
local oldest = newest + 1
local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
if first[1] then oldest = tonumber(string.match(first[1][1], '^%d+')) end
local entries = {}
if ARGV[2] ~= '' then entries = redis.call('XRANGE', KEYS[3], ARGV[2] .. '-0', '+') end
return {epoch, newest, oldest, entries}
`;

// KEYS: message key. ARGV: lease token, lease ms. Extends the lease while it is ours.
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

// KEYS: message key. ARGV: 'R' .. outcome JSON, ttl ms. Stores the outcome unless another
// instance (that took over an expired lease) already did; returns the stored one.
const FINISH_LUA = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 1) == 'R' then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`;

async function loadIoredis() {
  try {
    const mod = await import('ioredis');
    return mod.default ?? mod.Redis;
  } catch (err) {
    throw new Error(
      'redisStore needs the optional peer dependency ioredis: npm install ioredis ' +
        `(${err?.message ?? err})`,
    );
  }
}

const publicationOf = (channel, epoch, offset, header, payloadJson) => {
  const [type, id, timestamp] = JSON.parse(header);
  return { channel, epoch, offset, type, id, timestamp, payloadJson };
};

/**
 * @param {{ url?: string, historySize?: number, ttl?: number, leaseMs?: number,
 *   pollMs?: number, prefix?: string }} [options]
 */
export function redisStore({
  url = 'redis://127.0.0.1:6379',
  historySize = DEFAULT_HISTORY_SIZE,
  ttl = DEFAULT_TTL_MS,
  leaseMs = 5000,
  pollMs = 50,
  prefix = 'rt:',
} = {}) {
  if (!(historySize >= 1)) throw new RangeError('redisStore: historySize must be ≥ 1');
  const instance = randomUUID();
  const keys = (channel) => {
    const k = `${prefix}ch:${channel}`;
    return { epoch: `${k}:epoch`, seq: `${k}:seq`, stream: `${k}:stream`, pub: `${k}:pub:`, fanout: k };
  };
  /** @type {Map<string, { listeners: Set<Function>, ready: Promise<unknown> }>} fan-out channel → local listeners */
  const subscriptions = new Map();
  /** @type {Map<string, Promise<any>>} message id → outcome, while this instance handles it */
  const inflight = new Map();

  const connecting = loadIoredis().then((Redis) => {
    const options = { lazyConnect: false, enableAutoPipelining: true };
    const cmd = new Redis(url, options);
    // No ready check on the subscriber: ioredis's INFO check fails once the connection is in
    // subscriber mode, and a SUBSCRIBE sent between 'connect' and 'ready' is then lost.
    const sub = new Redis(url, { lazyConnect: false, enableReadyCheck: false });
    for (const c of [cmd, sub]) c.on('error', () => {}); // ioredis reconnects; commands fail meanwhile
    cmd.defineCommand('rtPublish', { numberOfKeys: 4, lua: PUBLISH_LUA });
    cmd.defineCommand('rtHistory', { numberOfKeys: 3, lua: HISTORY_LUA });
    cmd.defineCommand('rtRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    cmd.defineCommand('rtFinish', { numberOfKeys: 1, lua: FINISH_LUA });
    sub.on('message', (fanout, message) => {
      const s = subscriptions.get(fanout);
      if (!s) return;
      const a = message.indexOf('\n');
      const b = message.indexOf('\n', a + 1);
      const c = message.indexOf('\n', b + 1);
      const pub = publicationOf(
        fanout.slice(prefix.length + 3),
        message.slice(a + 1, b),
        Number(message.slice(0, a)),
        message.slice(b + 1, c),
        message.slice(c + 1),
      );
      for (const listener of s.listeners) listener(pub);
    });
    return { cmd, sub };
  });
  connecting.catch(() => {}); // reported by the first call

  const runLeased = async (cmd, key, token, run) => {
    const renew = setInterval(() => cmd.rtRenew(key, token, leaseMs).catch(() => {}), leaseMs / 3);
    let outcome;
    try {
      outcome = await outcomeOf(run);
    } finally {
      clearInterval(renew);
    }
    const stored = await cmd.rtFinish(key, `R${JSON.stringify(outcome)}`, ttl);
    return JSON.parse(stored.slice(1));
  };

  const claim = async (id, run) => {
    const { cmd } = await connecting;
    const key = `${prefix}msg:${id}`;
    for (;;) {
      const token = `L${instance}:${randomUUID()}`;
      if ((await cmd.set(key, token, 'PX', leaseMs, 'NX')) === 'OK') {
        return runLeased(cmd, key, token, run);
      }
      const v = await cmd.get(key);
      if (v?.[0] === 'R') return JSON.parse(v.slice(1));
      // Another instance holds the lease: its outcome comes, or the lease expires (it died).
      if (v !== null) await delay(pollMs);
    }
  };

  return {
    kind: 'redis',
    historySize,
    instance,

    async publish(channel, { type, id, dedupe, timestamp, payloadJson }) {
      const { cmd } = await connecting;
      const k = keys(channel);
      const header = JSON.stringify([type, id, timestamp]);
      const [offset, epoch, duplicate] = await cmd.rtPublish(
        k.epoch, k.seq, k.stream, k.pub + id,
        newEpoch(), historySize, ttl, dedupe ? '1' : '0', header, payloadJson, k.fanout,
      );
      return { offset, epoch, duplicate: duplicate === 1 };
    },

    async subscribe(channel, listener) {
      const { sub } = await connecting;
      const { fanout } = keys(channel);
      let s = subscriptions.get(fanout);
      if (!s) {
        const ready = sub.status === 'ready' ? sub.subscribe(fanout) : once(sub, 'ready').then(() => sub.subscribe(fanout));
        s = { listeners: new Set(), ready };
        subscriptions.set(fanout, s);
      }
      s.listeners.add(listener);
      try {
        await s.ready; // from here on, every publication of the channel reaches the listener
      } catch (err) {
        s.listeners.delete(listener);
        if (subscriptions.get(fanout) === s && s.listeners.size === 0) subscriptions.delete(fanout);
        throw err;
      }
      return () => {
        if (!s.listeners.delete(listener) || s.listeners.size > 0) return;
        if (subscriptions.get(fanout) === s) subscriptions.delete(fanout);
        sub.unsubscribe(fanout).catch(() => {});
      };
    },

    async history(channel, from) {
      const { cmd } = await connecting;
      const k = keys(channel);
      const wanted = Number.isFinite(from) ? String(Math.max(1, from)) : '';
      const [epoch, newest, oldest, entries] = await cmd.rtHistory(k.epoch, k.seq, k.stream, newEpoch(), wanted);
      const publications = entries.map(([sid, fields]) => {
        const f = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
        return publicationOf(channel, epoch, parseInt(sid, 10), f.h, f.p);
      });
      return { epoch, oldest, newest, publications };
    },

    once(id, run) {
      let p = inflight.get(id);
      if (!p) {
        p = claim(id, run).finally(() => inflight.delete(id));
        inflight.set(id, p);
      }
      return p;
    },

    async close() {
      subscriptions.clear();
      const c = await connecting.catch(() => undefined);
      if (c) await Promise.all([c.cmd.quit().catch(() => {}), c.sub.quit().catch(() => {})]);
    },
  };
}
