// The realtime.v1 protocol on one WebSocket connection: envelope checks, heartbeat, acknowledged
// sends (run once per id through the store), channel joins and leaves. docs/protocol.md is the
// specification; this file follows it section by section.
import { randomUUID } from 'node:crypto';
import { outcomeOf } from './common.mjs';
import { openFeed } from './feed.mjs';

export const SUBPROTOCOL = 'realtime.v1';

export const DEFAULT_LIMITS = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxChannels: 100,
  maxIdLength: 128,
  maxChannelLength: 256,
  maxBufferedBytes: 8 * 1024 * 1024,
  sseHeartbeatMs: 15000,
  sseRetryMs: 1000,
});

/** A publication as a frame: built once, shared by every subscriber of this process. */
export function frameOf(pub) {
  pub.frame ??=
    `{"type":${JSON.stringify(pub.type)},"channel":${JSON.stringify(pub.channel)},` +
    `"offset":${pub.offset},"id":${JSON.stringify(pub.id)},"timestamp":${pub.timestamp},` +
    `"payload":${pub.payloadJson}}`;
  return pub.frame;
}

const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a channel name is not acceptable, or undefined when it is. */
export function badChannel(channel, limits) {
  if (typeof channel !== 'string' || channel === '') return 'channel must be a non-empty string';
  if (channel.length > limits.maxChannelLength) {
    return `channel name longer than ${limits.maxChannelLength} characters`;
  }
  return undefined;
}

/** authorize's answer: `true` or an object allows (the object is the identity); anything else
 * refuses, `'forbidden'` (or a thrown error with code 'forbidden') as "forbidden". */
export async function decide(authorize, request, channel) {
  if (!authorize) return { ok: true, identity: undefined };
  try {
    const r = await authorize({ request, channel });
    if (r === true) return { ok: true, identity: undefined };
    if (typeof r === 'object' && r !== null) return { ok: true, identity: r };
    return { ok: false, forbidden: r === 'forbidden' };
  } catch (err) {
    return { ok: false, forbidden: err?.code === 'forbidden', message: err?.message };
  }
}

/**
 * Serves one accepted connection. `ctx`: `{ store, onMessage, authorize, limits, log }`.
 * Returns the connection's `client` object.
 */
