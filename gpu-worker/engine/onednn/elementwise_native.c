/*
 * The memory-bound kernels of the CPU engine on OpenMP's threads (issue #13): as single-threaded
 * JS loops (transpose_kernel.ts, elementwise_kernels.ts) they kept one core busy while the other
 * idled. Each function gives the bits of the JS loop it replaces, for any thread count:
 * - copies are exact;
 * - Add/Sub/Multiply/RealDiv are one float operation per element (JS rounds the double result of
 *   two floats once, which equals the float operation for +, -, ·, /);
 * - the SGD update rounds each product and sum to float as the JS kernel's Math.fround does
 *   (built with -ffp-contract=off: no fused multiply-add);
 * - a reduction keeps one float64 running sum per output in the JS order: threads split the
 *   outputs, never one sum.
 * They hold no state and take no lock.
 */
#include <stdint.h>
#include <string.h>

int omp_get_num_threads(void);
int omp_get_thread_num(void);

/* This thread's share [begin, end) of `count` items split evenly over the team. */
static void share(int64_t count, int64_t *begin, int64_t *end) {
  const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
  *begin = count * t / threads;
  *end = count * (t + 1) / threads;
}

/*
 * out = x (of `rank` dims `shape`) with its axes permuted by `perm`, written row by row (rows of the
 * output's last axis): a memcpy where the last axis stays in place, a strided gather where it
 * moves. Threads split the rows.
 */
void llmseg_transpose(int rank, const int32_t *shape, const int32_t *perm, const float *x,
                      float *out) {
  int64_t in_strides[rank], strides[rank], out_shape[rank], n = 1;
  for (int axis = rank - 1; axis >= 0; axis--) {
    in_strides[axis] = n;
    n *= shape[axis];
  }
  for (int axis = 0; axis < rank; axis++) {
    out_shape[axis] = shape[perm[axis]];
    strides[axis] = in_strides[perm[axis]];
  }
  const int64_t row = out_shape[rank - 1], step = strides[rank - 1];
  if (row == 0) return;
#pragma omp parallel
  {
    int64_t first, last;
    share(n / row, &first, &last);
    /* The odometer over the output's leading axes, started at this thread's first row. */
    int64_t index[rank > 1 ? rank - 1 : 1], src = 0, r = first;
    for (int axis = rank - 2; axis >= 0; axis--) {
      index[axis] = r % out_shape[axis];
      r /= out_shape[axis];
      src += index[axis] * strides[axis];
    }
    for (r = first; r < last; r++) {
      float *o = out + r * row;
      if (step == 1) {
        memcpy(o, x + src, row * sizeof(float));
      } else {
        for (int64_t j = 0, s = src; j < row; j++, s += step) o[j] = x[s];
      }
      for (int axis = rank - 2; axis >= 0; axis--) {
        index[axis]++;
        src += strides[axis];
        if (index[axis] < out_shape[axis]) break;
        src -= strides[axis] * out_shape[axis];
        index[axis] = 0;
      }
    }
  }
}

/* Outputs one thread's sums of the inner > 1 case hold at once (a stack block). */
enum { SUM_BLOCK = 512 };

/*
 * out[o, j] = scale · Σ_m x[o, m, j], x viewed as [outer, middle, inner]: each sum in float64,
 * m ascending (elementwise_kernels.ts's reduceMiddle). Threads split the outer · inner outputs.
 */
void llmseg_reduce_middle(int64_t outer, int64_t middle, int64_t inner, double scale,
                          const float *x, float *out) {
#pragma omp parallel
  {
    int64_t q, end;
    share(outer * inner, &q, &end);
    if (inner == 1) {
      for (; q < end; q++) {
        const float *p = x + q * middle;
        double sum = 0;
        for (int64_t m = 0; m < middle; m++) sum += p[m];
        out[q] = (float)(sum * scale);
      }
    }
    /* Outputs q..q+width of one outer index o, at most a block of them at a time. */
    while (inner > 1 && q < end) {
      const int64_t o = q / inner, j = q % inner;
      int64_t width = inner - j < end - q ? inner - j : end - q;
      if (width > SUM_BLOCK) width = SUM_BLOCK;
      double acc[SUM_BLOCK];
      for (int64_t k = 0; k < width; k++) acc[k] = 0;
      for (int64_t m = 0; m < middle; m++) {
        const float *p = x + (o * middle + m) * inner + j;
        for (int64_t k = 0; k < width; k++) acc[k] += p[k];
      }
      for (int64_t k = 0; k < width; k++) out[q + k] = (float)(acc[k] * scale);
      q += width;
    }
  }
}

