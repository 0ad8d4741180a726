// 3-D convolution kernels for the tfjs cpu backend (issue #4), NDHWC tensors, float32.
// Built to WebAssembly SIMD128 by build.ts; every entry point takes (params, tensors..., t, T)
// and computes thread t's share of T. Each output element is owned by exactly one thread and
// summed in a fixed order, so results do not depend on T (reproducible seeded training).
#include <wasm_simd128.h>

typedef struct {
  int n, id, ih, iw, ci;   // input (x or dx) shape
  int od, oh, ow, co;      // output (y or dy) shape
  int kd, kh, kw;          // filter extent
  int sd, sh, sw;          // strides
  int pd, ph, pw;          // front/top/left padding
} Conv;

// FMA written as mul+add: clang 14 has no relaxed-SIMD builtin; see build.ts for the fused variant.
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))

// Keeps clang from hoisting the next voxel's x load above this point: it would otherwise load all
// splats first and need more SIMD registers than V8 has (spills in the inner loop).
#define SCHEDULE_BARRIER() __asm__ volatile("" ::: "memory")

static inline int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
static inline int min_i(int a, int b) { return a < b ? a : b; }
static inline int max_i(int a, int b) { return a > b ? a : b; }
// Stores the first n lanes of a (all when n >= 4). Lanes by constant index: a local array would
// live on the C stack, which all threads' instances share (build.ts rejects stack use).
static inline void store_first(float* p, v128_t a, int n) {
  if (n >= 4) {
    wasm_v128_store(p, a);
    return;
  }
  if (n > 0) p[0] = wasm_f32x4_extract_lane(a, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(a, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(a, 2);
}
static inline int share_begin(int total, int t, int T) { return (int)((long long)total * t / T); }

// ---- forward: y[b,z,r,c,o] = sum_{kd,kh,kw,i} x[b, z*sd-pd+kd, r*sh-ph+kh, c*sw-pw+kw, i] * w[kd,kh,kw,i,o]
// w comes packed by output-channel block (conv3d_kernels.ts runForward): block ob holds
// w[kd,kh,kw,i, ob*FWD_CH + 0..FWD_CH-1] contiguously, [taps][ci][FWD_CH], zero-padded past co,
// so the inner loop reads consecutive weights and needs no channel tail code.

// Register tile: FWD_VOX consecutive output voxels (flattened over batch, depth, rows and columns,
// so narrow deep layers fill it too) x FWD_CH channels = 12 f32x4 accumulators; with 2 weight
// vectors and 1 splat that is 15 of V8's 16 SIMD registers.
#define FWD_VOX 6
#define FWD_NV 2
#define FWD_CH (4 * FWD_NV)
// Tiles per cache chunk: all channel blocks of a chunk run over the same input neighbourhood.
#define FWD_CHUNK 16

// acc += x[j][s] * w[s] for s < n: per step 2 weight vectors, FWD_VOX x splats, 12 multiply-adds.
static inline __attribute__((always_inline)) void fwd_steps(v128_t acc[FWD_VOX][FWD_NV],
                                                            const float* const xp[FWD_VOX],
                                                            const float* wp, int n) {
  for (int s = 0; s < n; s++) {
    v128_t wv[FWD_NV];
#pragma clang loop unroll(full)
    for (int v = 0; v < FWD_NV; v++) wv[v] = wasm_v128_load(wp + s * FWD_CH + 4 * v);
#pragma clang loop unroll(full)
    for (int j = 0; j < FWD_VOX; j++) {
      const v128_t xs = wasm_v128_load32_splat(xp[j] + s);
#pragma clang loop unroll(full)
      for (int v = 0; v < FWD_NV; v++) acc[j][v] = MADD(xs, wv[v], acc[j][v]);
      SCHEDULE_BARRIER();
    }
  }
}

// One tile: voxels v0 .. v0+FWD_VOX-1 (those past the end are computed on zeros and not stored),
// channel block wb (packed weights). A tap outside the input reads the zero row `zero` (ci zeros),
// so every voxel runs the same loop; taps outside the input for every voxel are skipped.
static void fwd_tile(const Conv* p, const float* x, const float* wb, float* y, const float* zero,
                     long v0, long total, int o0) {
  const int ci = p->ci;
  const float* base[FWD_VOX];  // x at (b, 0, 0, 0): depth/row/column offsets added per tap
  int iz0[FWD_VOX], ir0[FWD_VOX], ic0[FWD_VOX];
#pragma clang loop unroll(full)
  for (int j = 0; j < FWD_VOX; j++) {
    const long v = v0 + j < total ? v0 + j : v0;
    const int c = (int)(v % p->ow), r = (int)(v / p->ow % p->oh), z = (int)(v / p->ow / p->oh % p->od);
    const int b = (int)(v / p->ow / p->oh / p->od);
    base[j] = x + (long)b * p->id * p->ih * p->iw * ci;
    // A voxel past the end gets a depth no tap reaches, so it reads zeros only.
    iz0[j] = v0 + j < total ? z * p->sd - p->pd : -p->kd;
    ir0[j] = r * p->sh - p->ph;
    ic0[j] = c * p->sw - p->pw;
  }
  v128_t acc[FWD_VOX][FWD_NV];
#pragma clang loop unroll(full)
  for (int j = 0; j < FWD_VOX; j++)
#pragma clang loop unroll(full)
    for (int v = 0; v < FWD_NV; v++) acc[j][v] = wasm_f32x4_splat(0.0f);
  const float* wp = wb;
  for (int kd = 0; kd < p->kd; kd++) {
    for (int kh = 0; kh < p->kh; kh++) {
      const float* row[FWD_VOX];  // start of the input row of this (kd, kh) tap, or 0
      const float* xp[FWD_VOX];
      // Whether every voxel has all kw taps of this row inside the input.
      int full = 1;
#pragma clang loop unroll(full)
      for (int j = 0; j < FWD_VOX; j++) {
        const int iz = iz0[j] + kd, ir = ir0[j] + kh;
        row[j] = iz >= 0 && iz < p->id && ir >= 0 && ir < p->ih
                     ? base[j] + ((long)iz * p->ih + ir) * p->iw * ci
                     : 0;
        full &= row[j] != 0 && ic0[j] >= 0 && ic0[j] + p->kw <= p->iw;
      }
      if (full) {
#pragma clang loop unroll(full)
        for (int j = 0; j < FWD_VOX; j++) xp[j] = row[j] + (long)ic0[j] * ci;
        // A voxel's kw taps are consecutive columns (any stride), so they are contiguous in x
        // ([kw][ci] from xp) as in the packed weights: one loop of kw*ci steps (for the
        // 1-channel first layer, 3 steps instead of 3 loops of 1).
        fwd_steps(acc, xp, wp, p->kw * ci);
        wp += (long)p->kw * ci * FWD_CH;
        continue;
      }
      for (int kw = 0; kw < p->kw; kw++, wp += (long)ci * FWD_CH) {
        int inside = 0;
#pragma clang loop unroll(full)
        for (int j = 0; j < FWD_VOX; j++) {
          const int ic = ic0[j] + kw;
          const int ok = row[j] != 0 && ic >= 0 && ic < p->iw;
          xp[j] = ok ? row[j] + (long)ic * ci : zero;
          inside |= ok;
        }
        if (inside) fwd_steps(acc, xp, wp, ci);
      }
    }
  }
  const int n = min_i(FWD_CH, p->co - o0);
#pragma clang loop unroll(full)
  for (int j = 0; j < FWD_VOX; j++) {
    if (v0 + j >= total) break;
    float* yp = y + (v0 + j) * p->co + o0;
#pragma clang loop unroll(full)
    for (int v = 0; v < FWD_NV; v++) store_first(yp + 4 * v, acc[j][v], n - 4 * v);
  }
}

// Thread t's share of the tiles, in chunks of FWD_CHUNK tiles; within a chunk, channel blocks
// outer, so a block's weights stay in cache over the chunk and the chunk's input over the blocks.
__attribute__((export_name("conv3d_forward"))) void conv3d_forward(const Conv* p, const float* x,
                                                                  const float* w, float* y,
                                                                  const float* zero, int t,
                                                                  int T) {
  const long total = (long)p->n * p->od * p->oh * p->ow;
  const int tiles = (int)((total + FWD_VOX - 1) / FWD_VOX);
  const int blocks = (p->co + FWD_CH - 1) / FWD_CH;
  const long block_size = (long)p->kd * p->kh * p->kw * p->ci * FWD_CH;
  const int end = share_begin(tiles, t + 1, T);
  for (int chunk = share_begin(tiles, t, T); chunk < end; chunk += FWD_CHUNK) {
    const int chunk_end = min_i(end, chunk + FWD_CHUNK);
    for (int ob = 0; ob < blocks; ob++)
      for (int tile = chunk; tile < chunk_end; tile++)
        fwd_tile(p, x, w + ob * block_size, y, zero, (long)tile * FWD_VOX, total, ob * FWD_CH);
  }
}

// ---- input gradient (Conv3DBackpropInputV2, also conv3dTranspose), any stride:
// dx[b,z,r,c,i] = sum over taps k with (z+pd-kd) % sd == 0 (and likewise r, c) of
//                 sum_o dy[b,(z+pd-kd)/sd,...,o] * wt[kd,kh,kw,o,i]   (wt: filter with i, o swapped)

static inline __attribute__((always_inline)) void dx_block(const Conv* p, const float* dy,
                                                           const float* wt, float* dx, int b,
                                                           int z, int r, int c, int i0,
                                                           const int NV) {
  v128_t acc[4];
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) acc[v] = wasm_f32x4_splat(0.0f);
  const int ci = p->ci, co = p->co;
  for (int kd = 0; kd < p->kd; kd++) {
    const int zz = z + p->pd - kd;
    if (zz < 0 || zz % p->sd) continue;
    const int oz = zz / p->sd;
    if (oz >= p->od) continue;
    for (int kh = 0; kh < p->kh; kh++) {
      const int rr = r + p->ph - kh;
      if (rr < 0 || rr % p->sh) continue;
      const int orow = rr / p->sh;
      if (orow >= p->oh) continue;
      for (int kw = 0; kw < p->kw; kw++) {
        const int cc = c + p->pw - kw;
        if (cc < 0 || cc % p->sw) continue;
        const int oc = cc / p->sw;
        if (oc >= p->ow) continue;
        const float* dyp = dy + ((((long)b * p->od + oz) * p->oh + orow) * p->ow + oc) * co;
        const float* wp = wt + ((long)((kd * p->kh + kh) * p->kw + kw) * co) * ci + i0;
        for (int o = 0; o < co; o++) {
          const v128_t g = wasm_f32x4_splat(dyp[o]);
#pragma clang loop unroll(full)
          for (int v = 0; v < NV; v++)
            acc[v] = MADD(g, wasm_v128_load(wp + (long)o * ci + 4 * v), acc[v]);
        }
      }
    }
  }
  float* dxp = dx + ((((long)b * p->id + z) * p->ih + r) * p->iw + c) * ci + i0;
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) wasm_v128_store(dxp + 4 * v, acc[v]);
}

