/*
 * The oneDNN shim of the native CPU engine (issue #13): 3-D convolution forward, data gradient and
 * filter gradient, and a single-precision GEMM, on tfjs's own arrays (Deno FFI passes the typed
 * arrays by pointer: no copies). Activations stay channels-last (NDHWC) and filters
 * [kd,kh,kw,in,out] (oneDNN's ndhwc and dhwio tags), so no activation is ever reordered; the
 * filter alone may be, into the blocked layout oneDNN's AVX-512 kernels prefer (a few kB per call).
 * Primitives, their memory objects and those reorders are cached by shape: building a primitive
 * JIT-compiles its kernel (milliseconds), running it again only swaps the data pointers.
 * One caller thread at a time uses the cache and the stream (a mutex serialises them: several
 * JS isolates of one process, e.g. `deno test --parallel`, share this library); oneDNN's own
 * OpenMP threads do the work. The element-wise functions below hold no state and take no lock.
 */
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void omp_set_num_threads(int threads);

/* Which computation a cached entry runs; the JS side passes these numbers. */
enum { CONV_FORWARD = 0, CONV_BACKWARD_DATA = 1, CONV_BACKWARD_WEIGHTS = 2 };

/*
 * The conv parameter block, the same 18 int32 the WebAssembly kernels take: batch, input
 * depth/height/width/channels, output depth/height/width/channels, filter extent (3), stride (3),
 * front/top/left padding (3).
 */
enum { PARAMS = 18 };

/* An argument that may need a reorder between the caller's layout and the primitive's. */
typedef struct {
  dnnl_memory_t user;      /* over the caller's pointer */
  dnnl_memory_t internal;  /* the primitive's layout, or NULL when it is the caller's */
  dnnl_primitive_t reorder; /* user → internal for inputs, internal → user for the output */
} Arg;

typedef struct Entry {
  int kind;
  int32_t params[PARAMS];
  dnnl_primitive_t primitive;
  /* Order of a, b, c: forward (src, weights, dst), backward data (diff_dst, weights, diff_src),
   * backward weights (src, diff_dst, diff_weights). */
  Arg a, b, c;
  int a_arg, b_arg, c_arg;
  char impl[128];
  struct Entry *next;
} Entry;

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static Entry *cache;
/* Guards engine, stream and cache: each exported function that touches them holds it. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Starts the engine with `threads` OpenMP threads; 0 on success. */
int llmseg_dnnl_init(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  pthread_mutex_lock(&lock);
  int status = 0;
  if (!engine && dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) status = 1;
  if (!status && !stream &&
      dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success)
    status = 2;
  pthread_mutex_unlock(&lock);
  return status;
}

/* Sets the threads later calls use (the engine stays). */
void llmseg_dnnl_set_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

static void destroy_arg(Arg *arg) {
  if (arg->reorder) dnnl_primitive_destroy(arg->reorder);
  if (arg->internal) dnnl_memory_destroy(arg->internal);
  if (arg->user) dnnl_memory_destroy(arg->user);
}

static void destroy_entry(Entry *e) {
  if (e->primitive) dnnl_primitive_destroy(e->primitive);
  destroy_arg(&e->a);
  destroy_arg(&e->b);
  destroy_arg(&e->c);
  free(e);
}

/* Frees every cached primitive (tests; the engine and its threads stay). */
void llmseg_dnnl_clear_cache(void) {
  pthread_mutex_lock(&lock);
  while (cache) {
    Entry *next = cache->next;
    destroy_entry(cache);
    cache = next;
  }
  pthread_mutex_unlock(&lock);
}

/*
 * Sets up `arg`: a memory over the caller's layout `user_md` and, when the primitive wants
 * `want_md`, a memory in it and the reorder between them (`input`: user → internal).
 */
static int make_arg(Arg *arg, const dnnl_memory_desc_t *user_md,
                    const dnnl_memory_desc_t *want_md, int input) {
  if (dnnl_memory_create(&arg->user, user_md, engine, DNNL_MEMORY_NONE) != dnnl_success) return 1;
  if (dnnl_memory_desc_equal(user_md, want_md)) return 0;
  if (dnnl_memory_create(&arg->internal, want_md, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) {
    return 1;
  }
  dnnl_primitive_desc_t pd;
  const dnnl_memory_desc_t *from = input ? user_md : want_md, *to = input ? want_md : user_md;
  if (dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL) != dnnl_success) {
    return 1;
  }
  dnnl_status_t s = dnnl_primitive_create(&arg->reorder, pd);
  dnnl_primitive_desc_destroy(pd);
  return s != dnnl_success;
}

