#ifndef RECUR_CELL_KERNELS_H
#define RECUR_CELL_KERNELS_H
#include <stddef.h>

/// The pointwise half of the LSTM and GRU cells in single precision, the same arithmetic as RecurModel's CellMath
/// (which keeps the generic version, for Double and the gradient checks), built for AVX-512, AVX2 and the baseline
/// like vector_math.h. Row r of a (rows, G·H) buffer holds the gates of one sequence; `c_prev` and `h_prev` may be
/// NULL (a zero state).

/// LSTM (gates i, f, g, o): a += hp, activated in place; c' = f·c + i·g, tanh_c = tanh(c'), h' = o·tanh_c.
void recur_lstm_forward(size_t rows, size_t h, float *a, const float *hp, const float *c_prev, float *c_out,
                        float *tanh_c, float *h_out);

/// LSTM backward: from dh and dc (updated in place to flow to the step before), the pre-activation gradients dA.
void recur_lstm_backward(size_t rows, size_t h, const float *gates, const float *tanh_c, const float *c_prev,
                         const float *dh, float *dc, float *dA);

/// GRU (gates r, z, n): n = tanh(a_n + r·hp_n), h' = (1 − z)·n + z·h; hn keeps hp_n.
void recur_gru_forward(size_t rows, size_t h, float *a, const float *hp, const float *h_prev, float *hn,
                       float *h_out);

/// GRU backward: dA (input side), dAh (hidden side) and the direct path dh·z into dh_prev.
void recur_gru_backward(size_t rows, size_t h, const float *gates, const float *hn, const float *h_prev,
                        const float *dh, float *dA, float *dAh, float *dh_prev);

#endif
