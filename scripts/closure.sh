#!/usr/bin/env bash
# Closure Compiler for emcc's --closure=1 (scripts/build.sh points EM_CLOSURE_COMPILER here).
# Debian's emcc 3.1.6 ships no Closure; this runs the npm google-closure-compiler (a
# devDependency) and bridges the two versions: the language name emcc 3.1.6 passes was renamed,
# and 3.1.6's externs re-declare the WebGPU globals that newer Closure has built in (an error).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
args=()
n=0
for a in "$@"; do
  case "$a" in
    ECMASCRIPT_NEXT_IN) args+=(ECMASCRIPT_NEXT) ;;
    */closure-externs/closure-externs.js)
      n=$((n + 1))
      grep -Ev '^var GPU[A-Za-z]*;$' "$a" > "$tmp/externs$n.js"
      args+=("$tmp/externs$n.js") ;;
    *) args+=("$a") ;;
  esac
done
"$here/node_modules/.bin/google-closure-compiler" "${args[@]}"