/* The binary ops, numbered as the JS side passes them: Add, Sub, Multiply, RealDiv. */
enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3 };

#define APPLY(OP, x, y) \
  ((OP) == OP_ADD ? (x) + (y) : (OP) == OP_SUB ? (x) - (y) : (OP) == OP_MUL ? (x) * (y) : (x) / (y))

/*
 * One op's loops over this thread's elements [p, end) of `big`, viewed as [outer, middle, inner]
 * with `small` as [outer, 1, inner]: element-wise (middle 1), one small value per run of `middle`
 * (inner 1: a scalar, or `[..., 1]` against `[..., K]`), or one small row per big row (a
 * per-channel vector, a Dropout3d mask).
 */
#define BINARY_LOOPS(OP)                                                              \
  if (middle == 1) {                                                                  \
    for (; p < end; p++)                                                              \
      out[p] = swapped ? APPLY(OP, small[p], big[p]) : APPLY(OP, big[p], small[p]);   \
  }                                                                                   \
  while (middle > 1 && inner == 1 && p < end) {                                       \
    const float s = small[p / middle];                                                \
    int64_t stop = (p / middle + 1) * middle;                                         \
    if (stop > end) stop = end;                                                       \
    for (; p < stop; p++) out[p] = swapped ? APPLY(OP, s, big[p]) : APPLY(OP, big[p], s); \
  }                                                                                   \
  while (middle > 1 && inner > 1 && p < end) {                                        \
    const int64_t row = p / inner * inner;                                            \
    const float *y = small + p / inner / middle * inner;                              \
    const int64_t stop = row + inner < end ? row + inner : end;                       \
    for (; p < stop; p++)                                                             \
      out[p] = swapped ? APPLY(OP, y[p - row], big[p]) : APPLY(OP, big[p], y[p - row]); \
  }

/*
 * out[p] = big[p] op small[index(p)] (small op big when `swapped`), `big` of `n` elements viewed
 * as [n / (middle · inner), middle, inner] and `small` as [n / (middle · inner), 1, inner]
 * (elementwise_kernels.ts's broadcastOf). 0 on success, 1 for an unknown op.
 */
int llmseg_binary(int op, int swapped, int64_t n, int64_t middle, int64_t inner, const float *big,
                  const float *small, float *out) {
  if (op < OP_ADD || op > OP_DIV) return 1;
#pragma omp parallel
  {
    int64_t p, end;
    share(n, &p, &end);
    switch (op) {
      case OP_ADD: BINARY_LOOPS(OP_ADD) break;
      case OP_SUB: BINARY_LOOPS(OP_SUB) break;
      case OP_MUL: BINARY_LOOPS(OP_MUL) break;
      default: BINARY_LOOPS(OP_DIV) break;
    }
  }
  return 0;
}

/*
 * PyTorch SGD's update of one parameter (the engine's LlmsegSgdMomentum): g = grad + wd·w,
 * buf = μ·buffer + g (buf = g without a buffer: `has_buffer` 0), w − lr·buf.
 */
void llmseg_sgd(int64_t n, const float *w, const float *grad, const float *buffer, int has_buffer,
                float lr, float momentum, float weight_decay, float *out_w, float *out_buffer) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float g = weight_decay == 0.0f ? grad[i] : grad[i] + w[i] * weight_decay;
    const float b = has_buffer ? buffer[i] * momentum + g : g;
    out_buffer[i] = b;
    out_w[i] = w[i] - b * lr;
  }
}
