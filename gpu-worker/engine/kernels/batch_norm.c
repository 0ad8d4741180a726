// Fused batch norm (+ ReLU) over NDHWC float32 data viewed as [voxels, channels], the hot loops of
// batch_norm_relu.ts on the thread pool. Same arithmetic as its JS fallback, operation for
// operation (float32 values, float64 sums and gradient, -ffp-contract=off): the same bits.
// Entry points take (params, t, T); results do not depend on T. One source, two builds: WebAssembly
// for the thread pool (build.ts: SIMD128, exported by name) and native into the oneDNN shim
// (onednn/batch_norm_native.c: plain C loops, the same float operations in the same order).
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#define KERNEL(name) __attribute__((export_name(name)))
#else
#define KERNEL(name) static
#endif

typedef struct {
  int voxels, channels, relu;
  const float* x;               // the op's input (before its bias: see input())
  const float* dy;              // backward: incoming gradient
  float* mean;                  // per channel, as the next three (bn_moments writes it)
  const float* inv_std;
  const float* gamma;
  const float* neg_beta;        // -beta: see bn_forward
  double* sum_g;                // backward pass 1 out: sum of g
  double* sum_gxhat;            // and of g * xhat
  const double* scale;          // backward pass 2 in: gamma * inv_std
  const double* mean_g;         // sum_g / N (0 with running statistics)
  const double* mean_gxhat;     // sum_gxhat / N (idem)
  float* variance;              // bn_moments out, with mean
  int divide;                   // bn_moments: divide each term by N before summing (stock Mean)
  const float* bias;            // the preceding conv's bias, per channel: see input()
  float* out;                   // bn_forward: y; bn_grad_dx: dx (its own array, no input's)
} BatchNorm;

// The op's input at x[i] (channel c): x + bias, one float32 add as tfjs's Add kernel (the same
// bits). Every loop reads it so: the bias-added tensor is never stored, neither as a tfjs tensor on
// the tape nor as a working copy here. An op without a bias gets -0.0f per channel: x + -0 is x bit
// for bit (+0 + -0 = +0), and the loops need no branch on whether there is one.
static inline float input(const BatchNorm* p, const float* x, long i, int c) {
  return x[i] + p->bias[c];
}

// The forward's value before the ReLU: the same float32 operations as bn_forward's.
static inline float normalized(const BatchNorm* p, float x, int c) {
  return ((x - p->mean[c]) * p->inv_std[c]) * p->gamma[c] - p->neg_beta[c];
}

// g = dy where the forward's ReLU passed (output > 0, i.e. normalized > 0), else 0; dy without a
// ReLU. The mask is recomputed from x (identical bits) rather than copying the output in: one
// tensor less per call. The select is bitwise (dy's bits or +0.0f's, all zero) and covers the
// no-ReLU case too: the mask is random, a branch would mispredict half the time (gcc branches on a
// float `?:`), and without control flow in the loops gcc vectorises them.
static inline double masked(const BatchNorm* p, float x, float dy, int c) {
  union {
    float f;
    unsigned int bits;
  } g = {dy};
  g.bits &= -(unsigned int)(!p->relu | (normalized(p, x, c) > 0));
  return g.f;
}

static inline int share_of(int total, int t, int T) { return (int)((long long)total * t / T); }

// Per-channel mean of x (of the float32 squared deviations from `center` when given) into out,
// as the JS channelMean: float64 sums over the voxels in order, each term divided by N first
// (`divide`, tfjs's stock Mean) or the sum scaled by 1/N. Channels c0..c1 only; sums as scratch.
static void channel_mean(const BatchNorm* p, const float* center, int c0, int c1, float* out) {
  const int C = p->channels;
  const double count = p->voxels;
  const float* __restrict x = p->x;
  double* __restrict sum = p->sum_g;
  for (int c = c0; c < c1; c++) sum[c] = 0;
  for (long row = 0; row < (long)p->voxels * C; row += C) {
    for (int c = c0; c < c1; c++) {
      float v = input(p, x, row + c, c);
      if (center) {
        const float d = v - center[c];
        v = d * d;
      }
      sum[c] += p->divide ? (float)(v / count) : v;
    }
  }
  for (int c = c0; c < c1; c++) out[c] = p->divide ? (float)sum[c] : (float)(sum[c] * (1 / count));
}

