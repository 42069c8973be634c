// sweep's native kernels: the GEMM (and the convolutions built on it) and Adam's update in
// PyTorch's form, the same arithmetic as simd.wat's fused build (relaxed SIMD), on 512- or 256-bit
// vectors where the CPU has them. In the GEMM every C[i, j] is fma(A[i, p], B[p, j], acc) in order
// of p, from 0 (or from C when accumulating), whichever block or lane computes it: the floats of
// the wasm GEMM with fused multiply-adds, bit for bit; gemm_exact rounds each product, then adds,
// as the wasm GEMM's exact build does (evaluation, and where the engine lacks relaxed SIMD), bit
// for bit too. Adam's floats are adam_fast's, weight for weight (test/train/kernels/native.test.ts).
//
// It works in place on the wasm backend's memory: pointers are byte offsets into that
// ArrayBuffer, as for the wasm kernels. Loaded from src/train/kernels/native.ts; built at install
// by node-gyp (binding.gyp, scripts/build-native.mjs); where it cannot build the wasm kernels run.
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <node_api.h>

#define T512 __attribute__((target("avx512f")))
#define T256 __attribute__((target("avx2,fma")))

// The GEMM's multiply-add: fused (rounded once, as the wasm fused build), or the product rounded,
// then added (as the wasm exact build: f32x4.add(acc, f32x4.mul(x, b))). `fused` is a constant
// wherever a block is inlined, so each build is its own loop; -ffp-contract=off keeps the second
// from being fused by the compiler.
#define MADD512(x, b, acc) (fused ? _mm512_fmadd_ps((x), (b), (acc)) : _mm512_add_ps((acc), _mm512_mul_ps((x), (b))))
#define MADD256(x, b, acc) (fused ? _mm256_fmadd_ps((x), (b), (acc)) : _mm256_add_ps((acc), _mm256_mul_ps((x), (b))))

// Row r of A: a + r·sai, its terms sap apart; or, where ar is given (a convolution's rows read in
// place: conv_forward_with), ar[r] + aoff, its terms one after another. ar is a constant NULL wherever
// a block is inlined for a plain GEMM, so that loop is as it was.
#define AROW(r) (ar != NULL ? ar[r] + aoff : a)

// C[0..8, 0..cols) for cols ≤ 32: 8 rows × 2 vectors of 16 accumulators, masked at the right
// edge. The accumulators are indexed by constants only, so they stay in registers.
T512 static inline __attribute__((always_inline)) void block512x8(const float* a, const float* const* ar, ptrdiff_t aoff, const float* b, float* c, int k, int n, ptrdiff_t sai, ptrdiff_t sap, __mmask16 m0, __mmask16 m1, int accumulate, int fused, int full) {
  __m512 acc[8][2];
  const float *const a0 = AROW(0), *const a1 = AROW(1), *const a2 = AROW(2), *const a3 = AROW(3), *const a4 = AROW(4), *const a5 = AROW(5), *const a6 = AROW(6), *const a7 = AROW(7);
#define LOAD512(r) if (accumulate) { acc[r][0] = _mm512_maskz_loadu_ps(m0, c + (ptrdiff_t)(r) * n); acc[r][1] = _mm512_maskz_loadu_ps(m1, c + (ptrdiff_t)(r) * n + 16); } else { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
  LOAD512(0) LOAD512(1) LOAD512(2) LOAD512(3) LOAD512(4) LOAD512(5) LOAD512(6) LOAD512(7)
  for (int p = 0; p < k; p++, a += ar != NULL ? 0 : sap, b += n) {
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#define ROW512(r) { const __m512 x = _mm512_set1_ps(ar != NULL ? a##r[p] : a[(r) * sai]); acc[r][0] = MADD512(x, b0, acc[r][0]); acc[r][1] = MADD512(x, b1, acc[r][1]); }
    ROW512(0) ROW512(1) ROW512(2) ROW512(3) ROW512(4) ROW512(5) ROW512(6) ROW512(7)
  }
#define STORE512(r) if (full) { _mm512_storeu_ps(c + (ptrdiff_t)(r) * n, acc[r][0]); _mm512_storeu_ps(c + (ptrdiff_t)(r) * n + 16, acc[r][1]); } \
  else { _mm512_mask_storeu_ps(c + (ptrdiff_t)(r) * n, m0, acc[r][0]); _mm512_mask_storeu_ps(c + (ptrdiff_t)(r) * n + 16, m1, acc[r][1]); }
  STORE512(0) STORE512(1) STORE512(2) STORE512(3) STORE512(4) STORE512(5) STORE512(6) STORE512(7)
}

// One row of the same: the last m mod 8 rows.
T512 static inline __attribute__((always_inline)) void block512x1(const float* a, const float* b, float* c, int k, int n, ptrdiff_t sap, __mmask16 m0, __mmask16 m1, int accumulate, int fused) {
  __m512 acc0 = accumulate ? _mm512_maskz_loadu_ps(m0, c) : _mm512_setzero_ps();
  __m512 acc1 = accumulate ? _mm512_maskz_loadu_ps(m1, c + 16) : _mm512_setzero_ps();
  for (int p = 0; p < k; p++, a += sap, b += n) {
    const __m512 x = _mm512_set1_ps(*a);
    acc0 = MADD512(x, _mm512_maskz_loadu_ps(m0, b), acc0);
    acc1 = MADD512(x, _mm512_maskz_loadu_ps(m1, b + 16), acc1);
  }
  _mm512_mask_storeu_ps(c, m0, acc0);
  _mm512_mask_storeu_ps(c + 16, m1, acc1);
}

T512 static inline __attribute__((always_inline)) void gemm512_panel(const float* a, const float* const* ar, ptrdiff_t aoff, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate, int fused) {
  for (int j = 0; j < n; j += 32) {
    const int cols = n - j < 32 ? n - j : 32;
    const __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    int i = 0;
    // A full block stores without masks: Zen 4 runs masked 512-bit stores at a fraction of the
    // rate, which showed where k is small (the first convolution's 9 products a position).
    if (cols == 32) for (; i + 8 <= m; i += 8) block512x8(a + i * sai, ar != NULL ? ar + i : NULL, aoff, b + j, c + (ptrdiff_t)i * n + j, k, n, sai, sap, m0, m1, accumulate, fused, 1);
    else for (; i + 8 <= m; i += 8) block512x8(a + i * sai, ar != NULL ? ar + i : NULL, aoff, b + j, c + (ptrdiff_t)i * n + j, k, n, sai, sap, m0, m1, accumulate, fused, 0);
    for (; i < m; i++) block512x1(ar != NULL ? ar[i] + aoff : a + i * sai, b + j, c + (ptrdiff_t)i * n + j, k, n, ar != NULL ? 1 : sap, m0, m1, accumulate, fused);
  }
}
// Long sums in panels of GEMM_KC terms: each C[i, j] goes on from its stored partial, the same
// multiply-adds in the same order, while a panel's rows of B stay in cache for every row of A.
// Unpanelled, the batch-normalised CNN's dense layer (3,136 terms a sum, 256 columns) ran at
// about 120 GFLOP/s against 188 (Zen 5, AVX-512). Sums of up to 2·GEMM_KC terms (the
// convolutions', the ANNs') are one panel, as before: splitting them gained nothing.
// Inlined throughout, so that `fused` stays a constant in the inner loops.
#define GEMM_KC 512
// The sum in panels of SIZE terms: PANEL(a, ar, aoff, b, c, m, k, n, sai, sap, accumulate, fused)
// over each in turn (ar: A's rows through pointers, read from term aoff = the panel's first; a plain
// GEMM passes NULL).
#define IN_PANELS(PANEL, SIZE) \
  const int panel = SIZE; \
  int p0 = 0; \
  do { \
    const int kc = k - p0 < panel ? k - p0 : panel; \
    PANEL(a + p0 * sap, ar, p0, b + (ptrdiff_t)p0 * n, c, m, kc, n, sai, sap, accumulate || p0 > 0, fused); \
    p0 += kc; \
  } while (p0 < k);
T512 static inline __attribute__((always_inline)) void gemm512_with(const float* a, const float* const* ar, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate, int fused) {
  IN_PANELS(gemm512_panel, (k > 2 * GEMM_KC ? GEMM_KC : k))
}
T512 static void gemm512(const float* a, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate) {
  gemm512_with(a, NULL, b, c, m, k, n, sai, sap, accumulate, 1);
}
T512 static void gemm512_exact(const float* a, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate) {
  gemm512_with(a, NULL, b, c, m, k, n, sai, sap, accumulate, 0);
}
T512 static void gemm512_rows(const float* const* ar, const float* b, float* c, int m, int k, int n, int accumulate) {
  gemm512_with(ar[0], ar, b, c, m, k, n, 0, 1, accumulate, 1);
}
T512 static void gemm512_rows_exact(const float* const* ar, const float* b, float* c, int m, int k, int n, int accumulate) {
  gemm512_with(ar[0], ar, b, c, m, k, n, 0, 1, accumulate, 0);
}

// 256-bit loads and stores of 8 floats; where masked, only the lanes of mask (the rest load 0).
#define LD256(p, mask) (masked ? _mm256_maskload_ps((p), (mask)) : _mm256_loadu_ps(p))
#define ST256(p, mask, v) { if (masked) _mm256_maskstore_ps((p), (mask), (v)); else _mm256_storeu_ps((p), (v)); }

// C[0..rows, 0..16) for rows ≤ 6 with 256-bit vectors: up to 6 rows × 2 vectors, indexed by
// constants; masked at the right edge (fewer than 16 columns). Inlined with rows and masked
// constants, so each case is its own loop (the last rows: columns256).
T256 static inline __attribute__((always_inline)) void block256(const float* a, const float* const* ar, ptrdiff_t aoff, const float* b, float* c, int rows, int k, int n, int ldb, ptrdiff_t sai, ptrdiff_t sap, int masked, __m256i m0, __m256i m1, int accumulate, int fused) {
  __m256 acc[6][2];
#define AROW256(r) ((r) < rows ? AROW(r) : a)
  const float *const a0 = AROW256(0), *const a1 = AROW256(1), *const a2 = AROW256(2), *const a3 = AROW256(3), *const a4 = AROW256(4), *const a5 = AROW256(5);
#undef AROW256
#define LOAD256(r) if ((r) < rows) { if (accumulate) { acc[r][0] = LD256(c + (ptrdiff_t)(r) * n, m0); acc[r][1] = LD256(c + (ptrdiff_t)(r) * n + 8, m1); } else { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); } }
  LOAD256(0) LOAD256(1) LOAD256(2) LOAD256(3) LOAD256(4) LOAD256(5)
  // Unrolled four times: the loop's own counting and branch then cost less of the FMA units' time
  // (Zen 3: the convolutions' chunk GEMMs and the ANN's products 3–8% faster than not unrolled).
  _Pragma("GCC unroll 4") for (int p = 0; p < k; p++, a += ar != NULL ? 0 : sap, b += ldb) {
    const __m256 b0 = LD256(b, m0), b1 = LD256(b + 8, m1);
#define ROW256(r) if ((r) < rows) { const __m256 x = _mm256_broadcast_ss(ar != NULL ? a##r + p : a + (r) * sai); acc[r][0] = MADD256(x, b0, acc[r][0]); acc[r][1] = MADD256(x, b1, acc[r][1]); }
    ROW256(0) ROW256(1) ROW256(2) ROW256(3) ROW256(4) ROW256(5)
  }
#define STORE256(r) if ((r) < rows) { ST256(c + (ptrdiff_t)(r) * n, m0, acc[r][0]) ST256(c + (ptrdiff_t)(r) * n + 8, m1, acc[r][1]) }
  STORE256(0) STORE256(1) STORE256(2) STORE256(3) STORE256(4) STORE256(5)
}

// Columns j … j+15 (masked: the last n − j < 16), every row; b is B's columns j … j+15 with
// rows ldb floats apart.
T256 static inline __attribute__((always_inline)) void columns256(const float* a, const float* const* ar, ptrdiff_t aoff, const float* b, float* c, int m, int k, int n, int ldb, ptrdiff_t sai, ptrdiff_t sap, int j, int masked, int accumulate, int fused) {
  const int cols = n - j;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  // Lane l of m0 is set where l < cols, of m1 where l + 8 < cols.
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
  // Blocks of 6 rows, then the rest. A block of r rows keeps 2r chains of multiply-adds going,
  // and 8 cover the FMA's latency at two a cycle; so where fewer than 4 rows are left over, the
  // last 6 + r are two blocks of about half each (a batch of 32 is four blocks of 6, then 4 + 4;
  // as five blocks and 2 rows, those 2 would run at half the rate, and one at a time at a quarter).
  const int rest = m % 6, blocks_end = m - rest - (m >= 6 && rest > 0 && rest < 4 ? 6 : 0);
  int i = 0;
#define BLOCK256(rows) block256(a + i * sai, ar != NULL ? ar + i : NULL, aoff, b, c + (ptrdiff_t)i * n + j, rows, k, n, ldb, sai, sap, masked, m0, m1, accumulate, fused)
  for (; i < blocks_end; i += 6) BLOCK256(6);
#define LAST256(rows) { BLOCK256(rows); i += rows; }
  switch (m - i) {
    case 9: LAST256(5) /* fall through */
    case 4: LAST256(4) return;
    case 8: LAST256(4) LAST256(4) return;
    case 7: LAST256(4) /* fall through */
    case 3: LAST256(3) return;
    case 1: LAST256(1) return;
    case 2: LAST256(2) return;
    case 5: LAST256(5) return;
    default: return;
  }
#undef LAST256
#undef BLOCK256
}

