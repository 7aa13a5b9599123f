#ifndef RECUR_INT8_KERNELS_H
#define RECUR_INT8_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Int8 weight kernels for small-batch inference.
///
/// Weights are int8 with one float scale per row (symmetric, |q| <= 127). Inputs are quantised per row to int16
/// (nearly lossless: the step is at most 1/16,512 of the row's largest magnitude), so the products are exact
/// integer sums: every path gives the same bits as the scalar reference, and a row's result never depends on the
/// other rows or on threads.
///
/// Packed layout: rows in blocks of 16 (the last zero-padded), columns in pairs (k padded to `recur_int8_padded`).
/// Block b, pair p holds 32 bytes: for each row i of the block, w[16b + i][2p] and w[16b + i][2p + 1]. One
/// vpdpwssd then multiplies 16 rows by one broadcast input pair, leaving each row's sum in its own lane: no
/// horizontal sums.
///
/// Paths: 0 scalar (portable), 1 AVX2 (vpmaddwd), 2 AVX-512 VNNI (vpdpwssd), 3 NEON (smlal).

enum {
    RECUR_INT8_SCALAR = 0,
    RECUR_INT8_AVX2 = 1,
    RECUR_INT8_AVX512_VNNI = 2,
    RECUR_INT8_NEON = 3,
    RECUR_INT8_PATHS = 4
};

#define RECUR_INT8_BLOCK 16

/// Whether this CPU runs `path`.
int recur_int8_path_available(int path);

/// The fastest path this CPU runs.
int recur_int8_best_path(void);

/// A short name for `path` ("scalar", "avx2", "avx512-vnni", "neon").
const char *recur_int8_path_name(int path);

/// Columns of a packed row: k rounded up to a multiple of 8.
size_t recur_int8_padded(size_t k);

/// Bytes of a packed m x k matrix.
size_t recur_int8_packed_size(size_t m, size_t k);

/// The largest input magnitude after quantisation, so that a sum over `ldw` products of int8 weights cannot
/// overflow int32: min(32767, (2^31 - 1) / (127 ldw)).
int32_t recur_int8_input_limit(size_t ldw);

/// Quantises W (m x k, row-major floats) into the packed layout and scale (m): q = round(w / scale) with
/// scale = max|w_row| / 127 (0 for an all-zero row).
void recur_int8_quantize_weights(const float *w, size_t m, size_t k, int8_t *packed, float *scale);

/// The quantised weight of row i, column j of a packed m x k matrix.
int8_t recur_int8_weight(const int8_t *packed, size_t k, size_t i, size_t j);

/// Quantises r input rows X (r x k, stride ldx) into xq (r x recur_int8_padded(k) int16, zero-padded) and
/// xscale (r). Every path rounds the same way (to nearest even), so they agree bit for bit.
void recur_int8_quantize_inputs(int path, const float *x, size_t ldx, size_t r, size_t k, int16_t *xq,
                                float *xscale);

/// Y (r x [16 begin_block, 16 end_block) ∩ [0, m), stride ldy) += Xq · Wqᵀ, dequantised:
/// y[q][i] += (float)dot * (wscale[i] * xscale[q]). Whole 16-row blocks only, so callers can split the blocks
/// between threads.
void recur_int8_gemm_blocks(int path, const int8_t *packed, const float *wscale, size_t m, size_t k,
                            size_t begin_block, size_t end_block, const int16_t *xq, const float *xscale, size_t r,
                            float *y, size_t ldy);

/// All m rows, split between the thread pool's threads (see thread_pool.h) when the product holds at least
/// `min_parallel` multiply-adds and the pool has more than one thread.
void recur_int8_gemm(int path, const int8_t *packed, const float *wscale, size_t m, size_t k, const int16_t *xq,
                     const float *xscale, size_t r, float *y, size_t ldy, size_t min_parallel);

#endif
