#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine (run as root, or with sudo available):
# system packages the tests and the service use, the oneDNN shim of the CPU engine (issue #13),
# then the Deno dependencies.
# Deno itself comes from the npm registry through `npm ci` (node_modules/.bin/deno).
set -euo pipefail
cd "$(dirname "$0")/.."

# libdnnl-dev + gcc: the native CPU engine's shim (gpu-worker/engine/onednn), built below.
packages=(redis-server chromium libdnnl-dev gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} from Debian" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash gpu-worker/engine/onednn/build.sh

[ -x node_modules/.bin/deno ] || npm ci --no-audit --no-fund
npx deno install --frozen >/dev/null
npx deno run -A edge/web/build.ts >/dev/null   # the web client the edge serves at /