static void dx_scalar(const Conv* p, const float* dy, const float* wt, float* dx, int b, int z,
                      int r, int c, int i) {
  float acc = 0.0f;
  const int ci = p->ci, co = p->co;
  for (int kd = 0; kd < p->kd; kd++) {
    const int zz = z + p->pd - kd;
    if (zz < 0 || zz % p->sd || zz / p->sd >= p->od) continue;
    for (int kh = 0; kh < p->kh; kh++) {
      const int rr = r + p->ph - kh;
      if (rr < 0 || rr % p->sh || rr / p->sh >= p->oh) continue;
      for (int kw = 0; kw < p->kw; kw++) {
        const int cc = c + p->pw - kw;
        if (cc < 0 || cc % p->sw || cc / p->sw >= p->ow) continue;
        const float* dyp =
            dy + ((((long)b * p->od + zz / p->sd) * p->oh + rr / p->sh) * p->ow + cc / p->sw) * co;
        const float* wp = wt + ((long)((kd * p->kh + kh) * p->kw + kw) * co) * ci + i;
        for (int o = 0; o < co; o++) acc += dyp[o] * wp[(long)o * ci];
      }
    }
  }
  dx[((((long)b * p->id + z) * p->ih + r) * p->iw + c) * ci + i] = acc;
}

