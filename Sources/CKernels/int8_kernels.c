#include "int8_kernels.h"
#include "thread_pool.h"

#include <math.h>

// No fused multiply-adds: every path must round the dequantisation exactly as the scalar reference does.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>
#define RECUR_AVX2 __attribute__((target("avx2")))
#define RECUR_AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

enum { BLOCK = RECUR_INT8_BLOCK, BLOCK_BYTES = 2 * RECUR_INT8_BLOCK };

int recur_int8_path_available(int path) {
    switch (path) {
    case RECUR_INT8_SCALAR: return 1;
#if defined(__x86_64__)
    case RECUR_INT8_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2");
    case RECUR_INT8_AVX512_VNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vnni");
#elif defined(__aarch64__)
    case RECUR_INT8_NEON: return 1;
#endif
    default: return 0;
    }
}

int recur_int8_best_path(void) {
    static const int order[] = {RECUR_INT8_AVX512_VNNI, RECUR_INT8_AVX2, RECUR_INT8_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (recur_int8_path_available(order[i])) return order[i];
    }
    return RECUR_INT8_SCALAR;
}

const char *recur_int8_path_name(int path) {
    switch (path) {
    case RECUR_INT8_SCALAR: return "scalar";
    case RECUR_INT8_AVX2: return "avx2";
    case RECUR_INT8_AVX512_VNNI: return "avx512-vnni";
    case RECUR_INT8_NEON: return "neon";
    default: return "unknown";
    }
}

size_t recur_int8_padded(size_t k) { return (k + 7) / 8 * 8; }

static size_t blocks_of(size_t m) { return (m + BLOCK - 1) / BLOCK; }

size_t recur_int8_packed_size(size_t m, size_t k) { return blocks_of(m) * BLOCK * recur_int8_padded(k); }

int32_t recur_int8_input_limit(size_t ldw) {
    int64_t limit = (int64_t)INT32_MAX / (127 * (int64_t)(ldw > 0 ? ldw : 1));
    return (int32_t)(limit < 32767 ? limit : 32767);
}

static inline size_t packed_index(size_t k, size_t i, size_t j) {
    size_t pairs = recur_int8_padded(k) / 2;
    return ((i / BLOCK) * pairs + j / 2) * BLOCK_BYTES + 2 * (i % BLOCK) + (j % 2);
}

int8_t recur_int8_weight(const int8_t *packed, size_t k, size_t i, size_t j) { return packed[packed_index(k, i, j)]; }

void recur_int8_quantize_weights(const float *w, size_t m, size_t k, int8_t *packed, float *scale) {
    size_t size = recur_int8_packed_size(m, k);
    for (size_t n = 0; n < size; n++) packed[n] = 0;
    for (size_t i = 0; i < m; i++) {
        const float *row = w + i * k;
        float maxabs = 0;
        for (size_t j = 0; j < k; j++) maxabs = fmaxf(maxabs, fabsf(row[j]));
        float inv = maxabs > 0 ? 127.0f / maxabs : 0;
        for (size_t j = 0; j < k; j++) {
            long v = lrintf(row[j] * inv);
            packed[packed_index(k, i, j)] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
        scale[i] = maxabs / 127.0f;
    }
}

// MARK: Inputs

static void quantize_row_scalar(const float *row, size_t k, size_t ldw, int32_t limit, int16_t *out, float *scale) {
    float maxabs = 0;
    for (size_t j = 0; j < k; j++) maxabs = fmaxf(maxabs, fabsf(row[j]));
    float inv = maxabs > 0 ? (float)limit / maxabs : 0;
    for (size_t j = 0; j < k; j++) {
        long v = lrintf(row[j] * inv);
        out[j] = (int16_t)(v > limit ? limit : v < -limit ? -limit : v);
    }
    for (size_t j = k; j < ldw; j++) out[j] = 0;
    *scale = maxabs / (float)limit;
}

#if defined(__x86_64__)
// The same arithmetic eight lanes at a time: x * inv in single precision, rounded to nearest even by vcvtps2dq as
// lrintf rounds in the default mode, then clamped.
RECUR_AVX2 static void quantize_row_avx2(const float *row, size_t k, size_t ldw, int32_t limit, int16_t *out,
                                         float *scale) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 vmax = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= k; j += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j)));
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    float maxabs = 0;
    for (int l = 0; l < 8; l++) maxabs = fmaxf(maxabs, lanes[l]);
    for (; j < k; j++) maxabs = fmaxf(maxabs, fabsf(row[j]));
    float inv = maxabs > 0 ? (float)limit / maxabs : 0;
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256i hi = _mm256_set1_epi32(limit), lo = _mm256_set1_epi32(-limit);
    for (j = 0; j + 8 <= k; j += 8) {
        __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + j), vinv));
        v = _mm256_max_epi32(_mm256_min_epi32(v, hi), lo);
        _mm_storeu_si128((__m128i *)(out + j), _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
    }
    for (; j < k; j++) {
        long v = lrintf(row[j] * inv);
        out[j] = (int16_t)(v > limit ? limit : v < -limit ? -limit : v);
    }
    for (; j < ldw; j++) out[j] = 0;
    *scale = maxabs / (float)limit;
}
#endif

