#!/usr/bin/env bash
# Every test: native GoogleTest (ctest), the same suite built with em++ and run under node, the
# package build, the JS tests against real servers (node --test), and the brief fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NODE_PATH=/usr/share/nodejs
jobs=$(nproc)

echo "== lint (eslint, clang-format, tsc --noEmit)"
bash scripts/lint.sh

echo "== native core tests (g++, ctest)"
cmake -S . -B build/native -DRT_BUILD_MODULE=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$jobs"
ctest --test-dir build/native --output-on-failure -j"$jobs"

echo "== the same core tests in WebAssembly (em++, node)"
emcmake cmake -S . -B build/wasm-tests -DRT_BUILD_MODULE=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm-tests -j"$jobs"
ctest --test-dir build/wasm-tests --output-on-failure

echo "== package build, demo build"
bash scripts/build.sh
npx vite build --config web/demo/vite.config.ts --logLevel warn

echo "== JS tests against real servers (node --test)"
node --experimental-eventsource --test --test-concurrency=1 --test-timeout=120000 tests/js/*.test.mjs

if [ "${RT_SKIP_FUZZ:-0}" != 1 ] && [ -f scripts/fuzz.sh ]; then
  echo "== fuzzing (brief, ASan + UBSan)"
  bash scripts/fuzz.sh "${RT_FUZZ_SECONDS:-30}"
fi
