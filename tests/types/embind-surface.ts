// Compile-only test of the embind surface's one declaration (web/src/wasm/realtime_wasm.d.mts), as
// CanvasKit's types test does: every binding used the way web/src uses it, and wrong uses refused.
// tests/js/types.test.mjs compiles it under --strict against dist/ (never run).
import type {
  NativeConnectionPool,
  NativeSseClient,
  NativeWsClient,
  RealtimeModule,
} from '../../dist/wasm/realtime_wasm.mjs';
import createRealtimeModule from '../../dist/wasm/realtime_wasm.mjs';
import { nativeObject } from '../../dist/runtime.js';

export async function surface(): Promise<void> {
  const mod: RealtimeModule = await createRealtimeModule({ rtHost: {} });

  const ws: NativeWsClient = nativeObject(mod, '_WsClient', 1, { url: 'ws://x' });
  ws.connect();
  const sent: boolean = ws.send('t', '{}', '', NaN);
  const ack: string | number = ws.sendWithAck('t', '{}', '', NaN, 1000);
  const channelId: number = ws.joinChannel('room', { epoch: 'e', offset: 1 });
  ws.joinChannel('room', null);
  const position = ws.channelPosition('room');
  if (position) position.offset.toFixed();
  ws.provideUrl(1, 'ws://y');
  ws.urlFailed(1, 'no');
  ws.provideToken(1, 'a.b.c');
  ws.tokenFailed(1, 'down');
  const due: number = ws.refreshScheduledAt();
  const state: string = ws.state();
  const rtt: number = ws.stats().rtt;
  ws.setPreamble('auth', '{}');
  ws.disconnect(1000, 'bye');
  ws.delete();
  // @ts-expect-error disconnect takes a code and a reason
  ws.disconnect();
  // @ts-expect-error the payload crosses as JSON text
  ws.send('t', {}, '', NaN);

  const sse: NativeSseClient = nativeObject(mod, '_SseClient', 2, { url: 'http://x' });
  const lastId: string = sse.lastEventId();
  const typeId: number = sse.subscribeType('update');
  sse.disconnect();
  sse.delete();

  // @ts-expect-error the batcher is TypeScript (web/src/message-batcher.ts), not a native object
  nativeObject(mod, '_MessageBatcher', 10, 100, 'adaptive');
  // @ts-expect-error a client needs its handle and its config
  nativeObject(mod, '_WsClient', 1);
  // @ts-expect-error no such native object
  nativeObject(mod, '_EventBus');

  const pool: NativeConnectionPool = nativeObject(mod, '_ConnectionPool', 10, 300000, 60000);
  const closed: string[] = pool.acquire('id', 0).closed;
  const config = mod._poolConfig({ maxConnections: 3 });
  if (typeof config !== 'string') config.healthCheckInterval.toFixed();
  pool.delete();

  const claims = mod._decodeJwt('a.b.c');
  const error: '' | 'malformed_token' = claims.error;
  const exp: number | null = claims.expMs;
  const hex: string | null = mod._base64UrlDecodeHex('Zm9v');
  const names: string[] = [mod._errcName(1)];
  const counts: number[] = [mod._liveHandles(), mod._heapBytes()];
  mod.rtSseListen(2, 'update');
  // @ts-expect-error no such binding
  mod._EventBus;
  void [sent, ack, channelId, due, state, rtt, lastId, typeId, closed, error, exp, hex, names, counts];
}
