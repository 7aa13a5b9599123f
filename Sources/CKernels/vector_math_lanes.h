#ifndef RECUR_VECTOR_MATH_LANES_H
#define RECUR_VECTOR_MATH_LANES_H
// One lane of exp, sigmoid and tanh, inlined into loops that the compiler vectorises (vector_math.c, cell_kernels.c).
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define RECUR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RECUR_CLONES
#endif

static inline __attribute__((always_inline)) float exp_lane(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    // n = round(x / ln 2), via the 1.5·2^23 trick so the integer lands in the low mantissa bits.
    const float magic = 12582912.0f;
    float t = x * 1.44269504f + magic;
    float n = t - magic;
    x = x - n * 0.693359375f;
    x = x - n * -2.12194440e-4f;
    float p = 1.98756915e-4f;
    p = p * x + 1.39819995e-3f;
    p = p * x + 8.33345191e-3f;
    p = p * x + 4.16657959e-2f;
    p = p * x + 1.66666655e-1f;
    p = p * x + 5.00000012e-1f;
    p = p * (x * x) + x + 1.0f;
    int32_t tb, mb;
    memcpy(&tb, &t, 4);
    memcpy(&mb, &magic, 4);
    int32_t eb = (tb - mb + 127) << 23;
    float scale;
    memcpy(&scale, &eb, 4);
    return p * scale;
}

static inline __attribute__((always_inline)) float tanh_lane(float x) {
    float z = x * x;
    float small = -5.70498872745e-3f;
    small = small * z + 2.06390887954e-2f;
    small = small * z + -5.37397155531e-2f;
    small = small * z + 1.33314422036e-1f;
    small = small * z + -3.33332819422e-1f;
    small = small * z * x + x;
    float ax = x < 0 ? -x : x;
    float e = exp_lane(ax + ax);
    float large = 1.0f - 2.0f / (e + 1.0f);
    large = x < 0 ? -large : large;
    return ax < 0.625f ? small : large;
}

static inline __attribute__((always_inline)) float sigmoid_lane(float x) { return 1.0f / (1.0f + exp_lane(-x)); }

#endif
