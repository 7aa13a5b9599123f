#ifndef RECUR_HALF_KERNELS_H
#define RECUR_HALF_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU runs the half-precision kernels (x86-64 with AVX2, FMA and F16C). When it does not, callers
/// use single-precision BLAS instead.
int recur_half_kernels_available(void);

/// Y (R×M, row stride ldy) += X (R×K, row stride ldx) · Wᵀ, where W (M×K, row-major) holds IEEE half floats.
/// Batch-1 inference is bound by streaming weights from cache, so halving their bytes nearly halves a step.
void recur_half_gemm_nt(const uint16_t *w, size_t m, size_t k, const float *x, size_t ldx, size_t r, float *y,
                        size_t ldy);

/// Converts n floats to half floats, rounding to nearest even.
void recur_float_to_half(const float *src, uint16_t *dst, size_t n);

#endif
