// The first native measurement in docs/speed.md's "The native GEMM" (2026-11-28): sweep's GEMM as C with
// AVX2 intrinsics, 6×16 blocks, each product rounded, then added (no FMA), so its floats match the
// sequential loop and sweep's wasm GEMM. Run alternately with bench/gemm-wasm.mjs:
//   gcc -O3 -mavx2 -ffp-contract=off bench/gemm-native.c -o /tmp/gemm-native && /tmp/gemm-native
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
// C[m×n] = A·B, A(i,p) at a[i*sai + p*sap], B [k×n] row-major. Sequential in p, mul then add.
static inline void block6x16(const float* a, const float* b, float* c, int i, int j, int k, int n, int sai, int sap, int rows, int accum) {
  __m256 acc[6][2];
  for (int r = 0; r < 6; r++) { if (accum && r < rows) { acc[r][0] = _mm256_loadu_ps(c + (size_t)(i + r) * n + j); acc[r][1] = _mm256_loadu_ps(c + (size_t)(i + r) * n + j + 8); } else { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); } }
  const float* pa = a + (size_t)i * sai;
  const float* pb = b + j;
  for (int p = 0; p < k; p++) {
    __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8);
#define ROW(r) if (r < rows) { __m256 x = _mm256_broadcast_ss(pa + r * sai); acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_mul_ps(x, b0)); acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_mul_ps(x, b1)); }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
    pa += sap; pb += n;
  }
  for (int r = 0; r < rows; r++) { _mm256_storeu_ps(c + (size_t)(i + r) * n + j, acc[r][0]); _mm256_storeu_ps(c + (size_t)(i + r) * n + j + 8, acc[r][1]); }
}
__attribute__((noinline)) void gemm_avx(const float* a, const float* b, float* c, int m, int k, int n, int sai, int sap) {
  const int KC = 1 << 30;  // no k-blocking: it made no difference here
  for (int j = 0; j + 16 <= n; j += 16) for (int p0 = 0; p0 < k; p0 += KC) { int kc = k - p0 < KC ? k - p0 : KC;
    for (int i = 0; i < m; i += 6) { int rows = m - i < 6 ? m - i : 6; block6x16(a + (size_t)p0 * sap, b + (size_t)p0 * n, c, i, j, kc, n, sai, sap, rows, p0 > 0); } }
}
__attribute__((noinline)) void gemm_ref(const float* a, const float* b, float* c, int m, int k, int n, int sai, int sap) {
  for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) { float s = 0; for (int p = 0; p < k; p++) s = s + a[i * sai + p * sap] * b[p * n + j]; c[i * n + j] = s; }
}
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main() {
  int shapes[3][4] = {{32, 784, 128, 0}, {784, 32, 128, 1}, {128, 128, 128, 0}};
  for (int s = 0; s < 3; s++) {
    int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2], tr = shapes[s][3];
    float *a = malloc(4 * m * k), *b = malloc(4 * k * n), *c = malloc(4 * m * n), *c2 = malloc(4 * m * n);
    for (int i = 0; i < m * k; i++) a[i] = (rand() / (float)RAND_MAX) * 2 - 1;
    for (int i = 0; i < k * n; i++) b[i] = (rand() / (float)RAND_MAX) * 2 - 1;
    int sai = tr ? 1 : k, sap = tr ? m : 1;
    gemm_avx(a, b, c, m, k, n, sai, sap); gemm_ref(a, b, c2, m, k, n, sai, sap);
    int same = 1; for (int i = 0; i < m * n; i++) if (c[i] != c2[i]) same = 0;
    double best = 1e9;
    for (int rep = 0; rep < 9; rep++) { double t = now(); for (int r = 0; r < 300; r++) gemm_avx(a, b, c, m, k, n, sai, sap); double e = (now() - t) / 300; if (e < best) best = e; }
    printf("%dx%dx%d%s: %.0f us, %.1f GF/s, bit-identical to the sequential loop: %s\n", m, k, n, tr ? " (A transposed)" : "", best * 1e6, 2.0 * m * k * n / best / 1e9, same ? "yes" : "NO");
  }
}
