/*
 * The fused batch norm's loops (../kernels/batch_norm.c, the WebAssembly thread pool's source)
 * compiled natively into the shim (issue #13): they run on tfjs's own arrays, passed by pointer,
 * on OpenMP's threads, so a call copies nothing into or out of the WebAssembly arena. The same
 * float operations in the same order as the wasm build and the JS loops (build.sh compiles with
 * -ffp-contract=off): identical bits for any thread count. No shared state, no lock.
 */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/batch_norm.c"

/* Which loop llmseg_bn runs; the JS side passes these numbers (batch_norm_kernel.ts). */
enum { BN_MOMENTS = 0, BN_FORWARD = 1, BN_GRAD_SUMS = 2, BN_GRAD_DX = 3 };

/*
 * Runs loop `which` (BN_*) on all OpenMP threads over the caller's arrays; `header`: voxels,
 * channels, relu, divide, and the rows of `stats` (1 or 4). The arrays are laid out as the
 * WebAssembly path's arena regions: `stats` mean[, inv_std, gamma, neg_beta] (`channels` floats
 * each), `sums` sum_g, sum_gxhat and `coefficients` scale, mean_g, mean_gxhat (`channels` doubles
 * each); `bias` the conv's bias or -0.0f per channel (see input()); `out` the forward's output or
 * dx, never one of the inputs. The others may be NULL where the loop does not use them. 0 on success, 1 on an unknown `which`,
 * 2 when out of memory.
 */
int llmseg_bn(int which, const int32_t *header, const float *x, const float *dy, float *stats,
              float *variance, const float *bias, double *sums, const double *coefficients,
              float *out) {
  void (*loop)(const BatchNorm *, int, int) = which == BN_MOMENTS     ? bn_moments
                                              : which == BN_FORWARD   ? bn_forward
                                              : which == BN_GRAD_SUMS ? bn_grad_sums
                                              : which == BN_GRAD_DX   ? bn_grad_dx
                                                                      : 0;
  if (!loop) return 1;
  const int C = header[1], rows = header[4];
  /* The per-channel sums in a cache-line aligned scratch: every row, each thread updates the sums
   * of its channels, and where two threads' sums shared a cache line of the caller's array (JS
   * aligns it to 16 bytes at best) that line would bounce between their cores (measured in the
   * co-training profile: bn_grad_sums at 1.9x its aligned time). The WebAssembly arena aligns its
   * regions so already. */
  const size_t sums_bytes = (size_t)2 * C * sizeof(double);
  double *aligned = sums ? aligned_alloc(64, (sums_bytes + 63) / 64 * 64) : 0;
  if (sums && !aligned) return 2;
  if (aligned) memcpy(aligned, sums, sums_bytes);
  const BatchNorm p = {
      .voxels = header[0],
      .channels = C,
      .relu = header[2],
      .x = x,
      .dy = dy,
      .mean = stats,
      .inv_std = rows == 4 ? stats + C : 0,
      .gamma = rows == 4 ? stats + 2 * C : 0,
      .neg_beta = rows == 4 ? stats + 3 * C : 0,
      .sum_g = aligned,
      .sum_gxhat = aligned ? aligned + C : 0,
      .scale = coefficients,
      .mean_g = coefficients ? coefficients + C : 0,
      .mean_gxhat = coefficients ? coefficients + 2 * C : 0,
      .variance = variance,
      .divide = header[3],
      .bias = bias,
      .out = out,
  };
#pragma omp parallel
  loop(&p, omp_get_thread_num(), omp_get_num_threads());
  if (aligned) {
    memcpy(sums, aligned, sums_bytes);
    free(aligned);
  }
  return 0;
}
