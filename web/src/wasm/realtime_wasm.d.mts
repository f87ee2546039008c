// Typings of the emscripten glue (build/wasm/realtime_wasm.mjs, copied to dist/wasm/).
declare const createRealtimeModule: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
export default createRealtimeModule;
