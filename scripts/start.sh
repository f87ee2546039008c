#!/usr/bin/env bash
# The main job: installs what is missing, builds the package and the demo app (chat room, live
# dashboard, diagnostics), and starts the demo server. Prints the URL to open.
set -euo pipefail
cd "$(dirname "$0")/.."
RT_SKIP_BROWSER=1 bash scripts/setup.sh
bash scripts/build.sh
npx vite build --config web/demo/vite.config.ts --logLevel warn
exec node web/demo/server/demo-server.mjs "$PWD/build/demo"
