#!/usr/bin/env bash
# The main job: installs what is missing, builds the package, and runs the example.
set -euo pipefail
cd "$(dirname "$0")/.."
RT_SKIP_BROWSER=1 bash scripts/setup.sh
bash scripts/build.sh
exec node examples/echo-rtt.mjs "$@"
