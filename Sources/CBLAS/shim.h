#ifndef RECUR_CBLAS_SHIM_H
#define RECUR_CBLAS_SHIM_H
// One BLAS for the whole program: Accelerate on Apple platforms, OpenBLAS elsewhere.
#if defined(__APPLE__)
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
static inline void recur_blas_set_threads(int n) { (void)n; }
static inline int recur_blas_get_threads(void) { return 1; }
static inline const char *recur_blas_core(void) { return "Accelerate"; }
#else
#include <cblas.h>
static inline void recur_blas_set_threads(int n) { openblas_set_num_threads(n); }
static inline int recur_blas_get_threads(void) { return openblas_get_num_threads(); }
static inline const char *recur_blas_core(void) { return openblas_get_corename(); }
#endif
#endif