// B's panel packed: each strip of 16 columns its k rows one after another, 64 bytes each, the
// columns past n zero. In place, a strip's rows are n floats apart: where n is a multiple of 16
// (the CNN's 64 channels, the ANN's 128 units) they fall in a few of L1's sets and evict each
// other, and where the heap puts B 8 bytes past a line each row spans two lines. Packed, a strip
// of up to GEMM256_KC rows stays in L1 while every row of A passes over it. Scratch per thread
// (the pool's workers are threads), grown to the largest panel, kept, and freed when the thread
// ends (pthread key's destructor); where it can't be had, the GEMM reads B in place.
static _Thread_local float* packed_b;
static _Thread_local size_t packed_b_floats;
static pthread_key_t packed_b_key;
static pthread_once_t packed_b_once = PTHREAD_ONCE_INIT;
static int packed_b_keyed;
static void make_packed_b_key(void) { packed_b_keyed = pthread_key_create(&packed_b_key, free) == 0; }
static float* pack_space(size_t floats) {
  if (floats > packed_b_floats) {
    pthread_once(&packed_b_once, make_packed_b_key);
    if (!packed_b_keyed) return NULL;
    free(packed_b);
    packed_b = aligned_alloc(64, (floats * 4 + 63) & ~(size_t)63);
    packed_b_floats = packed_b != NULL ? floats : 0;
    pthread_setspecific(packed_b_key, packed_b);
  }
  return packed_b;
}
T256 static void pack_b256(const float* b, float* bt, int k, int n) {
  for (int j = 0; j < n; j += 16, bt += (ptrdiff_t)16 * k) {
    const int cols = n - j;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
    if (cols >= 16) for (int p = 0; p < k; p++) {
      _mm256_store_ps(bt + 16 * p, _mm256_loadu_ps(b + (ptrdiff_t)p * n + j));
      _mm256_store_ps(bt + 16 * p + 8, _mm256_loadu_ps(b + (ptrdiff_t)p * n + j + 8));
    } else for (int p = 0; p < k; p++) {
      _mm256_store_ps(bt + 16 * p, _mm256_maskload_ps(b + (ptrdiff_t)p * n + j, m0));
      _mm256_store_ps(bt + 16 * p + 8, _mm256_maskload_ps(b + (ptrdiff_t)p * n + j + 8, m1));
    }
  }
}

T256 static inline __attribute__((always_inline)) void gemm256_panel(const float* a, const float* const* ar, ptrdiff_t aoff, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate, int fused) {
  float* bt = m > 6 ? pack_space((size_t)((n + 15) / 16) * 16 * k) : NULL;
  if (bt != NULL) pack_b256(b, bt, k, n);
  // Strip j of B: packed (rows 16 floats apart, the last strip padded with zeros) or in place.
  const int ldb = bt != NULL ? 16 : n;
#define STRIP(j) (bt != NULL ? bt + (ptrdiff_t)(j) * k : b + (j))
  int j = 0;
  for (; j + 16 <= n; j += 16) columns256(a, ar, aoff, STRIP(j), c, m, k, n, ldb, sai, sap, j, 0, accumulate, fused);
  if (j < n) columns256(a, ar, aoff, STRIP(j), c, m, k, n, ldb, sai, sap, j, 1, accumulate, fused);
#undef STRIP
}
// With 256-bit vectors the sum runs in panels of at most GEMM256_KC terms, as even as they
// divide (784 terms: 4 of 196), so that a packed strip of B, 64 bytes a term, stays in L1 (Zen 3:
// 32 KB). 128, 192, 256 and one panel throughout ran alike on the convolutions' chunks; the
// ANN's 784-term products ran 2–10% slower in one panel.
#define GEMM256_KC 256
T256 static inline __attribute__((always_inline)) void gemm256_with(const float* a, const float* const* ar, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate, int fused) {
  const int panels = (k + GEMM256_KC - 1) / GEMM256_KC;
  IN_PANELS(gemm256_panel, (panels > 1 ? (k + panels - 1) / panels : k))
}
T256 static void gemm256(const float* a, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate) {
  gemm256_with(a, NULL, b, c, m, k, n, sai, sap, accumulate, 1);
}
T256 static void gemm256_exact(const float* a, const float* b, float* c, int m, int k, int n, ptrdiff_t sai, ptrdiff_t sap, int accumulate) {
  gemm256_with(a, NULL, b, c, m, k, n, sai, sap, accumulate, 0);
}
T256 static void gemm256_rows(const float* const* ar, const float* b, float* c, int m, int k, int n, int accumulate) {
  gemm256_with(ar[0], ar, b, c, m, k, n, 0, 1, accumulate, 1);
}
T256 static void gemm256_rows_exact(const float* const* ar, const float* b, float* c, int m, int k, int n, int accumulate) {
  gemm256_with(ar[0], ar, b, c, m, k, n, 0, 1, accumulate, 0);
}

typedef void (*gemm_fn)(const float*, const float*, float*, int, int, int, ptrdiff_t, ptrdiff_t, int);
// C [m × n] (+)= A·B with A's rows through pointers, each row's k terms one after another.
typedef void (*gemm_rows_fn)(const float* const*, const float*, float*, int, int, int, int);

// What this CPU runs, read once when the addon loads: 512-bit kernels, 256-bit ones, or none.
static int has_avx512, has_avx2;
static void detect(void) {
  __builtin_cpu_init();
  has_avx512 = __builtin_cpu_supports("avx512f");
  has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// Convolutions as in simd.wat (NHWC input, HWIO filter, dilation 1): im2col a chunk of `rows`
// output positions into col (rows × K, K = KH·KW·CI), then the GEMM; the same patches and the
// same products in the same order, so the same floats.
typedef struct { int64_t n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl; } geometry;

// Copies (or zeroes) n floats; up to 8 with a constant size, inlined: the first layer's patch
// rows are 3 floats (3×3 over one channel), and a memcpy or memset call per row took longer than
// the layer's products.
#define SMALL_CASES(op) case 1: op(1) return; case 2: op(2) return; case 3: op(3) return; case 4: op(4) return; \
  case 5: op(5) return; case 6: op(6) return; case 7: op(7) return; case 8: op(8) return;
static inline void copy_floats(float* dst, const float* src, int64_t n) {
#define COPY(k) memcpy(dst, src, 4 * (k));
  switch (n) { SMALL_CASES(COPY) default: memcpy(dst, src, 4 * (size_t)n); }
#undef COPY
}
static inline void zero_floats(float* dst, int64_t n) {
#define ZERO(k) memset(dst, 0, 4 * (k));
  switch (n) { SMALL_CASES(ZERO) default: memset(dst, 0, 4 * (size_t)n); }
#undef ZERO
}
// Output positions p0, p0 + 1, …: each one's image, row and column, counted along rather than
// divided out of p (four 64-bit divisions a position cost more than the first layer's whole
// patch, 9 floats).
typedef struct { int64_t b, oh, ow; } position;
static inline position position_of(int64_t p, const geometry* g) {
  const int64_t plane = g->oh * g->ow;
  return (position){ p / plane, (p % plane) / g->ow, (p % plane) % g->ow };
}
static inline void next_position(position* q, const geometry* g) {
  if (++q->ow == g->ow) {
    q->ow = 0;
    if (++q->oh == g->oh) { q->oh = 0; q->b++; }
  }
}

// Whether a window whose left column is iw0 lies inside the image's width.
static inline int inside_width(int64_t iw0, const geometry* g) { return iw0 >= 0 && iw0 + g->kw <= g->w; }
// Row ih of a window whose left column is iw0 in img, kw·ci floats, into dst: zeros outside the
// image (im2col's padding), one copy where the row lies inside it (interior: inside_width), else
// tap by tap.
static inline __attribute__((always_inline)) void window_row(const float* img, int64_t ih, int64_t iw0, int interior, const geometry* g, float* dst) {
  if (ih < 0 || ih >= g->h) { zero_floats(dst, g->kw * g->ci); return; }
  if (interior) { copy_floats(dst, img + (ih * g->w + iw0) * g->ci, g->kw * g->ci); return; }
  for (int64_t j = 0; j < g->kw; j++) {
    const int64_t iw = iw0 + j;
    if (iw < 0 || iw >= g->w) zero_floats(dst + j * g->ci, g->ci);
    else copy_floats(dst + j * g->ci, img + (ih * g->w + iw) * g->ci, g->ci);
  }
}

// col[r × K] = the patches of output positions p0 … p0+r−1 (p = (b·OH + oh)·OW + ow); padding is 0.
static void im2col_rows(const float* x, float* col, int64_t p0, int64_t r, const geometry* geometry_in) {
  // A local copy, which the compiler knows memcpy and memset do not write: read through the
  // pointer again after every copy, the first layer's 3-float rows ran 10–15% slower.
  const geometry local = *geometry_in, *g = &local;
  const int64_t image = g->h * g->w * g->ci;
  float* dst = col;
  position q = position_of(p0, g);
  for (int64_t p = 0; p < r; p++, next_position(&q, g)) {
    const float* img = x + q.b * image;
    const int64_t ih0 = q.oh * g->sh - g->pt, iw0 = q.ow * g->sw - g->pl;
    const int interior = inside_width(iw0, g);
    for (int64_t i = 0; i < g->kh; i++, dst += g->kw * g->ci) window_row(img, ih0 + i, iw0, interior, g, dst);
  }
}

// The same products with im2col's rows read where they lie (conv_forward_with), where each row of
// the kernel spans at least IN_PLACE_SEGMENT floats (kw·ci): for kernel row th, a pointer per output
// position to its kw·ci floats in x where that row of its window lies inside the image, to a
// padded copy where it overhangs a side, or to zeros where it lies above or below; then
// y (+)= those rows · w's rows th·kw·ci … (th + 1)·kw·ci − 1, each sum going on from its stored
// partial, as the GEMM's panels do: the same multiply-adds in the same order as the GEMM over
// im2col's rows, without writing them. col (rows × K floats) holds the pointers, a row of zeros
// and the copies. Returns 0 (nothing done) where the shape is not of that kind.
#define IN_PLACE_SEGMENT 64
static int conv_forward_in_place(gemm_rows_fn gemm, const float* x, const float* w, float* y, float* col, int64_t rows, const geometry* g, int accumulate) {
  const int64_t seg = g->kw * g->ci, total = g->n * g->oh * g->ow, image = g->h * g->w * g->ci;
  if (g->kh < 2 || seg < IN_PLACE_SEGMENT || seg > INT32_MAX || 2 * rows + 2 + seg + rows * seg > rows * g->kh * seg) return 0;
  const float** ptr = (const float**)(((uintptr_t)col + 7) & ~(uintptr_t)7);
  float* zeros = (float*)(ptr + rows);
  float* copies = zeros + seg;
  zero_floats(zeros, seg);
  for (int64_t p0 = 0; p0 < total; p0 += rows) {
    const int64_t r = total - p0 < rows ? total - p0 : rows;
    for (int64_t th = 0; th < g->kh; th++) {
      position q = position_of(p0, g);
      float* copy = copies;
      for (int64_t i = 0; i < r; i++, next_position(&q, g)) {
        const float* img = x + q.b * image;
        const int64_t ih = q.oh * g->sh - g->pt + th, iw0 = q.ow * g->sw - g->pl;
        if (ih < 0 || ih >= g->h) ptr[i] = zeros;
        else if (inside_width(iw0, g)) ptr[i] = img + (ih * g->w + iw0) * g->ci;
        else {
          window_row(img, ih, iw0, 0, g, copy);
          ptr[i] = copy;
          copy += seg;
        }
      }
      gemm(ptr, w + th * seg * g->co, y + p0 * g->co, (int)r, (int)seg, (int)g->co, accumulate || th > 0);
    }
  }
  return 1;
}

// y [P × CO] = im2col(x)·w, `rows` output positions at a time; where accumulate, y += … (y
// holds the bias, as XNNPACK's convolution starts each sum from it). In place where it can.
static void conv_forward_with(gemm_fn gemm, gemm_rows_fn gemm_rows, const float* x, const float* w, float* y, float* col, int64_t rows, const geometry* g, int accumulate) {
  if (conv_forward_in_place(gemm_rows, x, w, y, col, rows, g, accumulate)) return;
  const int64_t k = g->kh * g->kw * g->ci, total = g->n * g->oh * g->ow;
  for (int64_t p0 = 0; p0 < total; p0 += rows) {
    const int64_t r = total - p0 < rows ? total - p0 : rows;
    im2col_rows(x, col, p0, r, g);
    gemm(col, w, y + p0 * g->co, (int)r, (int)k, (int)g->co, k, 1, accumulate);
  }
}

// dw [K × CO] = im2col(x)ᵀ·dy, summed over the output positions in order, `rows` at a time.
static void conv_filter_grad(gemm_fn gemm, const float* x, const float* dy, float* dw, float* col, int64_t rows, const geometry* g) {
  const int64_t k = g->kh * g->kw * g->ci, total = g->n * g->oh * g->ow;
  memset(dw, 0, 4 * k * g->co);
  for (int64_t p0 = 0; p0 < total; p0 += rows) {
    const int64_t r = total - p0 < rows ? total - p0 : rows;
    im2col_rows(x, col, p0, r, g);
    gemm(col, dy + p0 * g->co, dw, (int)k, (int)r, (int)g->co, 1, k, 1);
  }
}

// The first convolution of a CNN (one input channel, stride 1) with its bias and ReLU, and the
// 2×2 max pooling after it, forward in one pass and backward in one pass; the same floats as the
// kernels they replace (conv-relu.ts, then XNNPACK's MaxPool; MaxPoolGrad, ReluGradSums, then
// Conv2DBackpropFilter). Where the layer is one channel in, its im2col rows are 9 floats and its
// products 3.5% of the CNN's, yet its five passes over the 28×28×32 activations took a fifth of
// the step. Forward, each output is the GEMM's sum, fma(x_t, w_t, ·) over the taps in order from
// +0 (a padded tap's x is 0, as im2col's), then + bias, then ReLU (x < 0 ? 0 : x); each window's
// maximum is XNNPACK's on wasm (its pmax order, found by comparing with tf.maxPool over ±0, ±∞ and
// NaN: conv-relu-pool.test.ts). Backward, each window's gradient goes to its first maximum in
// row-major order (MaxPoolGrad's rule, 0 + dy there and +0 elsewhere), dz = dx·step(y) (1 where
// y > 0, y where NaN, else 0), and the bias's and filter's gradients are folded over the positions
// in order from +0, as ReluGradSums' column sums and the filter GEMM's chunks do; dz is never
// stored. A pool of 0 means no pooling (dpool is dy at the convolution's output).
// epilogue 1: the bias and ReLU (forward), dz = dx·step(y) and the bias's gradient (backward);
// 0: the plain convolution (Conv2D's sum) and its filter's gradient from dz (Conv2DBackpropFilter).
typedef struct { int64_t n, h, w, oh, ow, co, kh, kw, pt, pl, pool, epilogue; } conv1_geometry;
#define CONV1_MAX_TAPS 25

#define CONV1_INLINE inline __attribute__((always_inline))
#define CONV1_KERNELS(SFX, TGT, VT, VL, VZERO, VLOAD, VSTORE, VSET1, VFMA, VADD, VMUL, SEL_LT, SEL_GT, SEL_EQ, SEL_NAN) \
/* The image with its padding as zeros, (oh + kh − 1) × (ow + kw − 1): each tap a plain read. */ \
TGT static void conv1_pad_##SFX(const float* img, const conv1_geometry* g, float* P) { \
  const int64_t PH = g->oh + g->kh - 1, PW = g->ow + g->kw - 1; \
  for (int64_t r = 0; r < PH; r++) { \
    const int64_t ih = r - g->pt; \
    for (int64_t c = 0; c < PW; c++) { \
      const int64_t iw = c - g->pl; \
      P[r * PW + c] = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w ? img[ih * g->w + iw] : 0.0f; \
    } \
  } \
} \
/* pmax(a, b) = a < b ? b : a; XNNPACK's 2×2 maximum on wasm (x86 build): v = (row, column). */ \
TGT static CONV1_INLINE VT pmax_##SFX(VT a, VT b) { return SEL_LT(a, b, b, a); } \
TGT static CONV1_INLINE VT pool4_##SFX(VT v00, VT v01, VT v10, VT v11) { \
  VT a = pmax_##SFX(v11, v01); \
  a = pmax_##SFX(v00, a); \
  a = pmax_##SFX(a, v10); \
  a = SEL_LT(VSET1(INFINITY), a, VSET1(INFINITY), a); \
  return pmax_##SFX(VSET1(-INFINITY), a); \
} \
/* One row of windows: rows r0 and r0 + row (floats apart) into pw pooled positions at p. */ \
TGT static CONV1_INLINE void pool_row_##SFX(const float* r0, float* p, int64_t pw, int64_t co, int64_t row) { \
  for (int64_t q = 0; q < pw; q++) \
    for (int64_t c = 0; c < co; c += VL) { \
      const float* a = r0 + 2 * q * co + c; \
      VSTORE(p + q * co + c, pool4_##SFX(VLOAD(a), VLOAD(a + co), VLOAD(a + row), VLOAD(a + row + co))); \
    } \
} \
/* Which of a window's four MaxPoolGrad's gradient goes to, 0–3 in row-major order (−1: none): its \
   first maximum, the last to beat the best so far (−∞ never wins, nor does NaN). */ \
