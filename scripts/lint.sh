#!/usr/bin/env bash
# Static checks, fast (scripts/test.sh runs this first): ESLint over the TypeScript layer, the demo,
# the JS tests and the benchmarks; clang-format (.clang-format: Google, 100 columns) over the C++;
# that the files generated from C++ tables are current; and the TypeScript type check (tsc --noEmit). Exits non-zero on the first failing check.
#
#   scripts/lint.sh          (also: npm run lint)
#   scripts/lint.sh --fix    applies eslint --fix and clang-format -i instead of only checking
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
[ "${1:-}" = --fix ] && fix=1

echo "== eslint"
eslint_args=(web/src web/server web/demo tests/js bench examples eslint.config.js)
if [ "$fix" = 1 ]; then
  npx eslint --fix "${eslint_args[@]}"
else
  npx eslint --max-warnings=0 "${eslint_args[@]}"
fi

echo "== clang-format"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
if ! command -v "$CLANG_FORMAT" >/dev/null; then
  echo "lint: $CLANG_FORMAT not found: run 'bash scripts/setup.sh' (or apt-get install clang-format)" >&2
  exit 2
fi
shopt -s nullglob
cxx=(src/*.h src/*.cpp emscripten/*.h emscripten/*.cpp tests/native/*.h tests/native/*.cpp tests/fuzz/*.cpp)
if [ "$fix" = 1 ]; then
  "$CLANG_FORMAT" -i "${cxx[@]}"
else
  "$CLANG_FORMAT" --dry-run -Werror "${cxx[@]}"
fi
echo "${#cxx[@]} files formatted"

echo "== generated files"
node scripts/gen-errc.mjs --check  # web/src/errc-names.ts from src/errc.cpp

echo "== tsc --noEmit"
npx tsc --noEmit -p tsconfig.json
echo "lint: ok"