// Batch statistics (batch_norm_relu.ts channelMoments): mean, then the mean of the squared
// deviations. Threads split the channels, each a sequential sum as in the JS.
KERNEL("bn_moments") void bn_moments(const BatchNorm* p, int t, int T) {
  const int c0 = share_of(p->channels, t, T), c1 = share_of(p->channels, t + 1, T);
  channel_mean(p, 0, c0, c1, p->mean);
  channel_mean(p, p->mean, c0, c1, p->variance);
}

// y = ((x - mean) * inv_std) * gamma + beta, then max(0, y) (y < 0 ? 0 : y, as the JS) when relu.
// "+ beta" is written "- (-beta)" (the same IEEE result): build.ts fuses f32x4 mul-then-add
// pairs into relaxed_madd for the convolutions, and a fused rounding here would change results.
KERNEL("bn_forward") void bn_forward(const BatchNorm* p, int t, int T) {
  const int C = p->channels;
  const int end = share_of(p->voxels, t + 1, T);
  for (int v = share_of(p->voxels, t, T); v < end; v++) {
    const float* __restrict x = p->x + (long)v * C;
    float* __restrict y = p->out + (long)v * C;
    int c = 0;
#ifdef __wasm_simd128__
    // pmax(a, 0) is a < 0 ? 0 : a, the scalar loop's select below.
    const v128_t zero = wasm_f32x4_splat(0.0f);
    for (; c < (C & ~3); c += 4) {
      v128_t a = wasm_f32x4_add(wasm_v128_load(x + c), wasm_v128_load(p->bias + c));
      a = wasm_f32x4_sub(a, wasm_v128_load(p->mean + c));
      a = wasm_f32x4_mul(a, wasm_v128_load(p->inv_std + c));
      a = wasm_f32x4_mul(a, wasm_v128_load(p->gamma + c));
      a = wasm_f32x4_sub(a, wasm_v128_load(p->neg_beta + c));
      wasm_v128_store(y + c, p->relu ? wasm_f32x4_pmax(a, zero) : a);
    }
#endif
    for (; c < C; c++) {
      const float a = normalized(p, input(p, x, c, c), c);
      y[c] = p->relu && a < 0 ? 0 : a;
    }
  }
}

// Gradient pass 1: per channel, sum_g and sum_gxhat over the voxels in order. Threads split the
// channels (each sum stays one sequential float64 sum, as in the JS). Fields are read into
// restrict locals: stores to the sums could otherwise alias them and force reloads.
KERNEL("bn_grad_sums") void bn_grad_sums(const BatchNorm* p, int t, int T) {
  const int C = p->channels, c0 = share_of(C, t, T), c1 = share_of(C, t + 1, T);
  const float* __restrict x = p->x;
  const float* __restrict dy = p->dy;
  const float* __restrict mean = p->mean;
  const float* __restrict inv_std = p->inv_std;
  double* __restrict sum_g = p->sum_g;
  double* __restrict sum_gxhat = p->sum_gxhat;
  for (int c = c0; c < c1; c++) sum_g[c] = sum_gxhat[c] = 0;
  for (long row = 0; row < (long)p->voxels * C; row += C) {
    for (int c = c0; c < c1; c++) {
      const float xb = input(p, x, row + c, c);
      const double xhat = ((double)xb - mean[c]) * inv_std[c];
      const double g = masked(p, xb, dy[row + c], c);
      sum_g[c] += g;
      sum_gxhat[c] += g * xhat;
    }
  }
}

// Gradient pass 2: dx = scale * (g - mean_g - xhat * mean_gxhat) into out.
KERNEL("bn_grad_dx") void bn_grad_dx(const BatchNorm* p, int t, int T) {
  const int C = p->channels;
  const float* __restrict x = p->x;
  const float* __restrict dy = p->dy;
  float* __restrict dx = p->out;
  const float* __restrict mean = p->mean;
  const float* __restrict inv_std = p->inv_std;
  const double* __restrict scale = p->scale;
  const double* __restrict mean_g = p->mean_g;
  const double* __restrict mean_gxhat = p->mean_gxhat;
  const long end = (long)share_of(p->voxels, t + 1, T) * C;
  for (long row = (long)share_of(p->voxels, t, T) * C; row < end; row += C) {
    for (int c = 0; c < C; c++) {
      const float xb = input(p, x, row + c, c);
      const double xhat = ((double)xb - mean[c]) * inv_std[c];
      const double g = masked(p, xb, dy[row + c], c);
      dx[row + c] = (float)(scale[c] * (g - mean_g[c] - xhat * mean_gxhat[c]));
    }
  }
}