TGT static CONV1_INLINE VT pool_winner_##SFX(VT p00, VT p01, VT p10, VT p11) { \
  VT best = SEL_GT(p00, VSET1(-INFINITY), p00, VSET1(-INFINITY)); \
  VT win = SEL_GT(p00, VSET1(-INFINITY), VSET1(0.0f), VSET1(-1.0f)); \
  win = SEL_GT(p01, best, VSET1(1.0f), win); \
  best = SEL_GT(p01, best, p01, best); \
  win = SEL_GT(p10, best, VSET1(2.0f), win); \
  best = SEL_GT(p10, best, p10, best); \
  return SEL_GT(p11, best, VSET1(3.0f), win); \
} \
/* R outputs along a row (R·NV accumulators in registers: the taps' chains run side by side). */ \
TGT static CONV1_INLINE void conv1_out_##SFX(const float* P, int64_t PW, const float* w, const float* bias, float* yi, const conv1_geometry* g, int64_t oh, int64_t ow, int64_t c0, const int R, const int NV) { \
  VT acc[4][2]; \
  for (int r = 0; r < R; r++) for (int v = 0; v < NV; v++) acc[r][v] = VZERO(); \
  for (int64_t i = 0; i < g->kh; i++) { \
    const float* xr = P + (oh + i) * PW + ow; \
    for (int64_t j = 0; j < g->kw; j++) { \
      const float* wt = w + (i * g->kw + j) * g->co + c0; \
      VT wv[2]; \
      for (int v = 0; v < NV; v++) wv[v] = VLOAD(wt + v * VL); \
      for (int r = 0; r < R; r++) { \
        const VT xb = VSET1(xr[r + j]); \
        for (int v = 0; v < NV; v++) acc[r][v] = VFMA(xb, wv[v], acc[r][v]); \
      } \
    } \
  } \
  for (int r = 0; r < R; r++) for (int v = 0; v < NV; v++) { \
    float* out = yi + (oh * g->ow + ow + r) * g->co + c0 + v * VL; \
    if (!g->epilogue) { VSTORE(out, acc[r][v]); continue; } \
    const VT s = VADD(acc[r][v], VLOAD(bias + c0 + v * VL)); \
    VSTORE(out, SEL_LT(s, VZERO(), VZERO(), s)); \
  } \
} \
TGT static CONV1_INLINE void conv1_row_##SFX(const float* P, int64_t PW, const float* w, const float* bias, float* yi, const conv1_geometry* g, int64_t oh, int64_t c0, const int NV) { \
  int64_t ow = 0; \
  for (; ow + 4 <= g->ow; ow += 4) conv1_out_##SFX(P, PW, w, bias, yi, g, oh, ow, c0, 4, NV); \
  for (; ow < g->ow; ow++) conv1_out_##SFX(P, PW, w, bias, yi, g, oh, ow, c0, 1, NV); \
} \
TGT static int conv1_forward_##SFX(const float* x, const float* w, const float* bias, float* y, float* pooled, const conv1_geometry* g) { \
  const int64_t co = g->co, row = g->ow * co, ph = g->pool ? g->oh / 2 : 0, pw = g->pool ? g->ow / 2 : 0, PW = g->ow + g->kw - 1; \
  float* P = malloc(sizeof(float) * (size_t)((g->oh + g->kh - 1) * PW)); \
  if (P == NULL) return 0; \
  const int nv2 = co % (2 * VL) == 0; \
  for (int64_t b = 0; b < g->n; b++) { \
    conv1_pad_##SFX(x + b * g->h * g->w, g, P); \
    float* yi = y + b * g->oh * row; \
    for (int64_t oh = 0; oh < g->oh; oh++) { \
      if (nv2) for (int64_t c0 = 0; c0 < co; c0 += 2 * VL) conv1_row_##SFX(P, PW, w, bias, yi, g, oh, c0, 2); \
      else for (int64_t c0 = 0; c0 < co; c0 += VL) conv1_row_##SFX(P, PW, w, bias, yi, g, oh, c0, 1); \
      /* After each second row, its windows, from the rows still in cache. */ \
      if (g->pool && (oh & 1) && oh / 2 < ph) pool_row_##SFX(yi + (oh - 1) * row, pooled + ((b * ph) + oh / 2) * pw * co, pw, co, row); \
    } \
  } \
  free(P); \
  return 1; \
} \
/* ReLU's step at y: 1 where y > 0, y where NaN, else 0. */ \
TGT static CONV1_INLINE VT conv1_step_##SFX(VT v) { return SEL_NAN(v, v, SEL_GT(v, VZERO(), VSET1(1.0f), VZERO())); } \
/* dx·step(y) with RELU, else dx (max pooling's gradient alone). */ \
TGT static CONV1_INLINE VT conv1_relu_##SFX(VT dx, VT y, const int RELU) { return RELU ? VMUL(dx, conv1_step_##SFX(y)) : dx; } \
/* dz = dx·step(y) (or dx, without RELU) for row oh (and oh + 1 where pooled and it exists), channels \
   c0…c0+NV·VL, into D[row][ow][ld], from D's first float: dx from each window's first maximum (+0 \
   outside every window). */ \