static int run_reorder(Arg *arg, int input) {
  dnnl_exec_arg_t args[2] = {
      {DNNL_ARG_FROM, input ? arg->user : arg->internal},
      {DNNL_ARG_TO, input ? arg->internal : arg->user},
  };
  return dnnl_primitive_execute(arg->reorder, stream, 2, args) != dnnl_success;
}

/* The primitive's memory for `arg`: its internal copy when there is one. */
static dnnl_memory_t target(const Arg *arg) { return arg->internal ? arg->internal : arg->user; }

/* Builds the entry of convolution `kind` with params `p`; NULL when oneDNN has no kernel for it. */
static Entry *build_conv(int kind, const int32_t *p) {
  const dnnl_dim_t n = p[0], in_c = p[4], out_c = p[8];
  dnnl_dims_t src_dims = {n, in_c, p[1], p[2], p[3]};
  dnnl_dims_t dst_dims = {n, out_c, p[5], p[6], p[7]};
  dnnl_dims_t w_dims = {out_c, in_c, p[9], p[10], p[11]};
  dnnl_dims_t strides = {p[12], p[13], p[14]};
  dnnl_dims_t pad_l = {p[15], p[16], p[17]};
  dnnl_dims_t pad_r;
  for (int i = 0; i < 3; i++) {
    /* What the output needs past the input: tfjs's right padding, or, negative, the input rows a
     * "valid" convolution leaves unread (oneDNN takes both). */
    pad_r[i] = (dst_dims[2 + i] - 1) * strides[i] + w_dims[2 + i] - src_dims[2 + i] - pad_l[i];
  }
  dnnl_memory_desc_t src_md, dst_md, w_md, w_any;
  dnnl_memory_desc_init_by_tag(&src_md, 5, src_dims, dnnl_f32, dnnl_ndhwc);
  dnnl_memory_desc_init_by_tag(&dst_md, 5, dst_dims, dnnl_f32, dnnl_ndhwc);
  dnnl_memory_desc_init_by_tag(&w_md, 5, w_dims, dnnl_f32, dnnl_dhwio);
  dnnl_memory_desc_init_by_tag(&w_any, 5, w_dims, dnnl_f32, dnnl_format_tag_any);

  dnnl_convolution_desc_t fwd_desc, desc;
  dnnl_primitive_desc_t fwd_pd = NULL, pd = NULL;
  if (dnnl_convolution_forward_desc_init(&fwd_desc, dnnl_forward_training,
                                         dnnl_convolution_direct, &src_md, &w_any, NULL, &dst_md,
                                         strides, pad_l, pad_r) != dnnl_success ||
      dnnl_primitive_desc_create(&fwd_pd, &fwd_desc, NULL, engine, NULL) != dnnl_success) {
    return NULL;
  }
  Entry *e = calloc(1, sizeof(Entry));
  e->kind = kind;
  memcpy(e->params, p, sizeof(e->params));
  int failed = 0;
  if (kind == CONV_FORWARD) {
    pd = fwd_pd;
    fwd_pd = NULL;
    e->a_arg = DNNL_ARG_SRC, e->b_arg = DNNL_ARG_WEIGHTS, e->c_arg = DNNL_ARG_DST;
    failed = make_arg(&e->a, &src_md, &src_md, 1) ||
             make_arg(&e->b, &w_md, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1) ||
             make_arg(&e->c, &dst_md, &dst_md, 0);
  } else if (kind == CONV_BACKWARD_DATA) {
    failed = dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &src_md,
                                                      &w_any, &dst_md, strides, pad_l,
                                                      pad_r) != dnnl_success ||
             dnnl_primitive_desc_create(&pd, &desc, NULL, engine, fwd_pd) != dnnl_success;
    e->a_arg = DNNL_ARG_DIFF_DST, e->b_arg = DNNL_ARG_WEIGHTS, e->c_arg = DNNL_ARG_DIFF_SRC;
    failed = failed || make_arg(&e->a, &dst_md, &dst_md, 1) ||
             make_arg(&e->b, &w_md, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1) ||
             make_arg(&e->c, &src_md, &src_md, 0);
  } else {
    failed = dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src_md,
                                                         &w_any, NULL, &dst_md, strides, pad_l,
                                                         pad_r) != dnnl_success ||
             dnnl_primitive_desc_create(&pd, &desc, NULL, engine, fwd_pd) != dnnl_success;
    e->a_arg = DNNL_ARG_SRC, e->b_arg = DNNL_ARG_DIFF_DST, e->c_arg = DNNL_ARG_DIFF_WEIGHTS;
    failed = failed || make_arg(&e->a, &src_md, &src_md, 1) || make_arg(&e->b, &dst_md, &dst_md, 1) ||
             make_arg(&e->c, &w_md,
                      dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0), 0);
  }
  if (!failed) {
    const char *impl = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    strncpy(e->impl, impl, sizeof(e->impl) - 1);
    failed = dnnl_primitive_create(&e->primitive, pd) != dnnl_success;
  }
  if (fwd_pd) dnnl_primitive_desc_destroy(fwd_pd);
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (failed) {
    destroy_entry(e);
    return NULL;
  }
  return e;
}