__attribute__((export_name("conv3d_backprop_input"))) void conv3d_backprop_input(
    const Conv* p, const float* dy, const float* wt, float* dx, int t, int T) {
  const int rows = p->n * p->id * p->ih;
  const int end = share_begin(rows, t + 1, T);
  for (int row = share_begin(rows, t, T); row < end; row++) {
    const int r = row % p->ih, z = (row / p->ih) % p->id, b = row / (p->ih * p->id);
    for (int c = 0; c < p->iw; c++) {
      int i = 0;
      for (; i + 16 <= p->ci; i += 16) dx_block(p, dy, wt, dx, b, z, r, c, i, 4);
      for (; i + 4 <= p->ci; i += 4) dx_block(p, dy, wt, dx, b, z, r, c, i, 1);
      for (; i < p->ci; i++) dx_scalar(p, dy, wt, dx, b, z, r, c, i);
    }
  }
}

// ---- filter gradient (Conv3DBackpropFilterV2):
// dw[kd,kh,kw,i,o] = sum_{b,z,r,c} x[b, z*sd-pd+kd, r*sh-ph+kh, c*sw-pw+kw, i] * dy[b,z,r,c,o]
// Work unit = (tap k, block of 4 input channels), owned by one thread. Each output row's partial
// sum is formed in registers, then added to dw: rows in fixed order, so T does not matter.