TGT static CONV1_INLINE void conv1_dz_rows_##SFX(const float* yi, const float* dpi, const conv1_geometry* g, int64_t oh, int64_t c0, float* D, int64_t ld, const int NV, const int RELU) { \
  const int64_t co = g->co, row = g->ow * co; \
  if (!g->pool || oh / 2 >= g->oh / 2) { \
    for (int64_t ow = 0; ow < g->ow; ow++) \
      for (int v = 0; v < NV; v++) { \
        const int64_t at = oh * row + ow * co + c0 + v * VL; \
        VSTORE(D + ow * ld + v * VL, conv1_relu_##SFX(g->pool ? VZERO() : VLOAD(dpi + at), VLOAD(yi + at), RELU)); \
      } \
    return; \
  } \
  const int64_t pw = g->ow / 2; \
  float* D1 = D + g->ow * ld; \
  for (int64_t ww = 0; ww < pw; ww++) \
    for (int v = 0; v < NV; v++) { \
      const float* a = yi + oh * row + 2 * ww * co + c0 + v * VL; \
      const VT p00 = VLOAD(a), p01 = VLOAD(a + co), p10 = VLOAD(a + row), p11 = VLOAD(a + row + co); \
      const VT win = pool_winner_##SFX(p00, p01, p10, p11); \
      const VT d = VADD(VZERO(), VLOAD(dpi + ((oh / 2) * pw + ww) * co + c0 + v * VL)); \
      VSTORE(D + 2 * ww * ld + v * VL, conv1_relu_##SFX(SEL_EQ(win, VSET1(0.0f), d, VZERO()), p00, RELU)); \
      VSTORE(D + (2 * ww + 1) * ld + v * VL, conv1_relu_##SFX(SEL_EQ(win, VSET1(1.0f), d, VZERO()), p01, RELU)); \
      VSTORE(D1 + 2 * ww * ld + v * VL, conv1_relu_##SFX(SEL_EQ(win, VSET1(2.0f), d, VZERO()), p10, RELU)); \
      VSTORE(D1 + (2 * ww + 1) * ld + v * VL, conv1_relu_##SFX(SEL_EQ(win, VSET1(3.0f), d, VZERO()), p11, RELU)); \
    } \
  /* An odd width's last column is outside every window. */ \
  for (int64_t ow = 2 * pw; ow < g->ow; ow++) \
    for (int v = 0; v < NV; v++) { \
      const int64_t at = oh * row + ow * co + c0 + v * VL; \
      VSTORE(D + ow * ld + v * VL, conv1_relu_##SFX(VZERO(), VLOAD(yi + at), RELU)); \
      VSTORE(D1 + ow * ld + v * VL, conv1_relu_##SFX(VZERO(), VLOAD(yi + at + row), RELU)); \
    } \
} \
/* KH, KW: the filter's size as constants (its accumulators then stay in registers), or 0 for g's. */ \
TGT static CONV1_INLINE int conv1_backward_with_##SFX(const float* x, const float* y, const float* dpool, float* dw, float* db, const conv1_geometry* g, const int KH, const int KW, const int NV) { \
  const int64_t kh = KH ? KH : g->kh, kw = KW ? KW : g->kw, co = g->co, CW = NV * VL, PW = g->ow + kw - 1; \
  const int64_t dpImage = g->pool ? (g->oh / 2) * (g->ow / 2) * co : g->oh * g->ow * co; \
  float* P = malloc(sizeof(float) * (size_t)((g->oh + kh - 1) * PW)); \
  float* D = malloc(sizeof(float) * (size_t)(2 * g->ow * CW)); \
  if (P == NULL || D == NULL) { free(P); free(D); return 0; } \
  for (int64_t c0 = 0; c0 < co; c0 += CW) { \
    VT acc[CONV1_MAX_TAPS][2], sum[2]; \
    for (int64_t t = 0; t < kh * kw; t++) for (int v = 0; v < NV; v++) acc[t][v] = VZERO(); \
    for (int v = 0; v < NV; v++) sum[v] = VZERO(); \
    for (int64_t b = 0; b < g->n; b++) { \
      conv1_pad_##SFX(x + b * g->h * g->w, g, P); \
      const float* yi = y + b * g->oh * g->ow * co; \
      const float* dpi = dpool + b * dpImage; \
      int64_t rows; \
      for (int64_t oh = 0; oh < g->oh; oh += rows) { \
        rows = g->pool && oh + 1 < g->oh ? 2 : 1; \
        /* dz: computed into D, or (no epilogue) the gradient given. */ \
        const float* src = D; \
        int64_t ld = CW; \
        if (g->epilogue) conv1_dz_rows_##SFX(yi, dpi, g, oh, c0, D, CW, NV, 1); \
        else { src = dpi + oh * g->ow * co + c0; ld = co; } \
        /* The positions in order, as the bias's column sums and the filter GEMM's chunks fold them. */ \
        for (int64_t r = 0; r < rows; r++) \
          for (int64_t ow = 0; ow < g->ow; ow++) { \
            VT dz[2]; \
            for (int v = 0; v < NV; v++) { \
              dz[v] = VLOAD(src + (r * g->ow + ow) * ld + v * VL); \
              sum[v] = VADD(sum[v], dz[v]); \
            } \
            for (int64_t i = 0; i < kh; i++) { \
              const float* xr = P + (oh + r + i) * PW + ow; \
              for (int64_t j = 0; j < kw; j++) { \
                const VT xb = VSET1(xr[j]); \
                for (int v = 0; v < NV; v++) acc[i * kw + j][v] = VFMA(xb, dz[v], acc[i * kw + j][v]); \
              } \
            } \
          } \
      } \
    } \
    if (g->epilogue) for (int v = 0; v < NV; v++) VSTORE(db + c0 + v * VL, sum[v]); \
    for (int64_t t = 0; t < kh * kw; t++) for (int v = 0; v < NV; v++) VSTORE(dw + t * co + c0 + v * VL, acc[t][v]); \
  } \
  free(P); \
  free(D); \
  return 1; \
} \
TGT static int conv1_backward_##SFX(const float* x, const float* y, const float* dpool, float* dw, float* db, const conv1_geometry* g) { \
  const int nv2 = g->co % (2 * VL) == 0 && VL == 16; \
  if (g->kh == 3 && g->kw == 3) return nv2 ? conv1_backward_with_##SFX(x, y, dpool, dw, db, g, 3, 3, 2) : conv1_backward_with_##SFX(x, y, dpool, dw, db, g, 3, 3, 1); \
  return nv2 ? conv1_backward_with_##SFX(x, y, dpool, dw, db, g, 0, 0, 2) : conv1_backward_with_##SFX(x, y, dpool, dw, db, g, 0, 0, 1); \
} \
/* Any later block's 2×2 max pooling (XNNPACK's maximum, as above), images n × oh × ow × co. */ \
TGT static void max_pool_2x2_##SFX(const float* y, float* pooled, const conv1_geometry* g) { \
  const int64_t co = g->co, row = g->ow * co, ph = g->oh / 2, pw = g->ow / 2; \
  for (int64_t b = 0; b < g->n; b++) \
    for (int64_t q = 0; q < ph; q++) pool_row_##SFX(y + (b * g->oh + 2 * q) * row, pooled + (b * ph + q) * pw * co, pw, co, row); \
} \
/* Its gradient with ReLU's: dz = dx·step(y), written, and the bias's gradient, dz's column sums \
   folded over the positions in order (MaxPoolGrad, then ReluGradSums); without the epilogue, \
   MaxPoolGrad's dx alone (y is then the pooling's input), and no db. */ \
TGT static void pool_relu_grad_##SFX(const float* y, const float* dpool, float* dz, float* db, const conv1_geometry* g) { \
  const int64_t co = g->co, row = g->ow * co, dpImage = g->pool ? (g->oh / 2) * (g->ow / 2) * co : g->oh * row; \
  if (g->epilogue) for (int64_t c = 0; c < co; c += VL) VSTORE(db + c, VZERO()); \
  for (int64_t b = 0; b < g->n; b++) { \
    const float* yi = y + b * g->oh * row; \
    int64_t rows; \
    for (int64_t oh = 0; oh < g->oh; oh += rows) { \
      rows = g->pool && oh + 1 < g->oh ? 2 : 1; \
      float* D = dz + (b * g->oh + oh) * row; \
      for (int64_t c = 0; c < co; c += VL) { \
        if (g->epilogue) conv1_dz_rows_##SFX(yi, dpool + b * dpImage, g, oh, c, D + c, co, 1, 1); \
        else conv1_dz_rows_##SFX(yi, dpool + b * dpImage, g, oh, c, D + c, co, 1, 0); \
      } \
      if (!g->epilogue) continue; \
      for (int64_t p = 0; p < rows * g->ow; p++) \
        for (int64_t c = 0; c < co; c += VL) VSTORE(db + c, VADD(VLOAD(db + c), VLOAD(D + p * co + c))); \
    } \
  } \
}

// x < y ? t : f, x > y ? t : f, x == y ? t : f (each false where either is NaN), and (a is NaN) ? t : f.
#define SEL_LT512(x, y, t, f) _mm512_mask_mov_ps((f), _mm512_cmp_ps_mask((x), (y), _CMP_LT_OQ), (t))
#define SEL_GT512(x, y, t, f) _mm512_mask_mov_ps((f), _mm512_cmp_ps_mask((x), (y), _CMP_GT_OQ), (t))
#define SEL_EQ512(x, y, t, f) _mm512_mask_mov_ps((f), _mm512_cmp_ps_mask((x), (y), _CMP_EQ_OQ), (t))
#define SEL_NAN512(a, t, f) _mm512_mask_mov_ps((f), _mm512_cmp_ps_mask((a), (a), _CMP_UNORD_Q), (t))
#define SEL_LT256(x, y, t, f) _mm256_blendv_ps((f), (t), _mm256_cmp_ps((x), (y), _CMP_LT_OQ))
#define SEL_GT256(x, y, t, f) _mm256_blendv_ps((f), (t), _mm256_cmp_ps((x), (y), _CMP_GT_OQ))
#define SEL_EQ256(x, y, t, f) _mm256_blendv_ps((f), (t), _mm256_cmp_ps((x), (y), _CMP_EQ_OQ))
#define SEL_NAN256(a, t, f) _mm256_blendv_ps((f), (t), _mm256_cmp_ps((a), (a), _CMP_UNORD_Q))
CONV1_KERNELS(512, T512, __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_mul_ps, SEL_LT512, SEL_GT512, SEL_EQ512, SEL_NAN512)
CONV1_KERNELS(256, T256, __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_mul_ps, SEL_LT256, SEL_GT256, SEL_EQ256, SEL_NAN256)

// Batch normalisation in training mode, as simd.wat's bn_forward and bn_backward: tensors [m, c],
// c channels (the last axis) across the lanes, rows in order, the per-channel sums blocked by 256
// rows (a block's partial from +0, then added to the total), every step one IEEE operation in
// the wasm kernels' order, never contracted (-ffp-contract=off): the same floats, channel for
// channel, whichever width or lane computes it. Channels go in groups of up to four vectors
// (masked at the edge), whose block partials stay in registers: the wasm kernels load and store
// theirs each row. Neither fuses a multiply-add, so both run wherever the addon loads.
#define BN_BLOCK 256
// s = gamma·(1/√(variance + eps)): the forward pass's scale.
static void bn_scale(const float* gamma, const float* variance, float* s, int64_t c, float eps) {
  for (int64_t j = 0; j < c; j++) s[j] = gamma[j] * (1.0f / sqrtf(variance[j] + eps));
}
// The backward pass's factors, from dgamma = Σdy·(x − mean): invstd = 1/√(variance + eps),
// dgamma·invstd in place, k = (gamma·invstd)/m.
static void bn_grad_factors(const float* gamma, const float* variance, float* dgamma, float* invstd, float* k, int64_t c, float fm, float eps) {
  for (int64_t j = 0; j < c; j++) {
    invstd[j] = 1.0f / sqrtf(variance[j] + eps);
    dgamma[j] = dgamma[j] * invstd[j];
    k[j] = (gamma[j] * invstd[j]) / fm;
  }
}
#define BN_INLINE inline __attribute__((always_inline))
// bn_sums for sums of `kind` over nv (1 to 4) vectors of channels, each call with constants.
#define BN_SUMS_CALL(SFX, KIND, NV) bn_sums_##SFX(KIND, NV, a, b, mean, t1, t2, m, c, j0);
#define BN_SUMS_BY_WIDTH(SFX, KIND) \
  if (nv == 4) BN_SUMS_CALL(SFX, KIND, 4) else if (nv == 3) BN_SUMS_CALL(SFX, KIND, 3) \
  else if (nv == 2) BN_SUMS_CALL(SFX, KIND, 2) else BN_SUMS_CALL(SFX, KIND, 1)
#define BN_KERNELS(SFX, TGT, VT, VL, MT, VMASK, VLOAD, VSTORE, VLOADU, VSTOREU, VZERO, VSET1, VADD, VSUB, VMUL) \
/* kind 0: t1 = Σa; 1: t1 = Σ(a − mean)²; 2: t1 = Σa, t2 = Σa·(b − mean); over channels j0 … j0 + NV·VL. */ \
TGT static BN_INLINE void bn_sums_##SFX(const int kind, const int NV, const float* a, const float* b, const float* mean, float* t1, float* t2, int64_t m, int64_t c, int64_t j0) { \
  MT mk[4]; \
  VT mv[4], tot1[4], tot2[4]; \
  for (int v = 0; v < NV; v++) { \
    mk[v] = VMASK(c - j0 - v * VL); \
    mv[v] = kind ? VLOAD(mk[v], mean + j0 + v * VL) : VZERO(); \
    tot1[v] = VZERO(); \
    tot2[v] = VZERO(); \
  } \
  for (int64_t r0 = 0; r0 < m; r0 += BN_BLOCK) { \
    const int64_t stop = r0 + BN_BLOCK < m ? r0 + BN_BLOCK : m; \
    VT p1[4], p2[4]; \
    for (int v = 0; v < NV; v++) { p1[v] = VZERO(); p2[v] = VZERO(); } \
    for (int64_t r = r0; r < stop; r++) { \
      const float* ar = a + r * c + j0; \
      for (int v = 0; v < NV; v++) { \
        const VT x = VLOAD(mk[v], ar + v * VL); \
        if (kind == 0) p1[v] = VADD(p1[v], x); \
        else if (kind == 1) { const VT d = VSUB(x, mv[v]); p1[v] = VADD(p1[v], VMUL(d, d)); } \
        else { \
          p1[v] = VADD(p1[v], x); \
          p2[v] = VADD(p2[v], VMUL(x, VSUB(VLOAD(mk[v], b + r * c + j0 + v * VL), mv[v]))); \
        } \
      } \
    } \
    for (int v = 0; v < NV; v++) { tot1[v] = VADD(tot1[v], p1[v]); tot2[v] = VADD(tot2[v], p2[v]); } \
  } \
  for (int v = 0; v < NV; v++) { \
    VSTORE(mk[v], t1 + j0 + v * VL, tot1[v]); \
    if (kind == 2) VSTORE(mk[v], t2 + j0 + v * VL, tot2[v]); \
  } \
} \
TGT static void bn_reduce_##SFX(const int kind, const float* a, const float* b, const float* mean, float* t1, float* t2, int64_t m, int64_t c) { \
  for (int64_t j0 = 0; j0 < c; j0 += 4 * VL) { \
    const int64_t left = c - j0; \
    const int nv = left >= 4 * VL ? 4 : (int)((left + VL - 1) / VL); \
    /* Constant kind and width in each call, so the partials are registers. */ \
    if (kind == 0) { BN_SUMS_BY_WIDTH(SFX, 0) } \
    else if (kind == 1) { BN_SUMS_BY_WIDTH(SFX, 1) } \
    else { BN_SUMS_BY_WIDTH(SFX, 2) } \
  } \
} \
/* y = (x − mean)·s + beta. */ \
TGT static BN_INLINE VT bn_norm_##SFX(VT x, VT mean, VT s, VT beta) { return VADD(VMUL(VSUB(x, mean), s), beta); } \
/* dx = k·((fm·dy − dbeta) − ((x − mean)·invstd)·dgamma). */ \
TGT static BN_INLINE VT bn_dx_##SFX(VT fm, VT dy, VT x, VT mean, VT invstd, VT dbeta, VT dgamma, VT k) { \
  return VMUL(k, VSUB(VSUB(VMUL(fm, dy), dbeta), VMUL(VMUL(VSUB(x, mean), invstd), dgamma))); \
} \
/* mean = Σx/m; variance = Σ(x − mean)²/m; s = gamma·(1/√(variance + eps)). */ \
TGT static void bn_statistics_##SFX(const float* x, const float* gamma, float* mean, float* variance, float* s, int64_t m, int64_t c, float eps) { \
  const float fm = (float)m; \
  bn_reduce_##SFX(0, x, NULL, NULL, mean, NULL, m, c); \
  for (int64_t j = 0; j < c; j++) mean[j] = mean[j] / fm; \
  bn_reduce_##SFX(1, x, NULL, mean, variance, NULL, m, c); \
  for (int64_t j = 0; j < c; j++) variance[j] = variance[j] / fm; \
  bn_scale(gamma, variance, s, c, eps); \
} \
/* bn_statistics, then y = (x − mean)·s + beta, s in tmp. */ \
TGT static void bn_forward_##SFX(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* variance, float* s, int64_t m, int64_t c, float eps) { \
  bn_statistics_##SFX(x, gamma, mean, variance, s, m, c, eps); \
  const int64_t full = c - c % VL; \
  const MT edge = VMASK(c % VL); \
  for (int64_t r = 0; r < m; r++) { \
    int64_t j = 0; \
    /* Whole vectors unmasked (masked stores are slow on Zen 4 and 5), then the edge's lanes. */ \
    for (; j < full; j += VL) VSTOREU(y + r * c + j, bn_norm_##SFX(VLOADU(x + r * c + j), VLOADU(mean + j), VLOADU(s + j), VLOADU(beta + j))); \
    if (j < c) VSTORE(edge, y + r * c + j, bn_norm_##SFX(VLOAD(edge, x + r * c + j), VLOAD(edge, mean + j), VLOAD(edge, s + j), VLOAD(edge, beta + j))); \
  } \
} \
/* dbeta = Σdy; dgamma = invstd·Σdy·(x − mean); dx = k·((m·dy − dbeta) − ((x − mean)·invstd)·dgamma), \
   k = (gamma·invstd)/m; tmp: invstd, then k (2c floats). */ \
TGT static void bn_backward_##SFX(const float* dy, const float* x, const float* gamma, const float* mean, const float* variance, float* dx, float* dgamma, float* dbeta, float* tmp, int64_t m, int64_t c, float eps) { \
  const float fm = (float)m; \
  float* invstd = tmp; \
  float* k = tmp + c; \
  bn_reduce_##SFX(2, dy, x, mean, dbeta, dgamma, m, c); \
  bn_grad_factors(gamma, variance, dgamma, invstd, k, c, fm, eps); \
  const VT fmv = VSET1(fm); \
  const int64_t full = c - c % VL; \
  const MT edge = VMASK(c % VL); \
  for (int64_t r = 0; r < m; r++) { \
    const int64_t o = r * c; \
    int64_t j = 0; \
    for (; j < full; j += VL) \
      VSTOREU(dx + o + j, bn_dx_##SFX(fmv, VLOADU(dy + o + j), VLOADU(x + o + j), VLOADU(mean + j), VLOADU(invstd + j), VLOADU(dbeta + j), VLOADU(dgamma + j), VLOADU(k + j))); \
    if (j < c) \
      VSTORE(edge, dx + o + j, bn_dx_##SFX(fmv, VLOAD(edge, dy + o + j), VLOAD(edge, x + o + j), VLOAD(edge, mean + j), VLOAD(edge, invstd + j), VLOAD(edge, dbeta + j), VLOAD(edge, dgamma + j), VLOAD(edge, k + j))); \
  } \
}

// The first n of a vector's lanes (all where n is at least the width).
T512 static inline __mmask16 lanes512(int64_t n) { return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1); }
T256 static inline __m256i lanes256(int64_t n) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n >= 8 ? 8 : (int)n), index);
}
#define LOADM512(mk, p) _mm512_maskz_loadu_ps((mk), (p))
#define STOREM512(mk, p, v) _mm512_mask_storeu_ps((p), (mk), (v))
#define LOADM256(mk, p) _mm256_maskload_ps((p), (mk))
#define STOREM256(mk, p, v) _mm256_maskstore_ps((p), (mk), (v))
BN_KERNELS(512, T512, __m512, 16, __mmask16, lanes512, LOADM512, STOREM512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps)
BN_KERNELS(256, T256, __m256, 8, __m256i, lanes256, LOADM256, STOREM256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps)

