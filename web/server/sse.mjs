// A channel as a Server-Sent-Events stream: `id: <epoch>:<offset>`, `event: <type>`,
// `data: <payload JSON>`. Resumes after Last-Event-ID with the same rule as a WebSocket join;
// a position that cannot be honoured gets an `rt:gap` event first (no id), then the replay
// from the oldest kept publication.
import { openFeed } from './feed.mjs';
import { decide } from './protocol.mjs';

/** Parses a Last-Event-ID: `<epoch>:<offset>`, or a bare `<offset>` (any epoch). */
export function parseEventId(text) {
  if (typeof text !== 'string' || text === '') return undefined;
  const m = /^(?:([^:]*):)?(\d{1,15})$/.exec(text.trim());
  if (!m) return undefined;
  return { epoch: m[1] ?? '', offset: Number(m[2]) };
}

export function sseHandler(channel, { store, authorize, limits, streams }) {
  return async (req, res) => {
    const connection = await decide(authorize, req, undefined);
    const verdict = connection.ok ? await decide(authorize, req, channel) : connection;
    if (!verdict.ok) {
      const status = verdict.forbidden || connection.ok ? 403 : 401;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 403 ? 'forbidden' : 'unauthorized');
      return;
    }
    const position = parseEventId(req.headers['last-event-id']);
    let feed;
    let heartbeat;
    let ended = false;
    const end = () => {
      ended = true;
      clearInterval(heartbeat);
      feed?.close();
      streams.delete(res);
    };
    const write = (text) => {
      if (res.writableLength > limits.maxBufferedBytes) {
        res.destroy(); // a slow consumer: it reconnects with its Last-Event-ID
        return;
      }
      res.write(text);
    };
    res.on('close', end);
    streams.add(res);
    const open = () => {
      // Headers and the opening comment go out once the feed is subscribed: from here on,
      // nothing published is missed.
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      write(`retry: ${limits.sseRetryMs}\n: realtime.v1\n\n`);
      heartbeat = setInterval(() => write(': heartbeat\n\n'), limits.sseHeartbeatMs);
      heartbeat.unref?.();
    };
    try {
      feed = await openFeed(store, channel, position, {
        onJoined: (j) => {
          if (ended) return;
          if (!res.headersSent) open();
          if (!j.recovered) write(`event: rt:gap\ndata: ${JSON.stringify({ channel, ...j })}\n\n`);
        },
        onPublication: (pub) =>
          ended || write(`id: ${pub.epoch}:${pub.offset}\nevent: ${pub.type}\ndata: ${pub.payloadJson}\n\n`),
        onError: () => res.destroy(),
      });
      if (ended) feed.close();
    } catch (err) {
      if (res.headersSent) res.destroy(); // the store failed: the client reconnects and resumes
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`unavailable: ${err?.message ?? err}`);
    }
  };
}
