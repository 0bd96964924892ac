#!/usr/bin/env bash
# One command from a fresh clone to a working checkout: Node 22+ (fetched from the npm registry
# when the machine's Node is older), every npm dependency, the generated Prisma client, and the
# Shopify app's build (what `npm start` serves).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/use-node.sh
echo "Using Node $(node --version), npm $(npm --version)"
if [ -f package-lock.json ]; then npm ci; else npm install; fi
# `npm start` serves the built Shopify app (it would build it on first start otherwise).
echo
echo "Building the Shopify app (npm run build -w shopify-app)"
npm run build -w shopify-app
echo
echo "Ready. Run the product with 'npm start' and the tests with 'npm test'."