// Batch norm, ReLU and 2×2 max pooling of a CNN block in training, as one kernel each way: the
// floats of bn_forward, tfjs's Relu on wasm (see RELU512 below), max_pool_2x2 (XNNPACK's maximum)
// forward, and of MaxPoolGrad (each window's gradient, 0 + dp, to its first maximum in row-major
// order; +0 elsewhere), SweepReluGrad (·step(y): 1 where y > 0, y where NaN, else 0) and
// bn_backward, in that order, backward. Neither the normalised y nor ReLU's output is stored:
// the backward pass recomputes y from x with the forward's operations, so the same bits, and
// folds its sums over the rows in order in blocks of BN_BLOCK, as bn_sums. x is [n, h, w, c],
// c a multiple of 16 (whole vectors at either width); odd h or w leave a last row or column
// outside every window, as the pooling's floor does.
typedef struct { int64_t n, h, w, c; } bn_pool_geometry;
#define BN_POOL_KERNELS(SFX, TGT, VT, VL, VLOAD, VSTORE, VZERO, VSET1, VADD, VSUB, VMUL, SEL_GT, SEL_EQ, SEL_NAN, RELU) \
TGT static BN_INLINE VT bnp_relu_##SFX(VT y) { return RELU(y); } \
TGT static BN_INLINE VT bnp_step_##SFX(VT y) { return SEL_NAN(y, y, SEL_GT(y, VZERO(), VSET1(1.0f), VZERO())); } \
TGT static void bn_relu_pool_forward_##SFX(const float* x, const float* gamma, const float* beta, float* pooled, float* mean, float* variance, float* s, const bn_pool_geometry* g, float eps) { \
  const int64_t c = g->c, m = g->n * g->h * g->w, row = g->w * c, ph = g->h / 2, pw = g->w / 2; \
  bn_statistics_##SFX(x, gamma, mean, variance, s, m, c, eps); \
  for (int64_t b = 0; b < g->n; b++) \
    for (int64_t q = 0; q < ph; q++) \
      for (int64_t j = 0; j < c; j += VL) { \
        const VT mu = VLOAD(mean + j), sv = VLOAD(s + j), bt = VLOAD(beta + j); \
        for (int64_t ww = 0; ww < pw; ww++) { \
          const float* a = x + (b * g->h + 2 * q) * row + 2 * ww * c + j; \
          const VT r00 = bnp_relu_##SFX(bn_norm_##SFX(VLOAD(a), mu, sv, bt)); \
          const VT r01 = bnp_relu_##SFX(bn_norm_##SFX(VLOAD(a + c), mu, sv, bt)); \
          const VT r10 = bnp_relu_##SFX(bn_norm_##SFX(VLOAD(a + row), mu, sv, bt)); \
          const VT r11 = bnp_relu_##SFX(bn_norm_##SFX(VLOAD(a + row + c), mu, sv, bt)); \
          VSTORE(pooled + ((b * ph + q) * pw + ww) * c + j, pool4_##SFX(r00, r01, r10, r11)); \
        } \
      } \
} \
/* The gradient at batch norm's output (dz = MaxPoolGrad's dx·step(y)) for image row oh, and oh + 1 \
   where the two share windows, into D (rows × w × c). */ \
