#!/usr/bin/env bash
# Runs a command with Node 22+ first on PATH (see use-node.sh), so `npm start` and `npm test`
# work the same on a machine whose own Node is older.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/use-node.sh"
exec "$@"
