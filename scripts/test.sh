#!/usr/bin/env bash
# Every test: native GoogleTest (ctest), the same suite built with em++ and run under node, the
# package build, the JS tests against real servers (node --test), and the brief fuzz runs. The
# lint runs first (fail fast); the C++ builds use the presets of CMakePresets.json. Every JS test
# has a timeout (--test-timeout; a test may set a longer one itself).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NODE_PATH=/usr/share/nodejs
jobs=$(nproc)

echo "== lint (eslint, clang-format, tsc --noEmit)"
bash scripts/lint.sh

echo "== native core tests (g++, ctest)"
cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs"
ctest --preset native -j"$jobs"

echo "== the same core tests in WebAssembly (em++, node)"
emcmake cmake --preset wasm-tests >/dev/null
cmake --build --preset wasm-tests -j"$jobs"
ctest --preset wasm-tests

echo "== package build, demo build"
bash scripts/build.sh
npx vite build --config web/demo/vite.config.ts --logLevel warn

echo "== JS tests against real servers (node --test)"
node --experimental-eventsource --test --test-concurrency=1 --test-timeout=120000 tests/js/*.test.mjs

if [ "${RT_SKIP_FUZZ:-0}" != 1 ] && [ -f scripts/fuzz.sh ]; then
  echo "== fuzzing (brief, ASan + UBSan)"
  bash scripts/fuzz.sh "${RT_FUZZ_SECONDS:-30}"
fi