TGT static void bnp_dz_rows_##SFX(const float* xi, const float* dpi, const float* mean, const float* s, const float* beta, const bn_pool_geometry* g, int64_t oh, int64_t rows, float* D) { \
  const int64_t c = g->c, row = g->w * c, pw = g->w / 2; \
  for (int64_t j = 0; j < c; j += VL) { \
    const VT mu = VLOAD(mean + j), sv = VLOAD(s + j), bt = VLOAD(beta + j); \
    if (rows == 2) \
      for (int64_t ww = 0; ww < pw; ww++) { \
        const float* a = xi + oh * row + 2 * ww * c + j; \
        const VT y00 = bn_norm_##SFX(VLOAD(a), mu, sv, bt), y01 = bn_norm_##SFX(VLOAD(a + c), mu, sv, bt); \
        const VT y10 = bn_norm_##SFX(VLOAD(a + row), mu, sv, bt), y11 = bn_norm_##SFX(VLOAD(a + row + c), mu, sv, bt); \
        const VT p00 = bnp_relu_##SFX(y00), p01 = bnp_relu_##SFX(y01), p10 = bnp_relu_##SFX(y10), p11 = bnp_relu_##SFX(y11); \
        const VT win = pool_winner_##SFX(p00, p01, p10, p11); \
        const VT d = VADD(VZERO(), VLOAD(dpi + ((oh / 2) * pw + ww) * c + j)); \
        float* o = D + 2 * ww * c + j; \
        VSTORE(o, VMUL(SEL_EQ(win, VSET1(0.0f), d, VZERO()), bnp_step_##SFX(y00))); \
        VSTORE(o + c, VMUL(SEL_EQ(win, VSET1(1.0f), d, VZERO()), bnp_step_##SFX(y01))); \
        VSTORE(o + row, VMUL(SEL_EQ(win, VSET1(2.0f), d, VZERO()), bnp_step_##SFX(y10))); \
        VSTORE(o + row + c, VMUL(SEL_EQ(win, VSET1(3.0f), d, VZERO()), bnp_step_##SFX(y11))); \
      } \
    /* Outside every window: a last odd row, or an odd width's last column. */ \
    for (int64_t r = 0; r < rows; r++) \
      for (int64_t ow = rows == 2 ? 2 * pw : 0; ow < g->w; ow++) { \
        const VT y = bn_norm_##SFX(VLOAD(xi + (oh + r) * row + ow * c + j), mu, sv, bt); \
        VSTORE(D + r * row + ow * c + j, VMUL(VZERO(), bnp_step_##SFX(y))); \
      } \
  } \
} \
/* The sums over `count` rows of D (and of x from xr), rows r0… of the whole, for channels j0 … j0 + NV·VL: \
   the block partials p1, p2 carried in registers, folded into t1, t2 where a block of BN_BLOCK rows ends. */ \
TGT static BN_INLINE void bnp_sums_##SFX(const int NV, const float* D, const float* xr, const float* mean, float* p1, float* p2, float* t1, float* t2, int64_t count, int64_t r0, int64_t c, int64_t j0) { \
  VT a1[4], a2[4], mv[4]; \
  for (int v = 0; v < NV; v++) { a1[v] = VLOAD(p1 + j0 + v * VL); a2[v] = VLOAD(p2 + j0 + v * VL); mv[v] = VLOAD(mean + j0 + v * VL); } \
  int64_t fold = (BN_BLOCK - r0 % BN_BLOCK) % BN_BLOCK; /* rows until the next block starts */ \
  for (int64_t p = 0; p < count; p++) { \
    if (fold == 0) { \
      if (r0 + p > 0) \
        for (int v = 0; v < NV; v++) { \
          VSTORE(t1 + j0 + v * VL, VADD(VLOAD(t1 + j0 + v * VL), a1[v])); \
          VSTORE(t2 + j0 + v * VL, VADD(VLOAD(t2 + j0 + v * VL), a2[v])); \
          a1[v] = VZERO(); \
          a2[v] = VZERO(); \
        } \
      fold = BN_BLOCK; \
    } \
    fold--; \
    for (int v = 0; v < NV; v++) { \
      const VT dz = VLOAD(D + p * c + j0 + v * VL); \
      a1[v] = VADD(a1[v], dz); \
      a2[v] = VADD(a2[v], VMUL(dz, VSUB(VLOAD(xr + p * c + j0 + v * VL), mv[v]))); \
    } \
  } \
  for (int v = 0; v < NV; v++) { VSTORE(p1 + j0 + v * VL, a1[v]); VSTORE(p2 + j0 + v * VL, a2[v]); } \
} \
/* tmp: s, invstd, k, and the block partials p1, p2 (5c floats), then D (2·w·c). */ \
TGT static void bn_relu_pool_backward_##SFX(const float* dp, const float* x, const float* gamma, const float* beta, const float* mean, const float* variance, float* dx, float* dgamma, float* dbeta, float* tmp, const bn_pool_geometry* g, float eps) { \
  const int64_t c = g->c, m = g->n * g->h * g->w, row = g->w * c, ph = g->h / 2, dpImage = ph * (g->w / 2) * c; \
  const float fm = (float)m; \
  float *s = tmp, *invstd = tmp + c, *k = tmp + 2 * c, *p1 = tmp + 3 * c, *p2 = tmp + 4 * c, *D = tmp + 5 * c; \
  bn_scale(gamma, variance, s, c, eps); \
  for (int64_t j = 0; j < c; j++) { dbeta[j] = 0.0f; dgamma[j] = 0.0f; p1[j] = 0.0f; p2[j] = 0.0f; } \
  /* dbeta = Σdz, dgamma = Σdz·(x − mean), the rows in order, partials per block of BN_BLOCK rows. */ \
  int64_t r = 0; \
  for (int64_t b = 0; b < g->n; b++) { \
    const float* xi = x + b * g->h * row; \
    for (int64_t oh = 0, rows; oh < g->h; oh += rows) { \
      rows = oh + 1 < g->h && oh / 2 < ph ? 2 : 1; \
      bnp_dz_rows_##SFX(xi, dp + b * dpImage, mean, s, beta, g, oh, rows, D); \
      for (int64_t j0 = 0; j0 < c; j0 += 4 * VL) { \
        const int64_t left = (c - j0) / VL; \
        const int nv = left >= 4 ? 4 : (int)left; \
        /* Constant widths, so the partials are registers. */ \
        if (nv == 4) bnp_sums_##SFX(4, D, xi + oh * row, mean, p1, p2, dbeta, dgamma, rows * g->w, r, c, j0); \
        else if (nv == 3) bnp_sums_##SFX(3, D, xi + oh * row, mean, p1, p2, dbeta, dgamma, rows * g->w, r, c, j0); \
        else if (nv == 2) bnp_sums_##SFX(2, D, xi + oh * row, mean, p1, p2, dbeta, dgamma, rows * g->w, r, c, j0); \
        else bnp_sums_##SFX(1, D, xi + oh * row, mean, p1, p2, dbeta, dgamma, rows * g->w, r, c, j0); \
      } \
      r += rows * g->w; \
    } \
  } \
  for (int64_t j = 0; j < c; j += VL) { \
    VSTORE(dbeta + j, VADD(VLOAD(dbeta + j), VLOAD(p1 + j))); \
    VSTORE(dgamma + j, VADD(VLOAD(dgamma + j), VLOAD(p2 + j))); \
  } \
  bn_grad_factors(gamma, variance, dgamma, invstd, k, c, fm, eps); \
  /* dx = k·((m·dz − dbeta) − ((x − mean)·invstd)·dgamma), dz computed again. */ \
  const VT fmv = VSET1(fm); \
  for (int64_t b = 0; b < g->n; b++) { \
    const float* xi = x + b * g->h * row; \
    for (int64_t oh = 0, rows; oh < g->h; oh += rows) { \
      rows = oh + 1 < g->h && oh / 2 < ph ? 2 : 1; \
      bnp_dz_rows_##SFX(xi, dp + b * dpImage, mean, s, beta, g, oh, rows, D); \
      const int64_t o = (b * g->h + oh) * row; \
      /* A channel vector at a time, its factors in registers (dx might alias them, so the compiler won't keep them). */ \
      for (int64_t j = 0; j < c; j += VL) { \
        const VT mu = VLOAD(mean + j), is = VLOAD(invstd + j), db = VLOAD(dbeta + j), dg = VLOAD(dgamma + j), kj = VLOAD(k + j); \
        for (int64_t p = 0; p < rows * g->w; p++) \
          VSTORE(dx + o + p * c + j, bn_dx_##SFX(fmv, VLOAD(D + p * c + j), VLOAD(x + o + p * c + j), mu, is, db, dg, kj)); \
      } \
    } \
  } \
}
// tfjs's Relu on wasm is XNNPACK's, a signed integer maximum with 0 on the float's bits: −0 and a
// NaN with its sign bit set (x86's default NaN, as ∞ − ∞ makes) become +0; a positive NaN passes.
#define RELU512(y) _mm512_castsi512_ps(_mm512_max_epi32(_mm512_castps_si512(y), _mm512_setzero_si512()))
#define RELU256(y) _mm256_castsi256_ps(_mm256_max_epi32(_mm256_castps_si256(y), _mm256_setzero_si256()))
BN_POOL_KERNELS(512, T512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, SEL_GT512, SEL_EQ512, SEL_NAN512, RELU512)
BN_POOL_KERNELS(256, T256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, SEL_GT256, SEL_EQ256, SEL_NAN256, RELU256)

// Batch norm with given statistics (inference), as tfjs-backend-wasm 4.22's FusedBatchNorm:
// t = (x − mean)·scale in float, then y = float(offset + t / norm) in double, norm = √(variance
// + eps) taken in float and widened (its normalization_factor is a vector of double). 8 channels
// at a time, the rest one by one with the same operations; nd and od hold norm and offset as
// doubles (c each).
static void bn_inference_tail(const float* x, const float* mean, const float* scale, const double* nd, const double* od, float* y, int64_t j, int64_t c) {
  for (; j < c; j++) {
    const float t = (x[j] - mean[j]) * scale[j];
    y[j] = (float)(od[j] + (double)t / nd[j]);
  }
}
// Eight channels of y from x, mean, scale and the doubles nd, od at the same channel.
T512 static inline __attribute__((always_inline)) void bn_inference8_512(const float* x, const float* mean, const float* scale, const double* nd, const double* od, float* y) {
  const __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(mean)), _mm256_loadu_ps(scale));
  const __m512d q = _mm512_div_pd(_mm512_cvtps_pd(t), _mm512_loadu_pd(nd));
  _mm256_storeu_ps(y, _mm512_cvtpd_ps(_mm512_add_pd(_mm512_loadu_pd(od), q)));
}
T256 static inline __attribute__((always_inline)) void bn_inference8_256(const float* x, const float* mean, const float* scale, const double* nd, const double* od, float* y) {
  const __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(mean)), _mm256_loadu_ps(scale));
  const __m256d lo = _mm256_add_pd(_mm256_loadu_pd(od), _mm256_div_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(t)), _mm256_loadu_pd(nd)));
  const __m256d hi = _mm256_add_pd(_mm256_loadu_pd(od + 4), _mm256_div_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)), _mm256_loadu_pd(nd + 4)));
  _mm256_storeu_ps(y, _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)));
}
#define BN_INFERENCE(SFX, TGT) \
TGT static void bn_inference_##SFX(const float* x, const float* mean, const float* variance, const float* offset, const float* scale, float* y, double* nd, double* od, int64_t m, int64_t c, float eps) { \
  for (int64_t j = 0; j < c; j++) { nd[j] = (double)sqrtf(variance[j] + eps); od[j] = (double)offset[j]; } \
  for (int64_t r = 0; r < m; r++) { \
    const float* xr = x + r * c; \
    float* yr = y + r * c; \
    int64_t j = 0; \
    for (; j + 8 <= c; j += 8) bn_inference8_##SFX(xr + j, mean + j, scale + j, nd + j, od + j, yr + j); \
    bn_inference_tail(xr, mean, scale, nd, od, yr, j, c); \
  } \
}
BN_INFERENCE(512, T512)
BN_INFERENCE(256, T256)

// Adam in PyTorch's form, as simd.wat's adam_fast, each weight's floats the same whichever
// width computes it (each step one IEEE operation, never contracted):
//   m1 = m0·b1 + g·c1,  v1 = v0·b2 + (g·g)·c2,  each 0 where below 2⁻¹²⁶ in magnitude (NaN kept),
//   w1 = (m1·s1) / (√v1·s2 + eps) + w0.
// m1 and v1 may be m0 and v0 (in place).
typedef struct { float b1, c1, b2, c2, s1, s2, eps; } adam_scalars;

static void adam_scalar(const float* w0, const float* m0, const float* v0, const float* g, float* w1, float* m1, float* v1, int64_t i, int64_t n, const adam_scalars* k) {
  for (; i < n; i++) {
    const float gs = g[i];
    float ms = m0[i] * k->b1 + gs * k->c1;
    float vs = v0[i] * k->b2 + (gs * gs) * k->c2;
    if (fabsf(ms) < 0x1p-126f) ms = 0.0f;
    if (fabsf(vs) < 0x1p-126f) vs = 0.0f;
    m1[i] = ms;
    v1[i] = vs;
    w1[i] = (ms * k->s1) / (sqrtf(vs) * k->s2 + k->eps) + w0[i];
  }
}

T512 static void adam512(const float* w0, const float* m0, const float* v0, const float* g, float* w1, float* m1, float* v1, int64_t n, const adam_scalars* k) {
  const __m512 b1 = _mm512_set1_ps(k->b1), c1 = _mm512_set1_ps(k->c1), b2 = _mm512_set1_ps(k->b2), c2 = _mm512_set1_ps(k->c2);
  const __m512 s1 = _mm512_set1_ps(k->s1), s2 = _mm512_set1_ps(k->s2), eps = _mm512_set1_ps(k->eps), tiny = _mm512_set1_ps(0x1p-126f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gv = _mm512_loadu_ps(g + i);
    __m512 mv = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(m0 + i), b1), _mm512_mul_ps(gv, c1));
    __m512 vv = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(v0 + i), b2), _mm512_mul_ps(_mm512_mul_ps(gv, gv), c2));
    mv = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(mv), tiny, _CMP_NLT_UQ), mv);
    vv = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(vv), tiny, _CMP_NLT_UQ), vv);
    _mm512_storeu_ps(m1 + i, mv);
    _mm512_storeu_ps(v1 + i, vv);
    _mm512_storeu_ps(w1 + i, _mm512_add_ps(_mm512_div_ps(_mm512_mul_ps(mv, s1), _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vv), s2), eps)), _mm512_loadu_ps(w0 + i)));
  }
  adam_scalar(w0, m0, v0, g, w1, m1, v1, i, n, k);
}

T256 static void adam256(const float* w0, const float* m0, const float* v0, const float* g, float* w1, float* m1, float* v1, int64_t n, const adam_scalars* k) {
  const __m256 b1 = _mm256_set1_ps(k->b1), c1 = _mm256_set1_ps(k->c1), b2 = _mm256_set1_ps(k->b2), c2 = _mm256_set1_ps(k->c2);
  const __m256 s1 = _mm256_set1_ps(k->s1), s2 = _mm256_set1_ps(k->s2), eps = _mm256_set1_ps(k->eps), tiny = _mm256_set1_ps(0x1p-126f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gv = _mm256_loadu_ps(g + i);
    __m256 mv = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m0 + i), b1), _mm256_mul_ps(gv, c1));
    __m256 vv = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v0 + i), b2), _mm256_mul_ps(_mm256_mul_ps(gv, gv), c2));
    mv = _mm256_andnot_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, mv), tiny, _CMP_LT_OQ), mv);
    vv = _mm256_andnot_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, vv), tiny, _CMP_LT_OQ), vv);
    _mm256_storeu_ps(m1 + i, mv);
    _mm256_storeu_ps(v1 + i, vv);
    _mm256_storeu_ps(w1 + i, _mm256_add_ps(_mm256_div_ps(_mm256_mul_ps(mv, s1), _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vv), s2), eps)), _mm256_loadu_ps(w0 + i)));
  }
  adam_scalar(w0, m0, v0, g, w1, m1, v1, i, n, k);
}

// The core's peak: independent chains of fused multiply-adds on registers, no memory traffic, to
// set the products' GFLOP/s against (npm run bench). A chain waits for its previous FMA (4 cycles
// on Zen 4 and Sapphire Rapids), and a core issues up to two a cycle, so at least 8 chains must be
// in flight; 16 (AVX-512, of its 32 registers) and 12 (AVX2, of 16, leaving room for the two
// operands) cover up to 8 and 6 cycles of latency at two a cycle. Each step multiplies by a value
// just under 1 and adds a small one, so the chains stay normal floats (a subnormal would slow it).
#define PEAK_CHAINS512 16
#define PEAK_CHAINS256 12
#define FMA16(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define FMA12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)

