/*
 * The fused batch norm's loops (../kernels/batch_norm.c, the WebAssembly thread pool's source)
 * compiled natively into the shim (issue #13): they run on tfjs's own arrays, passed by pointer,
 * on OpenMP's threads, so a call copies nothing into or out of the WebAssembly arena. The same
 * float operations in the same order as the wasm build and the JS loops (build.sh compiles with
 * -ffp-contract=off): identical bits for any thread count. No shared state, no lock.
 */
#include <omp.h>
#include <stdint.h>

#include "../kernels/batch_norm.c"

/* Which loop llmseg_bn runs; the JS side passes these numbers (batch_norm_kernel.ts). */
enum { BN_MOMENTS = 0, BN_ADD_BIAS = 1, BN_FORWARD = 2, BN_GRAD_SUMS = 3, BN_GRAD_DX = 4 };

/* The header block: voxels, channels, relu, divide, and the rows of `stats` (1 or 4). */
enum { BN_HEADER = 5 };

/*
 * Runs loop `which` (BN_*) on all OpenMP threads over the caller's arrays, laid out as the
 * WebAssembly path's arena regions: `stats` mean[, inv_std, gamma, neg_beta] (`channels` floats
 * each), `sums` sum_g, sum_gxhat and `coefficients` scale, mean_g, mean_gxhat (`channels` doubles
 * each); any may be NULL where the loop does not read it. 0 on success, 1 on an unknown `which`.
 */
int llmseg_bn(int which, const int32_t *header, float *x, float *dy, float *stats, float *variance,
              const float *bias, double *sums, const double *coefficients) {
  void (*loop)(const BatchNorm *, int, int) = which == BN_MOMENTS     ? bn_moments
                                              : which == BN_ADD_BIAS  ? bn_add_bias
                                              : which == BN_FORWARD   ? bn_forward
                                              : which == BN_GRAD_SUMS ? bn_grad_sums
                                              : which == BN_GRAD_DX   ? bn_grad_dx
                                                                      : 0;
  if (!loop) return 1;
  const int C = header[1], rows = header[4];
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
      .sum_g = sums,
      .sum_gxhat = sums ? sums + C : 0,
      .scale = coefficients,
      .mean_g = coefficients ? coefficients + C : 0,
      .mean_gxhat = coefficients ? coefficients + 2 * C : 0,
      .variance = variance,
      .divide = header[3],
      .bias = bias,
  };
#pragma omp parallel
  loop(&p, omp_get_thread_num(), omp_get_num_threads());
  return 0;
}
