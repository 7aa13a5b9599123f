#ifndef RECUR_SGEMM_KERNELS_H
#define RECUR_SGEMM_KERNELS_H
#include <stddef.h>

/// Single-precision products for training's shapes, with AVX-512 and AVX2 paths chosen at run time.
///
/// C (m x n, row stride ldc) += A · B, where A's element (i, p) is a[i * rsa + p * csa] (so a transposed A needs no
/// copy) and B is k x n row-major (row stride ldb). No packing: per time step, training multiplies 16 to 32 rows by
/// a 256 x 1,024 weight matrix, and a BLAS that packs the weights for every such call spends more time copying than
/// multiplying (OpenBLAS 0.3.21: a quarter of training's time in its copy routines).
///
/// Paths: 0 none (the caller uses BLAS), 1 AVX2 with FMA, 2 AVX-512.

enum { RECUR_SGEMM_NONE = 0, RECUR_SGEMM_AVX2 = 1, RECUR_SGEMM_AVX512 = 2 };

/// The fastest path this CPU runs (0 when neither).
int recur_sgemm_best_path(void);

/// Whether this CPU runs `path`.
int recur_sgemm_path_available(int path);

/// C += A · B on `path` (which must be available and not 0).
void recur_sgemm(int path, size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b,
                 size_t ldb, float *c, size_t ldc);

/// out (cols x rows, row-major) = in (rows x cols, row stride ld)ᵀ.
void recur_transpose(const float *in, size_t rows, size_t cols, size_t ld, float *out);

#endif
