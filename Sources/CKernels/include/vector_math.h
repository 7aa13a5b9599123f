#ifndef RECUR_VECTOR_MATH_H
#define RECUR_VECTOR_MATH_H
#include <stddef.h>

/// In-place single-precision exp, sigmoid and tanh over arrays: Cody–Waite range reduction and the Cephes degree-6
/// polynomial for exp (1–2 ulp on [-87.3, 88.3], clamped outside), an odd polynomial for tanh below 0.625 and
/// 1 - 2/(e^2x + 1) above. Plain loops that the compiler vectorises, built for AVX-512, AVX2 and the baseline and
/// chosen at load time on x86-64 Linux (one version per process, so results never change within a run).
void recur_exp(float *x, size_t n);
void recur_sigmoid(float *x, size_t n);
void recur_tanh(float *x, size_t n);

/// The name of the version this CPU runs ("avx512f", "avx2" or "baseline").
const char *recur_vector_math_path(void);

#endif
