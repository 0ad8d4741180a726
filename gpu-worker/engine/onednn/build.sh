#!/usr/bin/env bash
# Builds the oneDNN shim (issue #13) into build/libllmseg_dnnl.so, next to this script, when
# oneDNN's headers (Debian libdnnl-dev) and a C compiler are present; without them it says so and
# exits 0: the engine then runs on the WebAssembly kernels alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null || [ ! -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  echo "onednn: no C compiler or libdnnl-dev; the CPU engine stays on WebAssembly" >&2
  exit 0
fi
mkdir -p "$here/build"
# -fopenmp: batch_norm_native.c's parallel loops; -ffp-contract=off: they match the JS bit for bit;
# -O3: gcc vectorises their loops over the channels only from -O3 on.
"$cc" -O3 -Wall -Werror -shared -fPIC -fopenmp -ffp-contract=off \
  -o "$here/build/libllmseg_dnnl.so" -pthread "$here/llmseg_dnnl.c" "$here/batch_norm_native.c" \
  -ldnnl -lgomp
