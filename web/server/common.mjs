// What both stores share: defaults, epochs, the stored outcome of a handler.
import { randomBytes } from 'node:crypto';

export const DEFAULT_HISTORY_SIZE = 1000;
export const DEFAULT_TTL_MS = 10 * 60 * 1000;

export const newEpoch = () => randomBytes(8).toString('hex');

/** The outcome of a handler, as stored and as sent in `rt:ack`: `{ reply }` or `{ error }`. */
export async function outcomeOf(run) {
  try {
    const reply = (await run()) ?? null;
    JSON.stringify(reply); // throws for what cannot go on the wire (BigInt, cycles)
    return { reply };
  } catch (err) {
    return { error: { code: 'server_error', message: String(err?.message ?? err) } };
  }
}
