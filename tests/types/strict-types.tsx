// Compile-only checks of the public types, as a consumer sees them (tests/js/types.test.mjs runs
// `tsc --strict` on this file against dist/'s .d.ts). Each @ts-expect-error line must not compile.
import {
  type RealtimeErrorCode,
  RealtimeConnectionPool,
  RealtimeError,
  ServerSentEventsManager,
  WebSocketManager,
} from 'realtime-wasm';
import { useServerSentEvents, useWebSocket } from 'realtime-wasm/react';

const ws = new WebSocketManager({ url: 'ws://127.0.0.1:1' });
ws.on('state', ({ newState }) => {
  newState satisfies 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';
});
ws.on('error', (err) => {
  const code: RealtimeErrorCode = err.code;
  if (code === 'no_websocket' || code === 'gave_up' || code === 'disposed') return;
});
ws.on('drop', ({ count }) => count satisfies number);
// @ts-expect-error: 'stat' is not an event of WebSocketManager
ws.on('stat', () => {});
ws.subscribe<{ value: number }>('price', (p) => p.value satisfies number);

const sse = new ServerSentEventsManager({ url: '/stream' });
sse.on('event', (e) => e.data satisfies unknown);
// @ts-expect-error: ServerSentEventsManager has no 'drop' event
sse.on('drop', () => {});

const pool = new RealtimeConnectionPool();
pool.on('close', ({ reason }) => reason satisfies string);
// @ts-expect-error: not a pool event
pool.on('closed', () => {});

// @ts-expect-error: not a known error code
export const misspelt: RealtimeErrorCode = 'gave_upp';

export function isGiveUp(err: RealtimeError): boolean {
  // @ts-expect-error: the comparison can never be true
  if (err.code === 'giveup') return true;
  return err.code === 'gave_up';
}

export function Hooks() {
  const { lastMessage } = useWebSocket<{ value: number }>({ url: 'ws://127.0.0.1:1' });
  const { lastEvent } = useServerSentEvents<{ online: number }>({ url: '/presence' });
  const untyped = useWebSocket({ url: 'ws://127.0.0.1:2' });
  // @ts-expect-error: without a type argument the payload is unknown
  const v = untyped.lastMessage?.payload.value;
  return (
    <p>
      {lastMessage?.payload.value.toFixed(2)} {lastEvent?.data.online} {String(v)}
    </p>
  );
}
