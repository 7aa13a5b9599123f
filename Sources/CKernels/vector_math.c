#include "vector_math.h"

#include "vector_math_lanes.h"

RECUR_CLONES void recur_exp(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = exp_lane(x[i]);
}

RECUR_CLONES void recur_sigmoid(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = sigmoid_lane(x[i]);
}

RECUR_CLONES void recur_tanh(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = tanh_lane(x[i]);
}

const char *recur_vector_math_path(void) {
#if defined(__x86_64__) && defined(__linux__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "baseline";
}
