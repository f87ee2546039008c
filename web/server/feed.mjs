// One subscriber's view of a channel: replay from a position, then live, each publication once,
// in offset order, with no gap between the two. Used by WebSocket joins and by SSE streams.
//
// The order of operations is what makes it gap-free: subscribe to live publications first (they
// are buffered), then read the history, deliver the replay, then drain the buffer skipping the
// offsets already delivered. A live publication that skips ahead (a fan-out message lost while
// the store's pub/sub connection was down) is filled in from the history before it is delivered.

/**
 * Decides where a subscriber starts. `position` absent: live only from now. Otherwise resumed
 * after `position.offset` when that can be honoured (same epoch, or no epoch given; nothing
 * missing was trimmed); else `recovered: false` and the replay starts at the oldest publication
 * still kept in the current epoch.
 * @param {{ epoch: string, oldest: number, newest: number }} h
 * @param {{ epoch?: string, offset?: number } | undefined} position
 */
export function startOf(h, position) {
  if (!position) return { from: h.newest + 1, recovered: true };
  const offset = position.offset ?? 0;
  const sameEpoch = !position.epoch || position.epoch === h.epoch;
  if (sameEpoch && offset <= h.newest && offset + 1 >= h.oldest) {
    return { from: offset + 1, recovered: true };
  }
  return { from: h.oldest, recovered: false };
}

/**
 * Opens a feed. `onJoined({ epoch, offset, recovered })` is called once the start is known
 * (before any publication; again, with `recovered: false`, if the store's history was reset
 * under a live feed), then `onPublication(pub)` for each publication. `onError(err)` reports a
 * store failure during a gap fill. Resolves once the replay has been delivered.
 */
export async function openFeed(store, channel, position, { onJoined, onPublication, onError }) {
  let closed = false;
  let epoch = '';
  let last = 0; // the offset last delivered
  /** @type {any[] | null} live publications waiting while the history is read or a gap filled */
  let waiting = [];
  let unsubscribe = () => {};

  const deliver = (pub) => {
    if (pub.offset <= last) return;
    last = pub.offset;
    onPublication(pub);
  };

  const accept = (pub) => {
    if (closed) return;
    if (waiting) {
      waiting.push(pub);
      return;
    }
    if (pub.epoch !== epoch) {
      // The history was reset (a new epoch): start again from the old position, which the new
      // epoch cannot honour, so the subscriber is told (recovered: false) and gets the replay.
      waiting = [pub];
      start({ epoch, offset: last }).catch(onError);
      return;
    }
    if (pub.offset <= last + 1) {
      deliver(pub);
      return;
    }
    waiting = [pub];
    store
      .history(channel, last + 1)
      .then((h) => {
        if (h.epoch === epoch) for (const p of h.publications) if (p.offset < pub.offset) deliver(p);
      })
      .catch(onError)
      .finally(drain);
  };

  const drain = () => {
    const queued = waiting;
    waiting = null;
    for (const p of queued) accept(p);
  };

  const start = async (position) => {
    const want = position ? (position.offset ?? 0) + 1 : Infinity;
    let h = await store.history(channel, want);
    let s = startOf(h, position);
    if (s.from < want) {
      h = await store.history(channel, s.from); // not recovered: replay from the oldest kept
      s = startOf(h, position);
    }
    if (closed) return;
    epoch = h.epoch;
    last = s.from - 1;
    onJoined({ epoch: h.epoch, offset: h.newest, recovered: s.recovered });
    for (const p of h.publications) deliver(p);
    drain();
  };

  const feed = {
    get position() {
      return { epoch, offset: last };
    },
    close() {
      closed = true;
      unsubscribe();
    },
  };
  try {
    unsubscribe = await store.subscribe(channel, accept);
    if (!closed) await start(position);
  } catch (err) {
    feed.close();
    throw err;
  }
  return feed;
}