void recur_int8_quantize_inputs(int path, const float *x, size_t ldx, size_t r, size_t k, int16_t *xq,
                                float *xscale) {
    size_t ldw = recur_int8_padded(k);
    int32_t limit = recur_int8_input_limit(ldw);
#if defined(__x86_64__)
    if (path != RECUR_INT8_SCALAR && recur_int8_path_available(RECUR_INT8_AVX2)) {
        for (size_t q = 0; q < r; q++) quantize_row_avx2(x + q * ldx, k, ldw, limit, xq + q * ldw, xscale + q);
        return;
    }
#endif
    (void)path;
    for (size_t q = 0; q < r; q++) quantize_row_scalar(x + q * ldx, k, ldw, limit, xq + q * ldw, xscale + q);
}

// MARK: Products

// Every path ends each (input row, weight row) pair the same way, so they agree bit for bit.
static inline void finish(float *y, int32_t dot, float wscale, float xscale) {
    float product = (float)dot * (wscale * xscale);
    *y += product;
}

static inline void finish_block(float *y, const int32_t *dots, const float *wscale, float xscale, size_t rows) {
    for (size_t i = 0; i < rows; i++) finish(y + i, dots[i], wscale[i], xscale);
}

static inline size_t rows_in_block(size_t m, size_t b) { return m - b * BLOCK < BLOCK ? m - b * BLOCK : BLOCK; }

static void gemm_blocks_scalar(const int8_t *packed, const float *wscale, size_t m, size_t k, size_t b0, size_t b1,
                               const int16_t *xq, const float *xscale, size_t r, float *y, size_t ldy) {
    size_t ldw = recur_int8_padded(k), pairs = ldw / 2;
    for (size_t b = b0; b < b1; b++) {
        const int8_t *block = packed + b * pairs * BLOCK_BYTES;
        for (size_t q = 0; q < r; q++) {
            const int16_t *xr = xq + q * ldw;
            int32_t dots[BLOCK] = {0};
            for (size_t p = 0; p < pairs; p++) {
                const int8_t *w = block + p * BLOCK_BYTES;
                int32_t x0 = xr[2 * p], x1 = xr[2 * p + 1];
                for (size_t i = 0; i < BLOCK; i++) dots[i] += (int32_t)w[2 * i] * x0 + (int32_t)w[2 * i + 1] * x1;
            }
            finish_block(y + q * ldy + b * BLOCK, dots, wscale + b * BLOCK, xscale[q], rows_in_block(m, b));
        }
    }
}

#if defined(__x86_64__)

static inline int32_t load_pair(const int16_t *x) {
    int32_t v;
    __builtin_memcpy(&v, x, 4);
    return v;
}