T512 static float peak512(int64_t iterations) {
  __m512 acc[PEAK_CHAINS512];
  const __m512 x = _mm512_set1_ps(0.9999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < PEAK_CHAINS512; i++) acc[i] = _mm512_set1_ps(1.0f + (float)i / 64);
#define STEP512(r) acc[r] = _mm512_fmadd_ps(acc[r], x, y);
  for (int64_t it = 0; it < iterations; it++) { FMA16(STEP512) }
  __m512 sum = acc[0];
  for (int i = 1; i < PEAK_CHAINS512; i++) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

T256 static float peak256(int64_t iterations) {
  __m256 acc[PEAK_CHAINS256];
  const __m256 x = _mm256_set1_ps(0.9999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < PEAK_CHAINS256; i++) acc[i] = _mm256_set1_ps(1.0f + (float)i / 64);
#define STEP256(r) acc[r] = _mm256_fmadd_ps(acc[r], x, y);
  for (int64_t it = 0; it < iterations; it++) { FMA12(STEP256) }
  __m256 sum = acc[0];
  for (int i = 1; i < PEAK_CHAINS256; i++) sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

// Where the chains' sum goes: the compiler must assume it is read, so it cannot drop the loop.
static volatile float peak_sink;

static double seconds_of(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// The JavaScript side. Every call: (memory: ArrayBuffer, …byte offsets and sizes, isa?), where
// isa "avx2" forces the 256-bit kernel (to test it on an AVX-512 machine). Offsets and sizes are
// checked against the buffer before anything is read or written.

typedef struct { char* base; size_t length; int wide; int64_t v[20]; double d[8]; } call;  // wide: the 512-bit kernels

// Reads argv[0] (the buffer), then count integers, then reals numbers, then the optional isa.
static int read_call(napi_env env, napi_callback_info info, size_t count, size_t reals, call* out) {
  size_t argc = 22;
  napi_value argv[22];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count + reals + 1) {
    napi_throw_type_error(env, NULL, "sweep native: too few arguments");
    return 0;
  }
  void* data;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &out->length) != napi_ok) {
    napi_throw_type_error(env, NULL, "sweep native: the first argument must be the memory's ArrayBuffer");
    return 0;
  }
  out->base = (char*)data;
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &out->v[i]) != napi_ok || out->v[i] < 0) {
      napi_throw_type_error(env, NULL, "sweep native: offsets and sizes must be non-negative numbers");
      return 0;
    }
  }
  for (size_t i = 0; i < reals; i++) {
    if (napi_get_value_double(env, argv[count + 1 + i], &out->d[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "sweep native: expected a number");
      return 0;
    }
  }
  out->wide = has_avx512;
  if (argc > count + reals + 1) {
    char isa[16] = {0};
    size_t len;
    if (napi_get_value_string_utf8(env, argv[count + reals + 1], isa, sizeof isa, &len) == napi_ok && strcmp(isa, "avx2") == 0) out->wide = 0;
  }
  if (!out->wide && !has_avx2) {
    napi_throw_error(env, NULL, "sweep native: this CPU has neither AVX-512 nor AVX2 with FMA");
    return 0;
  }
  return 1;
}

// Whether floats [offset, offset + count) lie in the buffer.
static int inside(napi_env env, const call* c, int64_t offset, int64_t count) {
  if (offset % 4 == 0 && offset + 4 * count <= (int64_t)c->length) return 1;
  napi_throw_range_error(env, NULL, "sweep native: an operand lies outside the memory");
  return 0;
}

// gemm(memory, a, b, c, m, k, n, sai, sap, acc[, isa]): as simd.wat's gemm in its fused build;
// gemm_exact as in its exact build (each product rounded, then added).
static napi_value js_gemm_with(napi_env env, napi_callback_info info, int fused) {
  call c;
  if (!read_call(env, info, 9, 0, &c)) return NULL;
  const int64_t a = c.v[0], b = c.v[1], out = c.v[2], m = c.v[3], k = c.v[4], n = c.v[5], sai = c.v[6], sap = c.v[7];
  if (m == 0 || n == 0) return NULL;
  if (m > INT32_MAX || k > INT32_MAX || n > INT32_MAX) { napi_throw_range_error(env, NULL, "sweep native: gemm too large"); return NULL; }
  const int64_t aFloats = k == 0 ? 0 : (m - 1) * sai + (k - 1) * sap + 1;
  if (!inside(env, &c, a, aFloats) || !inside(env, &c, b, k * n) || !inside(env, &c, out, m * n)) return NULL;
  const gemm_fn gemm = fused ? (c.wide ? gemm512 : gemm256) : (c.wide ? gemm512_exact : gemm256_exact);
  gemm((const float*)(c.base + a), (const float*)(c.base + b), (float*)(c.base + out), (int)m, (int)k, (int)n, (ptrdiff_t)sai, (ptrdiff_t)sap, c.v[8] != 0);
  return NULL;
}
static napi_value js_gemm(napi_env env, napi_callback_info info) { return js_gemm_with(env, info, 1); }
static napi_value js_gemm_exact(napi_env env, napi_callback_info info) { return js_gemm_with(env, info, 0); }

// conv_forward / conv_filter_grad(memory, x, w|dy, y|dw, col, rows, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl[, isa]).
// mode 0: conv_forward; 1: conv_filter_grad; 2: conv_forward_exact, y += im2col(x)·w with the
// exact GEMM (each product rounded, then added): XNNPACK's convolution, the bias first in y.
static napi_value js_conv(napi_env env, napi_callback_info info, int mode) {
  const int filter_grad = mode == 1;
  call c;
  if (!read_call(env, info, 18, 0, &c)) return NULL;
  const int64_t* v = c.v;
  const geometry g = { v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17] };
  const int64_t k = g.kh * g.kw * g.ci, positions = g.n * g.oh * g.ow, rows = v[4];
  if (rows == 0 || k > INT32_MAX || positions > INT32_MAX || g.co > INT32_MAX || g.sh == 0 || g.sw == 0) {
    napi_throw_range_error(env, NULL, "sweep native: bad convolution geometry");
    return NULL;
  }
  if (!inside(env, &c, v[0], g.n * g.h * g.w * g.ci) || !inside(env, &c, v[3], rows * k)
      || !inside(env, &c, v[1], filter_grad ? positions * g.co : k * g.co)
      || !inside(env, &c, v[2], filter_grad ? k * g.co : positions * g.co)) return NULL;
  float* f[4];
  for (int i = 0; i < 4; i++) f[i] = (float*)(c.base + v[i]);
  if (mode == 2) conv_forward_with(c.wide ? gemm512_exact : gemm256_exact, c.wide ? gemm512_rows_exact : gemm256_rows_exact, f[0], f[1], f[2], f[3], rows, &g, 1);
  else if (filter_grad) conv_filter_grad(c.wide ? gemm512 : gemm256, f[0], f[1], f[2], f[3], rows, &g);
  else conv_forward_with(c.wide ? gemm512 : gemm256, c.wide ? gemm512_rows : gemm256_rows, f[0], f[1], f[2], f[3], rows, &g, 0);
  return NULL;
}
static napi_value js_conv_forward(napi_env env, napi_callback_info info) { return js_conv(env, info, 0); }
static napi_value js_conv_filter_grad(napi_env env, napi_callback_info info) { return js_conv(env, info, 1); }
static napi_value js_conv_forward_exact(napi_env env, napi_callback_info info) { return js_conv(env, info, 2); }

// conv1_forward(memory, x, w, bias, y, pooled, n, h, w, oh, ow, co, kh, kw, pt, pl, pool, epilogue[, isa])
// and conv1_backward(memory, x, y, dpool, dw, db, …the same geometry[, isa]): the first
// convolution's kernels above. co a multiple of 16; at most 25 taps; pool 1 (2×2, stride 2,
// valid) or 0, and only with the epilogue.
static napi_value js_conv1(napi_env env, napi_callback_info info, int backward) {
  call c;
  if (!read_call(env, info, 17, 0, &c)) return NULL;
  const int64_t* v = c.v;
  const conv1_geometry g = { v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16] };
  // Every tap's read is checked against the image, so any output size and padding stay inside it.
  if (g.co == 0 || g.co % 16 != 0 || g.kh == 0 || g.kw == 0 || g.kh * g.kw > CONV1_MAX_TAPS || g.pool > 1 || g.epilogue > 1 || (g.pool && !g.epilogue)) {
    napi_throw_range_error(env, NULL, "sweep native: bad first-convolution geometry");
    return NULL;
  }
  const int64_t outs = g.n * g.oh * g.ow * g.co, pools = g.pool ? g.n * (g.oh / 2) * (g.ow / 2) * g.co : 0, taps = g.kh * g.kw * g.co;
  if (!inside(env, &c, v[0], g.n * g.h * g.w)) return NULL;
  // Without the epilogue, the bias, y and db are neither read nor written.
  const int64_t e = g.epilogue;
  if (backward ? !inside(env, &c, v[1], e ? outs : 0) || !inside(env, &c, v[2], g.pool ? pools : outs) || !inside(env, &c, v[3], taps) || !inside(env, &c, v[4], e ? g.co : 0)
               : !inside(env, &c, v[1], taps) || !inside(env, &c, v[2], e ? g.co : 0) || !inside(env, &c, v[3], outs) || !inside(env, &c, v[4], pools)) return NULL;
  float* f[5];
  for (int i = 0; i < 5; i++) f[i] = (float*)(c.base + v[i]);
  const int done = backward ? (c.wide ? conv1_backward_512 : conv1_backward_256)(f[0], f[1], f[2], f[3], f[4], &g)
                            : (c.wide ? conv1_forward_512 : conv1_forward_256)(f[0], f[1], f[2], f[3], f[4], &g);
  if (!done) napi_throw_error(env, NULL, "sweep native: out of memory");
  return NULL;
}
// max_pool_2x2(memory, y, pooled, n, oh, ow, co[, isa]) and pool_relu_grad(memory, y, dpool, dz,
// db, n, oh, ow, co, pool[, isa]): a later block's pooling, and its gradient with ReLU's; co a
// multiple of 16. max_pool_grad_2x2(memory, x, dy, dx, 0, n, h, w, c, 1[, isa]): MaxPoolGrad alone.
static napi_value js_pool(napi_env env, napi_callback_info info, int grad) {
  call c;
  if (!read_call(env, info, grad ? 9 : 6, 0, &c)) return NULL;
  const int64_t* v = c.v;
  const int64_t* d = v + (grad ? 4 : 2);
  const conv1_geometry g = { d[0], 0, 0, d[1], d[2], d[3], 1, 1, 0, 0, grad ? d[4] : 1, grad != 2 };
  if (g.co == 0 || g.co % 16 != 0 || g.pool > 1) {
    napi_throw_range_error(env, NULL, "sweep native: bad pooling geometry");
    return NULL;
  }
  const int64_t outs = g.n * g.oh * g.ow * g.co, pools = g.pool ? g.n * (g.oh / 2) * (g.ow / 2) * g.co : outs;
  if (!inside(env, &c, v[0], outs) || !inside(env, &c, v[1], pools)) return NULL;
  if (grad && (!inside(env, &c, v[2], outs) || !inside(env, &c, v[3], g.epilogue ? g.co : 0))) return NULL;
  float* f[4];
  for (int i = 0; i < (grad ? 4 : 2); i++) f[i] = (float*)(c.base + v[i]);
  if (grad) (c.wide ? pool_relu_grad_512 : pool_relu_grad_256)(f[0], f[1], f[2], f[3], &g);
  else (c.wide ? max_pool_2x2_512 : max_pool_2x2_256)(f[0], f[1], &g);
  return NULL;
}
static napi_value js_max_pool_2x2(napi_env env, napi_callback_info info) { return js_pool(env, info, 0); }
static napi_value js_pool_relu_grad(napi_env env, napi_callback_info info) { return js_pool(env, info, 1); }
static napi_value js_max_pool_grad_2x2(napi_env env, napi_callback_info info) { return js_pool(env, info, 2); }
static napi_value js_conv1_forward(napi_env env, napi_callback_info info) { return js_conv1(env, info, 0); }
static napi_value js_conv1_backward(napi_env env, napi_callback_info info) { return js_conv1(env, info, 1); }