export function serveConnection(ws, request, identity, ctx) {
  const { store, limits } = ctx;
  /** @type {Map<string, { feed?: any, gen: number }>} */
  const channels = new Map();
  let gen = 0;
  let queue = Promise.resolve(); // app messages are handled one at a time, in arrival order

  const sendRaw = (text) => {
    if (ws.readyState !== 1) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      ws.close(1013, 'slow consumer: resume from your position');
      return;
    }
    ws.send(text);
  };
  const send = (frame) => sendRaw(JSON.stringify(frame));
  const error = (code, message, extra = {}) =>
    send({ type: 'rt:error', payload: { code, message, ...extra } });

  const client = {
    id: randomUUID(),
    request,
    identity,
    send(type, payload) {
      send({ type, payload: payload ?? null, id: randomUUID(), timestamp: Date.now() });
    },
  };

  const handleApp = (msg) => {
    const run = () => (ctx.onMessage ? ctx.onMessage(msg, client) : null);
    const work = msg.id === undefined ? outcomeOf(run) : store.once(msg.id, run);
    return work.then(
      (outcome) => {
        if (msg.ack) send({ type: 'rt:ack', payload: { id: msg.id, ...outcome } });
        else if (outcome.error) ctx.log?.('onMessage failed', outcome.error.message);
      },
      // The store failed (Redis down): the handler may not have run; the sender is told.
      (err) => error('unavailable', `could not run the message: ${err?.message ?? err}`, { id: msg.id }),
    ).catch((err) => ctx.log?.('reply failed', err));
  };

  const join = async (payload) => {
    const channel = payload?.channel;
    const bad = badChannel(channel, limits);
    if (bad) return error('bad_channel', bad, { channel });
    const position = payload.position;
    if (position !== undefined && !validPosition(position)) {
      return error('bad_message', 'position must be { epoch?: string, offset: integer ≥ 0 }', {
        channel,
      });
    }
    if (!channels.has(channel) && channels.size >= limits.maxChannels) {
      return error('too_many_channels', `at most ${limits.maxChannels} channels per connection`, {
        channel,
      });
    }
    channels.get(channel)?.feed?.close(); // a re-join starts over from the given position
    const entry = { gen: ++gen };
    channels.set(channel, entry);
    const current = () => channels.get(channel) === entry && ws.readyState === 1;

    const verdict = await decide(ctx.authorize, request, channel);
    if (!current()) return undefined;
    if (!verdict.ok) {
      channels.delete(channel);
      return error('forbidden', verdict.message || `not allowed to join ${channel}`, { channel });
    }
    try {
      const feed = await openFeed(store, channel, position, {
        onJoined: (j) => current() && send({ type: 'rt:joined', payload: { channel, ...j } }),
        onPublication: (pub) => current() && sendRaw(frameOf(pub)),
        onError: (err) => current() && error('unavailable', String(err?.message ?? err), { channel }),
      });
      if (current()) entry.feed = feed;
      else feed.close();
    } catch (err) {
      if (!current()) return undefined;
      channels.delete(channel);
      error('unavailable', `could not join: ${err?.message ?? err}`, { channel });
    }
    return undefined;
  };

  const leave = (payload) => {
    const channel = payload?.channel;
    const entry = channels.get(channel);
    if (!entry) return error('not_joined', `not joined to ${channel}`, { channel });
    entry.feed?.close();
    channels.delete(channel);
    return undefined;
  };

  const onFrame = (data, isBinary) => {
    if (isBinary) return error('bad_message', 'binary frames are not supported');
    if (data.length > limits.maxMessageBytes) {
      return error('too_large', `message larger than ${limits.maxMessageBytes} bytes`);
    }
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      return error('bad_json', 'not JSON');
    }
    if (!isPlainObject(msg) || typeof msg.type !== 'string' || msg.type === '') {
      return error('bad_message', 'a message is a JSON object with a string "type"');
    }
    const { type, id } = msg;
    if (id !== undefined && (typeof id !== 'string' || id === '' || id.length > limits.maxIdLength)) {
      return error('bad_message', `"id" must be a string of 1..${limits.maxIdLength} characters`);
    }
    if (type === 'ping') return send({ type: 'pong', payload: {} });
    if (type.startsWith('rt:')) {
      if (type === 'rt:join') return join(msg.payload);
      if (type === 'rt:leave') return leave(msg.payload);
      return error('unknown_type', `unknown protocol type ${type}`, id === undefined ? {} : { id });
    }
    if (msg.ack === true && id === undefined) {
      return error('bad_message', 'an acknowledged message ("ack": true) needs an "id"');
    }
    queue = queue.then(() => handleApp(msg));
    return undefined;
  };

  ws.on('message', (data, isBinary) => {
    try {
      const r = onFrame(data, isBinary);
      r?.catch?.((err) => ctx.log?.('frame handling failed', err));
    } catch (err) {
      ctx.log?.('frame handling failed', err);
      error('server_error', 'internal error');
    }
  });
  ws.on('close', () => {
    for (const entry of channels.values()) entry.feed?.close();
    channels.clear();
    try {
      ctx.onClose?.(client);
    } catch (err) {
      ctx.log?.('onClose failed', err);
    }
  });
  ws.on('error', () => {}); // 'close' follows
  return client;
}

function validPosition(p) {
  return (
    isPlainObject(p) &&
    (p.epoch === undefined || typeof p.epoch === 'string') &&
    (p.offset === undefined || (Number.isSafeInteger(p.offset) && p.offset >= 0))
  );
}