RECUR_AVX2 static inline __m256i widen16(const int8_t *p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

// Two 16-row blocks at a time (four accumulators of 8 rows); each vpmaddwd multiplies 8 rows by a broadcast input
// pair and sums the pair into the row's lane.
RECUR_AVX2 static void gemm_blocks_avx2(const int8_t *packed, const float *wscale, size_t m, size_t k, size_t b0,
                                        size_t b1, const int16_t *xq, const float *xscale, size_t r, float *y,
                                        size_t ldy) {
    size_t ldw = recur_int8_padded(k), pairs = ldw / 2;
    size_t b = b0;
    for (; b + 2 <= b1; b += 2) {
        const int8_t *w0 = packed + b * pairs * BLOCK_BYTES, *w1 = w0 + pairs * BLOCK_BYTES;
        for (size_t q = 0; q < r; q++) {
            const int16_t *xr = xq + q * ldw;
            __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256(), a2 = _mm256_setzero_si256(),
                    a3 = _mm256_setzero_si256();
            for (size_t p = 0; p < pairs; p++) {
                __m256i xv = _mm256_set1_epi32(load_pair(xr + 2 * p));
                const int8_t *u = w0 + p * BLOCK_BYTES, *v = w1 + p * BLOCK_BYTES;
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(widen16(u), xv));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(widen16(u + 16), xv));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(widen16(v), xv));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(widen16(v + 16), xv));
            }
            int32_t dots[2 * BLOCK];
            _mm256_storeu_si256((__m256i *)dots, a0);
            _mm256_storeu_si256((__m256i *)(dots + 8), a1);
            _mm256_storeu_si256((__m256i *)(dots + 16), a2);
            _mm256_storeu_si256((__m256i *)(dots + 24), a3);
            float *yr = y + q * ldy + b * BLOCK;
            finish_block(yr, dots, wscale + b * BLOCK, xscale[q], rows_in_block(m, b));
            finish_block(yr + BLOCK, dots + BLOCK, wscale + (b + 1) * BLOCK, xscale[q], rows_in_block(m, b + 1));
        }
    }
    if (b < b1) gemm_blocks_scalar(packed, wscale, m, k, b, b1, xq, xscale, r, y, ldy);
}

RECUR_AVX512 static inline __m512i widen32(const int8_t *p) {
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)p));
}

// y[16 rows] += (float)dots * (wscale * xscale), the scalar reference's rounding, lanes past m masked off.
RECUR_AVX512 static inline void finish_avx512(float *y, __m512i dots, const float *wscale, float xscale, size_t rows) {
    __mmask16 mask = rows >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rows) - 1);
    __m512 scale = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, wscale), _mm512_set1_ps(xscale));
    __m512 product = _mm512_mul_ps(_mm512_cvtepi32_ps(dots), scale);
    _mm512_mask_storeu_ps(y, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, y), product));
}