// bn_forward(memory, x, gamma, beta, y, mean, variance, tmp, m, c, eps[, isa]) and
// bn_backward(memory, dy, x, gamma, mean, variance, dx, dgamma, dbeta, tmp, m, c, eps[, isa]):
// simd.wat's kernels of the same names (tmp: c floats forward, 2c backward).
static napi_value js_bn(napi_env env, napi_callback_info info, int backward) {
  call c;
  const size_t ptrs = backward ? 9 : 7;
  if (!read_call(env, info, ptrs + 2, 1, &c)) return NULL;
  const int64_t m = c.v[ptrs], ch = c.v[ptrs + 1], all = m * ch;
  if (ch == 0 || m > INT32_MAX || ch > INT32_MAX) { napi_throw_range_error(env, NULL, "sweep native: bad batch-norm shape"); return NULL; }
  // Forward: x, gamma, beta, y, mean, variance, tmp. Backward: dy, x, gamma, mean, variance, dx, dgamma, dbeta, tmp.
  static const int fwd[7] = { 1, 0, 0, 1, 0, 0, 0 }, bwd[9] = { 1, 1, 0, 0, 0, 1, 0, 0, 0 };
  float* f[9];
  for (size_t i = 0; i < ptrs; i++) {
    const int whole = backward ? bwd[i] : fwd[i];
    const int64_t count = whole ? all : (i == ptrs - 1 && backward ? 2 * ch : ch);
    if (!inside(env, &c, c.v[i], count)) return NULL;
    f[i] = (float*)(c.base + c.v[i]);
  }
  const float eps = (float)c.d[0];
  if (backward) (c.wide ? bn_backward_512 : bn_backward_256)(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], m, ch, eps);
  else (c.wide ? bn_forward_512 : bn_forward_256)(f[0], f[1], f[2], f[3], f[4], f[5], f[6], m, ch, eps);
  return NULL;
}
// bn_inference(memory, x, mean, variance, offset, scale, y, tmp, m, c, eps[, isa]): tfjs-backend-wasm's
// FusedBatchNorm where every parameter has the c channels (tmp: 4c floats, 8-byte aligned).
static napi_value js_bn_inference(napi_env env, napi_callback_info info) {
  call c;
  if (!read_call(env, info, 9, 1, &c)) return NULL;
  const int64_t m = c.v[7], ch = c.v[8];
  if (ch == 0 || m > INT32_MAX || ch > INT32_MAX) { napi_throw_range_error(env, NULL, "sweep native: bad batch-norm shape"); return NULL; }
  float* f[7];
  for (int i = 0; i < 7; i++) {
    if (!inside(env, &c, c.v[i], i == 0 || i == 5 ? m * ch : i == 6 ? 4 * ch : ch)) return NULL;
    f[i] = (float*)(c.base + c.v[i]);
  }
  if (c.v[6] % 8 != 0) { napi_throw_range_error(env, NULL, "sweep native: bn_inference's scratch must be 8-byte aligned"); return NULL; }
  double* nd = (double*)f[6];
  (c.wide ? bn_inference_512 : bn_inference_256)(f[0], f[1], f[2], f[3], f[4], f[5], nd, nd + ch, m, ch, (float)c.d[0]);
  return NULL;
}
// bn_relu_pool_forward(memory, x, gamma, beta, pooled, mean, variance, tmp, n, h, w, c, eps[, isa])
// and bn_relu_pool_backward(memory, dpooled, x, gamma, beta, mean, variance, dx, dgamma, dbeta,
// tmp, n, h, w, c, eps[, isa]): x [n, h, w, c], c a multiple of 16; tmp c floats forward, 5c + 2wc
// backward.
static napi_value js_bn_pool(napi_env env, napi_callback_info info, int backward) {
  call c;
  const size_t ptrs = backward ? 10 : 7;
  if (!read_call(env, info, ptrs + 4, 1, &c)) return NULL;
  const bn_pool_geometry g = { c.v[ptrs], c.v[ptrs + 1], c.v[ptrs + 2], c.v[ptrs + 3] };
  if (g.c == 0 || g.c % 16 != 0 || g.n * g.h * g.w > INT32_MAX || g.c > INT32_MAX) {
    napi_throw_range_error(env, NULL, "sweep native: bad batch-norm pooling geometry");
    return NULL;
  }
  const int64_t all = g.n * g.h * g.w * g.c, pooled = g.n * (g.h / 2) * (g.w / 2) * g.c;
  // Forward: x, gamma, beta, pooled, mean, variance, tmp. Backward: dpooled, x, gamma, beta, mean, variance, dx, dgamma, dbeta, tmp.
  const int64_t fwd[7] = { all, g.c, g.c, pooled, g.c, g.c, g.c };
  const int64_t bwd[10] = { pooled, all, g.c, g.c, g.c, g.c, all, g.c, g.c, 5 * g.c + 2 * g.w * g.c };
  float* f[10];
  for (size_t i = 0; i < ptrs; i++) {
    if (!inside(env, &c, c.v[i], backward ? bwd[i] : fwd[i])) return NULL;
    f[i] = (float*)(c.base + c.v[i]);
  }
  const float eps = (float)c.d[0];
  if (backward) (c.wide ? bn_relu_pool_backward_512 : bn_relu_pool_backward_256)(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], &g, eps);
  else (c.wide ? bn_relu_pool_forward_512 : bn_relu_pool_forward_256)(f[0], f[1], f[2], f[3], f[4], f[5], f[6], &g, eps);
  return NULL;
}
static napi_value js_bn_relu_pool_forward(napi_env env, napi_callback_info info) { return js_bn_pool(env, info, 0); }
static napi_value js_bn_relu_pool_backward(napi_env env, napi_callback_info info) { return js_bn_pool(env, info, 1); }
static napi_value js_bn_forward(napi_env env, napi_callback_info info) { return js_bn(env, info, 0); }
static napi_value js_bn_backward(napi_env env, napi_callback_info info) { return js_bn(env, info, 1); }

// adam_fast(memory, w0, m0, v0, g, w1, m1, v1, n, b1, c1, b2, c2, s1, s2, eps[, isa]): as simd.wat's.
static napi_value js_adam_fast(napi_env env, napi_callback_info info) {
  call c;
  if (!read_call(env, info, 8, 7, &c)) return NULL;
  const int64_t n = c.v[7];
  for (int i = 0; i < 7; i++) if (!inside(env, &c, c.v[i], n)) return NULL;
  const adam_scalars k = { (float)c.d[0], (float)c.d[1], (float)c.d[2], (float)c.d[3], (float)c.d[4], (float)c.d[5], (float)c.d[6] };
  float* p[7];
  for (int i = 0; i < 7; i++) p[i] = (float*)(c.base + c.v[i]);
  (c.wide ? adam512 : adam256)(p[0], p[1], p[2], p[3], p[4], p[5], p[6], n, &k);
  return NULL;
}

// Dropout's multiplier (seeded-dropout.ts's dropoutMask): seedrandom's alea generator from the
// state (c, s0, s1, s2), then floor(u + keep) / keep with u and the sum stored as float32. Every
// step is the JavaScript's: the same double operations, never contracted (-ffp-contract=off),
// and each Math.fround a cast of the double to float, so the same floats, bit for bit. t ≥ 0, so
// t | 0 is its truncation. The next c is trunc(t) for t = p + c·2⁻³², p = 2091639·s0: taken as
// trunc(p), which needs no c, and checked (c·2⁻³² < 2⁻¹¹, so t crosses the next integer about
// once in 2,000 values, where it is recomputed); that way each value does not wait on the last's
// multiply, add and truncation.
T256 static void dropout_mask(float* out, int64_t n, double c, double s0, double s1, double s2, float keep) {
  for (int64_t i = 0; i < n; i++) {
    const double p = 2091639.0 * s0;
    const double t = p + c * 2.3283064365386963e-10;
    double next = trunc(p);
    if (__builtin_expect(t >= next + 1.0, 0)) next = trunc(t);
    c = next;
    s0 = s1;
    s1 = s2;
    s2 = t - c;
    const float sum = (float)((double)(float)s2 + (double)keep);
    out[i] = (float)(floor((double)sum) / (double)keep);
  }
}

// dropout_mask(memory, out, n, c, s0, s1, s2, keep).
static napi_value js_dropout_mask(napi_env env, napi_callback_info info) {
  call c;
  if (!read_call(env, info, 2, 5, &c)) return NULL;
  if (!inside(env, &c, c.v[0], c.v[1])) return NULL;
  dropout_mask((float*)(c.base + c.v[0]), c.v[1], c.d[0], c.d[1], c.d[2], c.d[3], (float)c.d[4]);
  return NULL;
}

// gather_rows(memory, src, dst, rowFloats, rows, idx: Int32Array): dst's row i = src's row idx[i],
// each row rowFloats floats, for a training batch. The next row's cache lines are requested while
// this one is copied: a batch's rows lie anywhere in a dataset larger than the caches, and a copy
// that waits on each row's first miss runs at a fraction of the memory's speed. Every index is
// checked against rows before anything is written (RangeError).
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  call c;
  if (!read_call(env, info, 4, 0, &c)) return NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t count;
  void* data;
  if (argc < 6 || napi_get_typedarray_info(env, argv[5], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "sweep native: gather_rows's indices must be an Int32Array");
    return NULL;
  }
  const int64_t src = c.v[0], dst = c.v[1], row = c.v[2], rows = c.v[3];
  const int32_t* idx = (const int32_t*)data;
  if (!inside(env, &c, src, rows * row) || !inside(env, &c, dst, (int64_t)count * row)) return NULL;
  for (size_t i = 0; i < count; i++) {
    if (idx[i] < 0 || idx[i] >= rows) { napi_throw_range_error(env, NULL, "sweep native: a batch index lies outside the rows"); return NULL; }
  }
  const float* from = (const float*)(c.base + src);
  float* to = (float*)(c.base + dst);
  const size_t bytes = 4 * (size_t)row;
  for (size_t i = 0; i < count; i++) {
    if (i + 1 < count) {
      const char* next = (const char*)(from + (int64_t)idx[i + 1] * row);
      for (size_t b = 0; b < bytes; b += 64) _mm_prefetch(next + b, _MM_HINT_T0);
    }
    memcpy(to + (int64_t)i * row, from + (int64_t)idx[i] * row, bytes);
  }
  return NULL;
}

// peak(iterations[, isa]): { isa, flops, seconds, cpuSeconds } of `iterations` rounds of the
// FMA chains above (each FMA two floating-point operations per lane); wall time and this
// thread's CPU time, so a caller can tell a round another process interrupted.
static napi_value js_peak(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t iterations = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1
      || napi_get_value_int64(env, argv[0], &iterations) != napi_ok || iterations <= 0) {
    napi_throw_type_error(env, NULL, "sweep native: peak takes a positive number of iterations");
    return NULL;
  }
  int wide = has_avx512;
  if (argc > 1) {
    char isa[16] = {0};
    size_t len;
    if (napi_get_value_string_utf8(env, argv[1], isa, sizeof isa, &len) == napi_ok && strcmp(isa, "avx2") == 0) wide = 0;
  }
  if (!wide && !has_avx2) {
    napi_throw_error(env, NULL, "sweep native: this CPU has neither AVX-512 nor AVX2 with FMA");
    return NULL;
  }
  const double w0 = seconds_of(CLOCK_MONOTONIC), c0 = seconds_of(CLOCK_THREAD_CPUTIME_ID);
  const float result = wide ? peak512(iterations) : peak256(iterations);
  const double w1 = seconds_of(CLOCK_MONOTONIC), c1 = seconds_of(CLOCK_THREAD_CPUTIME_ID);
  peak_sink = result;
  const double flops = (double)iterations * (wide ? PEAK_CHAINS512 * 16 : PEAK_CHAINS256 * 8) * 2;
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, wide ? "avx512" : "avx2", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "isa", v);
  napi_create_double(env, flops, &v);
  napi_set_named_property(env, out, "flops", v);
  napi_create_double(env, w1 - w0, &v);
  napi_set_named_property(env, out, "seconds", v);
  napi_create_double(env, c1 - c0, &v);
  napi_set_named_property(env, out, "cpuSeconds", v);
  return out;
}

// isa(): "avx512", "avx2" or "none".
static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, has_avx512 ? "avx512" : has_avx2 ? "avx2" : "none", NAPI_AUTO_LENGTH, &out);
  return out;
}

NAPI_MODULE_INIT() {
  detect();
  const struct { const char* name; napi_callback cb; } fns[] = {
    { "gemm", js_gemm }, { "gemm_exact", js_gemm_exact }, { "conv_forward", js_conv_forward }, { "conv_filter_grad", js_conv_filter_grad }, { "conv_forward_exact", js_conv_forward_exact },
    { "conv1_forward", js_conv1_forward }, { "conv1_backward", js_conv1_backward },
    { "max_pool_2x2", js_max_pool_2x2 }, { "pool_relu_grad", js_pool_relu_grad }, { "max_pool_grad_2x2", js_max_pool_grad_2x2 },
    { "bn_forward", js_bn_forward }, { "bn_backward", js_bn_backward }, { "bn_inference", js_bn_inference },
    { "bn_relu_pool_forward", js_bn_relu_pool_forward }, { "bn_relu_pool_backward", js_bn_relu_pool_backward },
    { "adam_fast", js_adam_fast }, { "dropout_mask", js_dropout_mask }, { "gather_rows", js_gather_rows }, { "peak", js_peak }, { "isa", js_isa },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
  return exports;
}
