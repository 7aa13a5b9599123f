#include "sgemm_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define RECUR_AVX2 __attribute__((target("avx2,fma")))
#define RECUR_AVX512 __attribute__((target("avx512f")))

int recur_sgemm_path_available(int path) {
    __builtin_cpu_init();
    switch (path) {
    case RECUR_SGEMM_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case RECUR_SGEMM_AVX512: return __builtin_cpu_supports("avx512f");
    default: return 0;
    }
}

// Columns of B per strip, and depth per chunk, so that a strip's chunk (KC x NR floats) stays in L1 while every
// row tile of A passes over it.
enum { KC = 256, MC = 96 };

// MARK: AVX-512: 8 rows x 32 columns (16 accumulators), masked at the right edge.

RECUR_AVX512 static void tile512(size_t mr, size_t nr, size_t kc, const float *a, size_t rsa, size_t csa,
                                 const float *b, size_t ldb, float *c, size_t ldc) {
    __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr <= 16 ? 0 : nr >= 32 ? 0xffff : (__mmask16)((1u << (nr - 16)) - 1);
    __m512 acc[8][2];
    for (size_t i = 0; i < 8; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    if (mr == 8) {
        for (size_t p = 0; p < kc; p++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b + p * ldb), b1 = _mm512_maskz_loadu_ps(m1, b + p * ldb + 16);
            const float *ap = a + p * csa;
#define ROW(i)                                                                                                         \
    {                                                                                                                  \
        __m512 av = _mm512_set1_ps(ap[(i) * rsa]);                                                                     \
        acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);                                                                \
        acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);                                                                \
    }
            ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
        }
    } else {
        for (size_t p = 0; p < kc; p++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b + p * ldb), b1 = _mm512_maskz_loadu_ps(m1, b + p * ldb + 16);
            const float *ap = a + p * csa;
            for (size_t i = 0; i < mr; i++) {
                __m512 av = _mm512_set1_ps(ap[i * rsa]);
                acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
            }
        }
    }
    for (size_t i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        _mm512_mask_storeu_ps(ci, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), acc[i][0]));
        if (m1) _mm512_mask_storeu_ps(ci + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), acc[i][1]));
    }
}

// MARK: AVX2: 6 rows x 16 columns (12 accumulators); the right edge goes through a zero-padded copy.

RECUR_AVX2 static void tile256(size_t mr, size_t nr, size_t kc, const float *a, size_t rsa, size_t csa,
                               const float *b, size_t ldb, float *c, size_t ldc) {
    __m256 acc[6][2];
    for (size_t i = 0; i < 6; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    float edge[16];
    for (size_t p = 0; p < kc; p++) {
        const float *bp = b + p * ldb;
        if (nr < 16) {
            for (size_t j = 0; j < 16; j++) edge[j] = j < nr ? bp[j] : 0;
            bp = edge;
        }
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        const float *ap = a + p * csa;
        if (mr == 6) {
#define ROW(i)                                                                                                         \
    {                                                                                                                  \
        __m256 av = _mm256_broadcast_ss(ap + (i) * rsa);                                                               \
        acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);                                                                \
        acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);                                                                \
    }
            ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
            continue;
        }
        for (size_t i = 0; i < mr; i++) {
            __m256 av = _mm256_broadcast_ss(ap + i * rsa);
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
        }
    }
    for (size_t i = 0; i < mr; i++) {
        float out[16];
        _mm256_storeu_ps(out, acc[i][0]);
        _mm256_storeu_ps(out + 8, acc[i][1]);
        float *ci = c + i * ldc;
        for (size_t j = 0; j < nr; j++) ci[j] += out[j];
    }
}

typedef void (*tile_fn)(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, float *, size_t);

// Copies A's rows [i0, i1) and depths [p0, p0 + kc) into `panel`, tile by tile of mr_max rows: for each depth,
// the tile's rows side by side. A transposed A (dA in the weight gradients) would otherwise be read one 4 KB-strided
// cache line per depth, which the prefetchers do not follow across pages.
static void pack_a(size_t i0, size_t i1, size_t p0, size_t kc, size_t mr_max, const float *a, size_t rsa, size_t csa,
                   float *panel) {
    for (size_t i = i0; i < i1; i += mr_max) {
        size_t mr = i1 - i < mr_max ? i1 - i : mr_max;
        float *dst = panel + (i - i0) * kc;
        for (size_t p = 0; p < kc; p++) {
            const float *src = a + i * rsa + (p0 + p) * csa;
            for (size_t r = 0; r < mr; r++) dst[p * mr + r] = src[r * rsa];
        }
    }
}

void recur_sgemm(int path, size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b,
                 size_t ldb, float *c, size_t ldc) {
    tile_fn tile = path == RECUR_SGEMM_AVX512 ? tile512 : tile256;
    size_t MR = path == RECUR_SGEMM_AVX512 ? 8 : 6, NR = path == RECUR_SGEMM_AVX512 ? 32 : 16;
    float panel[MC * KC];
    // Blocks of MC rows of A, packed a chunk of KC depths at a time, stay in L1/L2 while every strip of B passes
    // over them; a strip's KC x NR chunk stays in L1 while the block's row tiles pass over it.
    for (size_t i0 = 0; i0 < m; i0 += MC) {
        size_t i1 = m - i0 < MC ? m : i0 + MC;
        for (size_t p = 0; p < k; p += KC) {
            size_t kc = k - p < KC ? k - p : KC;
            pack_a(i0, i1, p, kc, MR, a, rsa, csa, panel);
            for (size_t j = 0; j < n; j += NR) {
                size_t nr = n - j < NR ? n - j : NR;
                for (size_t i = i0; i < i1; i += MR) {
                    size_t mr = i1 - i < MR ? i1 - i : MR;
                    tile(mr, nr, kc, panel + (i - i0) * kc, 1, mr, b + p * ldb + j, ldb, c + i * ldc + j, ldc);
                }
            }
        }
    }
}

#else

int recur_sgemm_path_available(int path) {
    (void)path;
    return 0;
}

void recur_sgemm(int path, size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b,
                 size_t ldb, float *c, size_t ldc) {
    (void)path;
    for (size_t i = 0; i < m; i++)
        for (size_t p = 0; p < k; p++) {
            float av = a[i * rsa + p * csa];
            for (size_t j = 0; j < n; j++) c[i * ldc + j] += av * b[p * ldb + j];
        }
}

#endif

int recur_sgemm_best_path(void) {
    if (recur_sgemm_path_available(RECUR_SGEMM_AVX512)) return RECUR_SGEMM_AVX512;
    if (recur_sgemm_path_available(RECUR_SGEMM_AVX2)) return RECUR_SGEMM_AVX2;
    return RECUR_SGEMM_NONE;
}

void recur_transpose(const float *in, size_t rows, size_t cols, size_t ld, float *out) {
    enum { T = 32 };
    for (size_t i0 = 0; i0 < rows; i0 += T)
        for (size_t j0 = 0; j0 < cols; j0 += T)
            for (size_t i = i0; i < rows && i < i0 + T; i++)
                for (size_t j = j0; j < cols && j < j0 + T; j++) out[j * rows + i] = in[i * ld + j];
}