// Four 16-row blocks at a time, even and odd pairs in separate accumulators: eight independent vpdpwssd chains,
// one broadcast input pair shared by four blocks.
RECUR_AVX512 static void gemm_blocks_avx512(const int8_t *packed, const float *wscale, size_t m, size_t k,
                                            size_t b0, size_t b1, const int16_t *xq, const float *xscale, size_t r,
                                            float *y, size_t ldy) {
    size_t ldw = recur_int8_padded(k), pairs = ldw / 2, stride = pairs * BLOCK_BYTES;
    size_t b = b0;
    for (; b + 4 <= b1; b += 4) {
        const int8_t *w0 = packed + b * stride, *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        for (size_t q = 0; q < r; q++) {
            const int16_t *xr = xq + q * ldw;
            __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512(), a2 = _mm512_setzero_si512(),
                    a3 = _mm512_setzero_si512();
            __m512i c0 = _mm512_setzero_si512(), c1 = _mm512_setzero_si512(), c2 = _mm512_setzero_si512(),
                    c3 = _mm512_setzero_si512();
            for (size_t p = 0; p < pairs; p += 2) {  // pairs is a multiple of 4
                __m512i xa = _mm512_set1_epi32(load_pair(xr + 2 * p));
                __m512i xb = _mm512_set1_epi32(load_pair(xr + 2 * p + 2));
                size_t o = p * BLOCK_BYTES;
                a0 = _mm512_dpwssd_epi32(a0, widen32(w0 + o), xa);
                a1 = _mm512_dpwssd_epi32(a1, widen32(w1 + o), xa);
                a2 = _mm512_dpwssd_epi32(a2, widen32(w2 + o), xa);
                a3 = _mm512_dpwssd_epi32(a3, widen32(w3 + o), xa);
                c0 = _mm512_dpwssd_epi32(c0, widen32(w0 + o + BLOCK_BYTES), xb);
                c1 = _mm512_dpwssd_epi32(c1, widen32(w1 + o + BLOCK_BYTES), xb);
                c2 = _mm512_dpwssd_epi32(c2, widen32(w2 + o + BLOCK_BYTES), xb);
                c3 = _mm512_dpwssd_epi32(c3, widen32(w3 + o + BLOCK_BYTES), xb);
            }
            float *yr = y + q * ldy + b * BLOCK;
            const float *ws = wscale + b * BLOCK;
            finish_avx512(yr, _mm512_add_epi32(a0, c0), ws, xscale[q], rows_in_block(m, b));
            finish_avx512(yr + BLOCK, _mm512_add_epi32(a1, c1), ws + BLOCK, xscale[q], rows_in_block(m, b + 1));
            finish_avx512(yr + 2 * BLOCK, _mm512_add_epi32(a2, c2), ws + 2 * BLOCK, xscale[q], rows_in_block(m, b + 2));
            finish_avx512(yr + 3 * BLOCK, _mm512_add_epi32(a3, c3), ws + 3 * BLOCK, xscale[q], rows_in_block(m, b + 3));
        }
    }
    for (; b < b1; b++) {
        const int8_t *w0 = packed + b * stride;
        for (size_t q = 0; q < r; q++) {
            const int16_t *xr = xq + q * ldw;
            __m512i a0 = _mm512_setzero_si512(), c0 = _mm512_setzero_si512();
            for (size_t p = 0; p < pairs; p += 2) {
                a0 = _mm512_dpwssd_epi32(a0, widen32(w0 + p * BLOCK_BYTES), _mm512_set1_epi32(load_pair(xr + 2 * p)));
                c0 = _mm512_dpwssd_epi32(c0, widen32(w0 + (p + 1) * BLOCK_BYTES),
                                         _mm512_set1_epi32(load_pair(xr + 2 * p + 2)));
            }
            finish_avx512(y + q * ldy + b * BLOCK, _mm512_add_epi32(a0, c0), wscale + b * BLOCK, xscale[q],
                          rows_in_block(m, b));
        }
    }
}

#elif defined(__aarch64__)

