#!/usr/bin/env bash
# `npm start`: the backend host (shopify-app/server.ts: core's backend with the Shopify app on the
# same server). Builds the app first when its build is missing or stale (scripts/ensure-app-build.mjs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/use-node.sh
node scripts/ensure-app-build.mjs
exec node --import tsx shopify-app/server.ts
