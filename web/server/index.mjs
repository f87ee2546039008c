// realtime-wasm/server: the server side of the realtime.v1 protocol (docs/protocol.md) for Node.
export { createRealtimeServer } from './server.mjs';
export { memoryStore } from './memory-store.mjs';
export { redisStore } from './redis-store.mjs';
export { SUBPROTOCOL, DEFAULT_LIMITS } from './protocol.mjs';
