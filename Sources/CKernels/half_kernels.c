#include "half_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define RECUR_TARGET __attribute__((target("avx2,fma,f16c")))

int recur_half_kernels_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

RECUR_TARGET static inline float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 0x55));
    return _mm_cvtss_f32(lo);
}

RECUR_TARGET static inline __m256 load_half(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

// One input row: four weight rows at a time, two 8-wide steps per iteration for more independent FMAs.
RECUR_TARGET static void gemv_rows(const uint16_t *w, size_t m, size_t k, const float *x, float *y) {
    size_t k8 = k & ~(size_t)7;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const uint16_t *w0 = w + i * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (size_t j = 0; j < k8; j += 8) {
            __m256 xv = _mm256_loadu_ps(x + j);
            a0 = _mm256_fmadd_ps(load_half(w0 + j), xv, a0);
            a1 = _mm256_fmadd_ps(load_half(w1 + j), xv, a1);
            a2 = _mm256_fmadd_ps(load_half(w2 + j), xv, a2);
            a3 = _mm256_fmadd_ps(load_half(w3 + j), xv, a3);
        }
        float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
        for (size_t j = k8; j < k; j++) {
            s0 += _cvtsh_ss(w0[j]) * x[j];
            s1 += _cvtsh_ss(w1[j]) * x[j];
            s2 += _cvtsh_ss(w2[j]) * x[j];
            s3 += _cvtsh_ss(w3[j]) * x[j];
        }
        y[i] += s0;
        y[i + 1] += s1;
        y[i + 2] += s2;
        y[i + 3] += s3;
    }
    for (; i < m; i++) {
        const uint16_t *wi = w + i * k;
        __m256 a = _mm256_setzero_ps();
        for (size_t j = 0; j < k8; j += 8) a = _mm256_fmadd_ps(load_half(wi + j), _mm256_loadu_ps(x + j), a);
        float s = hsum(a);
        for (size_t j = k8; j < k; j++) s += _cvtsh_ss(wi[j]) * x[j];
        y[i] += s;
    }
}

// Several input rows: two weight rows at a time against up to four input rows, so each converted weight vector
// feeds four FMAs and the weights stream from memory once per group of four input rows.
RECUR_TARGET static void gemm_rows(const uint16_t *w, size_t m, size_t k, const float *x, size_t ldx, size_t r,
                                   float *y, size_t ldy) {
    size_t k8 = k & ~(size_t)7;
    for (size_t r0 = 0; r0 < r; r0 += 4) {
        size_t rows = r - r0 < 4 ? r - r0 : 4;
        const float *x0 = x + r0 * ldx;
        const float *x1 = x0 + (rows > 1 ? ldx : 0), *x2 = x0 + (rows > 2 ? 2 * ldx : 0),
                    *x3 = x0 + (rows > 3 ? 3 * ldx : 0);
        size_t i = 0;
        for (; i + 2 <= m; i += 2) {
            const uint16_t *wa = w + i * k, *wb = wa + k;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
                   a3 = _mm256_setzero_ps();
            __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(),
                   b3 = _mm256_setzero_ps();
            for (size_t j = 0; j < k8; j += 8) {
                __m256 va = load_half(wa + j), vb = load_half(wb + j);
                __m256 v0 = _mm256_loadu_ps(x0 + j), v1 = _mm256_loadu_ps(x1 + j);
                __m256 v2 = _mm256_loadu_ps(x2 + j), v3 = _mm256_loadu_ps(x3 + j);
                a0 = _mm256_fmadd_ps(va, v0, a0);
                b0 = _mm256_fmadd_ps(vb, v0, b0);
                a1 = _mm256_fmadd_ps(va, v1, a1);
                b1 = _mm256_fmadd_ps(vb, v1, b1);
                a2 = _mm256_fmadd_ps(va, v2, a2);
                b2 = _mm256_fmadd_ps(vb, v2, b2);
                a3 = _mm256_fmadd_ps(va, v3, a3);
                b3 = _mm256_fmadd_ps(vb, v3, b3);
            }
            float sa[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
            float sb[4] = {hsum(b0), hsum(b1), hsum(b2), hsum(b3)};
            const float *xs[4] = {x0, x1, x2, x3};
            for (size_t j = k8; j < k; j++) {
                float fa = _cvtsh_ss(wa[j]), fb = _cvtsh_ss(wb[j]);
                for (size_t q = 0; q < 4; q++) {
                    sa[q] += fa * xs[q][j];
                    sb[q] += fb * xs[q][j];
                }
            }
            for (size_t q = 0; q < rows; q++) {
                y[(r0 + q) * ldy + i] += sa[q];
                y[(r0 + q) * ldy + i + 1] += sb[q];
            }
        }
        for (; i < m; i++) {
            for (size_t q = 0; q < rows; q++) gemv_rows(w + i * k, 1, k, x0 + q * ldx, y + (r0 + q) * ldy + i);
        }
    }
}

void recur_half_gemm_nt(const uint16_t *w, size_t m, size_t k, const float *x, size_t ldx, size_t r, float *y,
                        size_t ldy) {
    if (r == 1) {
        gemv_rows(w, m, k, x, y);
    } else {
        gemm_rows(w, m, k, x, ldx, r, y, ldy);
    }
}

RECUR_TARGET static void to_half(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    for (; i < n; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

void recur_float_to_half(const float *src, uint16_t *dst, size_t n) { to_half(src, dst, n); }

#else

int recur_half_kernels_available(void) { return 0; }

void recur_half_gemm_nt(const uint16_t *w, size_t m, size_t k, const float *x, size_t ldx, size_t r, float *y,
                        size_t ldy) {
    (void)w; (void)m; (void)k; (void)x; (void)ldx; (void)r; (void)y; (void)ldy;
}

void recur_float_to_half(const float *src, uint16_t *dst, size_t n) {
    (void)src; (void)dst; (void)n;
}

#endif
