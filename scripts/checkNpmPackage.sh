#!/usr/bin/env bash
# What npm users install: packs the CLI (prepack builds it), installs the tarball into an empty
# prefix as the README says to offline (--ignore-scripts: onnxruntime-node's install script, which
# would fetch its CUDA provider from nuget.org, does not run; nothing comes from outside npm) and
# runs --version, diff, spectral and generate from there on the tiny test checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
npm install --global --silent --no-audit --no-fund --prefix "$work/prefix" --ignore-scripts "$work/$tarball"
cli="$work/prefix/bin/frankenlens"
model="$PWD/test/fixtures/qwen2_5_vl_tiny"
cd "$work"
"$cli" --version
"$cli" diff --in "$model" --rl "$model" --out diff --quiet >/dev/null
"$cli" spectral --in "$model" --rl "$model" --out spectral --quiet >/dev/null
"$cli" generate --model "$model" --prompt "Hi" --max-new-tokens 2 --cache-dir "$work/graphs" --json >/dev/null
test -s diff/diff.json && test -s spectral/spectral.json
echo "npm package: frankenlens from the packed tarball ran --version, diff, spectral and generate"