// Per block and pair: 16 rows × 2 columns widened to four int16x8 (4 rows' pairs each), multiplied lane-wise by the
// input pair repeated, accumulated in int32; adjacent lanes (a row's two columns) are added at the end.
static void gemm_blocks_neon(const int8_t *packed, const float *wscale, size_t m, size_t k, size_t b0, size_t b1,
                             const int16_t *xq, const float *xscale, size_t r, float *y, size_t ldy) {
    size_t ldw = recur_int8_padded(k), pairs = ldw / 2;
    for (size_t b = b0; b < b1; b++) {
        const int8_t *block = packed + b * pairs * BLOCK_BYTES;
        for (size_t q = 0; q < r; q++) {
            const int16_t *xr = xq + q * ldw;
            int32x4_t acc[8];
            for (int a = 0; a < 8; a++) acc[a] = vdupq_n_s32(0);
            for (size_t p = 0; p < pairs; p++) {
                int32_t pair;
                __builtin_memcpy(&pair, xr + 2 * p, 4);
                int16x8_t xv = vreinterpretq_s16_s32(vdupq_n_s32(pair));
                int16x4_t xl = vget_low_s16(xv);
                const int8_t *w = block + p * BLOCK_BYTES;
                int8x16_t lo = vld1q_s8(w), hi = vld1q_s8(w + 16);
                int16x8_t w0 = vmovl_s8(vget_low_s8(lo)), w1 = vmovl_s8(vget_high_s8(lo));
                int16x8_t w2 = vmovl_s8(vget_low_s8(hi)), w3 = vmovl_s8(vget_high_s8(hi));
                acc[0] = vmlal_s16(acc[0], vget_low_s16(w0), xl);
                acc[1] = vmlal_s16(acc[1], vget_high_s16(w0), xl);
                acc[2] = vmlal_s16(acc[2], vget_low_s16(w1), xl);
                acc[3] = vmlal_s16(acc[3], vget_high_s16(w1), xl);
                acc[4] = vmlal_s16(acc[4], vget_low_s16(w2), xl);
                acc[5] = vmlal_s16(acc[5], vget_high_s16(w2), xl);
                acc[6] = vmlal_s16(acc[6], vget_low_s16(w3), xl);
                acc[7] = vmlal_s16(acc[7], vget_high_s16(w3), xl);
            }
            int32_t dots[BLOCK];
            for (int a = 0; a < 4; a++) vst1q_s32(dots + 4 * a, vpaddq_s32(acc[2 * a], acc[2 * a + 1]));
            finish_block(y + q * ldy + b * BLOCK, dots, wscale + b * BLOCK, xscale[q], rows_in_block(m, b));
        }
    }
}

#endif

void recur_int8_gemm_blocks(int path, const int8_t *packed, const float *wscale, size_t m, size_t k,
                            size_t begin_block, size_t end_block, const int16_t *xq, const float *xscale, size_t r,
                            float *y, size_t ldy) {
    if (!recur_int8_path_available(path)) path = RECUR_INT8_SCALAR;
    switch (path) {
#if defined(__x86_64__)
    case RECUR_INT8_AVX512_VNNI:
        gemm_blocks_avx512(packed, wscale, m, k, begin_block, end_block, xq, xscale, r, y, ldy);
        return;
    case RECUR_INT8_AVX2:
        gemm_blocks_avx2(packed, wscale, m, k, begin_block, end_block, xq, xscale, r, y, ldy);
        return;
#elif defined(__aarch64__)
    case RECUR_INT8_NEON:
        gemm_blocks_neon(packed, wscale, m, k, begin_block, end_block, xq, xscale, r, y, ldy);
        return;
#endif
    default: gemm_blocks_scalar(packed, wscale, m, k, begin_block, end_block, xq, xscale, r, y, ldy); return;
    }
}

struct gemm_job {
    int path;
    const int8_t *packed;
    const float *wscale;
    size_t m, k, r, ldy, parts;
    const int16_t *xq;
    const float *xscale;
    float *y;
};

// Part p of the 16-row blocks, in multiples of 4 blocks where there are enough, for the 4-block kernel.
static void gemm_part(void *context, size_t p) {
    const struct gemm_job *job = context;
    size_t blocks = blocks_of(job->m), quads = (blocks + 3) / 4;
    size_t begin = quads * p / job->parts * 4, end = quads * (p + 1) / job->parts * 4;
    if (end > blocks) end = blocks;
    if (begin < end) {
        recur_int8_gemm_blocks(job->path, job->packed, job->wscale, job->m, job->k, begin, end, job->xq, job->xscale,
                               job->r, job->y, job->ldy);
    }
}

void recur_int8_gemm(int path, const int8_t *packed, const float *wscale, size_t m, size_t k, const int16_t *xq,
                     const float *xscale, size_t r, float *y, size_t ldy, size_t min_parallel) {
    int threads = recur_pool_threads();
    size_t blocks = blocks_of(m);
    if (threads <= 1 || blocks < 8 || m * k * r < min_parallel) {
        recur_int8_gemm_blocks(path, packed, wscale, m, k, 0, blocks, xq, xscale, r, y, ldy);
        return;
    }
    struct gemm_job job = {path, packed, wscale, m, k, r, ldy, (size_t)threads, xq, xscale, y};
    recur_pool_run(gemm_part, &job, job.parts);
}