// Partial sum over columns [c_lo, c_hi) of one row for NCI input channels x 4*NV output channels.
static inline __attribute__((always_inline)) void dw_block(const Conv* p, const float* xrow,
                                                           const float* dyrow, float* dwk, int kw,
                                                           int i0, int o0, int c_lo, int c_hi,
                                                           const int NCI, const int NV) {
  v128_t acc[4][2];
#pragma clang loop unroll(full)
  for (int u = 0; u < NCI; u++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[u][v] = wasm_f32x4_splat(0.0f);
  const int ci = p->ci, co = p->co;
  for (int c = c_lo; c < c_hi; c++) {
    const float* xp = xrow + (long)(c * p->sw - p->pw + kw) * ci + i0;
    const float* gp = dyrow + (long)c * co + o0;
    v128_t g[2];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) g[v] = wasm_v128_load(gp + 4 * v);
#pragma clang loop unroll(full)
    for (int u = 0; u < NCI; u++) {
      const v128_t xs = wasm_f32x4_splat(xp[u]);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) acc[u][v] = MADD(xs, g[v], acc[u][v]);
    }
  }
#pragma clang loop unroll(full)
  for (int u = 0; u < NCI; u++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) {
      float* d = dwk + (long)(i0 + u) * co + o0 + 4 * v;
      wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), acc[u][v]));
    }
}

static void dw_scalar(const Conv* p, const float* xrow, const float* dyrow, float* dwk, int kw,
                      int i, int o, int c_lo, int c_hi) {
  float acc = 0.0f;
  for (int c = c_lo; c < c_hi; c++)
    acc += xrow[(long)(c * p->sw - p->pw + kw) * p->ci + i] * dyrow[(long)c * p->co + o];
  dwk[(long)i * p->co + o] += acc;
}

// All output channels of one (tap, input-channel block) unit for one output row.
static inline __attribute__((always_inline)) void dw_unit_row(const Conv* p, const float* xrow,
                                                              const float* dyrow, float* dwk,
                                                              int kw, int i0, const int NCI) {
  const int c_lo = min_i(p->ow, max_i(0, ceil_div(p->pw - kw, p->sw)));
  const int c_hi = max_i(c_lo, min_i(p->ow, (p->iw - 1 + p->pw - kw) / p->sw + 1));
  int o = 0;
  for (; o + 8 <= p->co; o += 8) dw_block(p, xrow, dyrow, dwk, kw, i0, o, c_lo, c_hi, NCI, 2);
  for (; o + 4 <= p->co; o += 4) dw_block(p, xrow, dyrow, dwk, kw, i0, o, c_lo, c_hi, NCI, 1);
  for (; o < p->co; o++)
    for (int u = 0; u < NCI; u++) dw_scalar(p, xrow, dyrow, dwk, kw, i0 + u, o, c_lo, c_hi);
}

__attribute__((export_name("conv3d_backprop_filter"))) void conv3d_backprop_filter(
    const Conv* p, const float* x, const float* dy, float* dw, int t, int T) {
  const int taps = p->kd * p->kh * p->kw, blocks = (p->ci + 3) / 4;
  const int units = taps * blocks;
  const int u_begin = share_begin(units, t, T), u_end = share_begin(units, t + 1, T);
  for (int u = u_begin; u < u_end; u++) {
    const int k = u / blocks, i0 = (u % blocks) * 4;
    float* dwk = dw + (long)k * p->ci * p->co;
    for (int i = i0; i < min_i(i0 + 4, p->ci); i++)
      for (int o = 0; o < p->co; o++) dwk[(long)i * p->co + o] = 0.0f;
  }
  const int rows = p->n * p->od * p->oh;
  for (int row = 0; row < rows; row++) {
    const int r = row % p->oh, z = (row / p->oh) % p->od, b = row / (p->oh * p->od);
    const float* dyrow = dy + (long)row * p->ow * p->co;
    for (int u = u_begin; u < u_end; u++) {
      const int k = u / blocks, i0 = (u % blocks) * 4;
      const int kw = k % p->kw, kh = (k / p->kw) % p->kh, kd = k / (p->kw * p->kh);
      const int iz = z * p->sd - p->pd + kd, ir = r * p->sh - p->ph + kh;
      if (iz < 0 || iz >= p->id || ir < 0 || ir >= p->ih) continue;
      const float* xrow = x + (((long)b * p->id + iz) * p->ih + ir) * (long)p->iw * p->ci;
      float* dwk = dw + (long)k * p->ci * p->co;
      if (i0 + 4 <= p->ci) {
        dw_unit_row(p, xrow, dyrow, dwk, kw, i0, 4);
      } else {
        for (int i = i0; i < p->ci; i++) dw_unit_row(p, xrow, dyrow, dwk, kw, i, 1);
      }
    }
  }
}