static Entry *find_conv(int kind, const int32_t *p) {
  for (Entry *e = cache; e; e = e->next) {
    if (e->kind == kind && memcmp(e->params, p, sizeof(e->params)) == 0) return e;
  }
  Entry *e = build_conv(kind, p);
  if (e) {
    e->next = cache;
    cache = e;
  }
  return e;
}

/*
 * Runs convolution `kind` (CONV_*) with params `p` on the caller's arrays a, b → c (see Entry).
 * 0 on success; non-zero when oneDNN cannot run it (the caller falls back).
 */
static int conv3d_locked(int kind, const int32_t *p, float *a, float *b, float *c) {
  if (!engine || kind < CONV_FORWARD || kind > CONV_BACKWARD_WEIGHTS) return 1;
  Entry *e = find_conv(kind, p);
  if (!e) return 2;
  dnnl_memory_set_data_handle(e->a.user, a);
  dnnl_memory_set_data_handle(e->b.user, b);
  dnnl_memory_set_data_handle(e->c.user, c);
  if (e->a.reorder && run_reorder(&e->a, 1)) return 3;
  if (e->b.reorder && run_reorder(&e->b, 1)) return 3;
  dnnl_exec_arg_t args[3] = {
      {e->a_arg, target(&e->a)}, {e->b_arg, target(&e->b)}, {e->c_arg, target(&e->c)}};
  if (dnnl_primitive_execute(e->primitive, stream, 3, args) != dnnl_success) return 4;
  if (e->c.reorder && run_reorder(&e->c, 0)) return 3;
  return dnnl_stream_wait(stream) != dnnl_success ? 5 : 0;
}

int llmseg_conv3d(int kind, const int32_t *p, float *a, float *b, float *c) {
  pthread_mutex_lock(&lock);
  int status = conv3d_locked(kind, p, a, b, c);
  pthread_mutex_unlock(&lock);
  return status;
}

/*
 * Writes the name of the oneDNN implementation that runs convolution `kind` with params `p`
 * (e.g. "jit:avx512_core") into `out` (NUL-terminated, at most `size` bytes); 0 on success.
 */
int llmseg_conv3d_impl(int kind, const int32_t *p, char *out, int size) {
  if (size < 1) return 1;
  pthread_mutex_lock(&lock);
  int status = engine ? 2 : 1;
  Entry *e = engine ? find_conv(kind, p) : NULL;
  if (e) {
    strncpy(out, e->impl, size - 1);
    out[size - 1] = 0;
    status = 0;
  }
  pthread_mutex_unlock(&lock);
  return status;
}

/* Row-major C[m,n] = op(A)·op(B), op transposing when `trans_a` / `trans_b` are non-zero. */
int llmseg_sgemm(int trans_a, int trans_b, int m, int n, int k, const float *a, const float *b,
                 float *c) {
  return dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a,
                    trans_a ? m : k, b, trans_b ? k : n, 0.0f, c, n) != dnnl_success;
}
