#!/usr/bin/env bash
# Builds the oneDNN shim (issue #13) into build/libllmseg_dnnl.so, next to this script, when
# oneDNN's headers (Debian libdnnl-dev) and a C compiler are present; without them it says so and
# exits 0: the engine then runs on the WebAssembly kernels alone.
# -fopenmp: elementwise_native.c's loops run on OpenMP's threads (oneDNN's own); -ffp-contract=off:
# no fused multiply-add, so they round as the JS kernels they replace.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null || [ ! -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  echo "onednn: no C compiler or libdnnl-dev; the CPU engine stays on WebAssembly" >&2
  exit 0
fi
mkdir -p "$here/build"
# -fopenmp: the parallel loops of elementwise_native.c and batch_norm_native.c; -ffp-contract=off:
# they match the JS bit for bit; -O3: gcc vectorises the batch norm's loops over the channels only
# from -O3 on.
"$cc" -O3 -Wall -Werror -shared -fPIC -fopenmp -ffp-contract=off \
  -o "$here/build/libllmseg_dnnl.so" -pthread "$here/llmseg_dnnl.c" "$here/elementwise_native.c" \
  "$here/batch_norm_native.c" \
  -ldnnl -lgomp
