#!/usr/bin/env bash
# Builds the package into dist/: the WebAssembly module (emcc) and the TypeScript layer (tsc).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # emcc's JS optimizer needs acorn from Debian's node modules
if ! command -v emcmake >/dev/null; then
  echo "emscripten is missing: run 'bash scripts/setup.sh' (or apt-get install emscripten)" >&2
  exit 1
fi
emcmake cmake --preset wasm-module >/dev/null
cmake --build --preset wasm-module -j"$(nproc)"
rm -rf dist
npx tsc -p tsconfig.json
mkdir -p dist/wasm
cp build/wasm/realtime_wasm.mjs build/wasm/realtime_wasm.wasm web/src/wasm/realtime_wasm.d.mts dist/wasm/
echo "built dist/ ($(du -sh dist | cut -f1))"
