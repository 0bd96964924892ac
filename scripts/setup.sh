#!/usr/bin/env bash
# One command from a fresh clone to a working checkout: Node 22+ (fetched from the npm registry
# when the machine's Node is older), every npm dependency, and the generated Prisma client.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/use-node.sh
echo "Using Node $(node --version), npm $(npm --version)"
if [ -f package-lock.json ]; then npm ci; else npm install; fi
echo
echo "Ready. Run the product with 'npm start' and the tests with 'npm test'."
