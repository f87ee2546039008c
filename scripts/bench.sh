#!/usr/bin/env bash
# Runs every benchmark (bench/*.mjs: ws-ingest, sse-ingest, delivery, placement, server-publish,
# worker-main-thread) against the built package in dist/. Arguments are passed to
# each bench (e.g. --runs=5 --count=200000). Builds first when dist/ is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/index.js ]; then bash scripts/build.sh; fi
status=0
for bench in bench/*.mjs; do
  echo "== $bench"
  node "$bench" "$@" || status=1
  echo
done
exit $status
