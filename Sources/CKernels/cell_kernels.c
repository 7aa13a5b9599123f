#include "cell_kernels.h"

#include "vector_math_lanes.h"

// Inference updates the state in place (c_out is c_prev, h_out is h_prev): every loop below reads and writes only
// index j of each array, so vectorising across j is safe, which the compiler cannot prove for itself (it would
// check for overlap at run time and fall back to scalar code).
#if defined(__clang__)
#define VECTORIZE _Pragma("clang loop vectorize(assume_safety)")
#else
#define VECTORIZE
#endif

RECUR_CLONES void recur_lstm_forward(size_t rows, size_t h, float *a, const float *hp, const float *c_prev,
                                     float *c_out, float *tanh_c, float *h_out) {
    for (size_t r = 0; r < rows; r++) {
        float *g = a + r * 4 * h;
        const float *p = hp + r * 4 * h;
        const float *cp = c_prev ? c_prev + r * h : NULL;
        float *c = c_out + r * h, *tc = tanh_c + r * h, *ho = h_out + r * h;
        VECTORIZE
        for (size_t j = 0; j < h; j++) {
            float i = sigmoid_lane(g[j] + p[j]);
            float f = sigmoid_lane(g[h + j] + p[h + j]);
            float gg = tanh_lane(g[2 * h + j] + p[2 * h + j]);
            float o = sigmoid_lane(g[3 * h + j] + p[3 * h + j]);
            g[j] = i;
            g[h + j] = f;
            g[2 * h + j] = gg;
            g[3 * h + j] = o;
            float cn = (cp ? f * cp[j] : 0.0f) + i * gg;
            float t = tanh_lane(cn);
            c[j] = cn;
            tc[j] = t;
            ho[j] = o * t;
        }
    }
}

RECUR_CLONES void recur_lstm_backward(size_t rows, size_t h, const float *gates, const float *tanh_c,
                                      const float *c_prev, const float *dh, float *dc, float *dA) {
    for (size_t r = 0; r < rows; r++) {
        const float *gt = gates + r * 4 * h, *tc = tanh_c + r * h, *dhr = dh + r * h;
        const float *cp = c_prev ? c_prev + r * h : NULL;
        float *dcr = dc + r * h, *d = dA + r * 4 * h;
        VECTORIZE
        for (size_t j = 0; j < h; j++) {
            float i = gt[j], f = gt[h + j], g = gt[2 * h + j], o = gt[3 * h + j];
            float dct = dcr[j] + dhr[j] * o * (1 - tc[j] * tc[j]);
            float c0 = cp ? cp[j] : 0.0f;
            d[j] = dct * g * i * (1 - i);
            d[h + j] = dct * c0 * f * (1 - f);
            d[2 * h + j] = dct * i * (1 - g * g);
            d[3 * h + j] = dhr[j] * tc[j] * o * (1 - o);
            dcr[j] = dct * f;
        }
    }
}

RECUR_CLONES void recur_gru_forward(size_t rows, size_t h, float *a, const float *hp, const float *h_prev,
                                    float *hn, float *h_out) {
    for (size_t r = 0; r < rows; r++) {
        float *g = a + r * 3 * h;
        const float *p = hp + r * 3 * h;
        const float *h0 = h_prev ? h_prev + r * h : NULL;
        float *hnr = hn + r * h, *ho = h_out + r * h;
        VECTORIZE
        for (size_t j = 0; j < h; j++) {
            float rg = sigmoid_lane(g[j] + p[j]);
            float z = sigmoid_lane(g[h + j] + p[h + j]);
            float n = tanh_lane(g[2 * h + j] + rg * p[2 * h + j]);
            g[j] = rg;
            g[h + j] = z;
            g[2 * h + j] = n;
            hnr[j] = p[2 * h + j];
            ho[j] = (1 - z) * n + (h0 ? z * h0[j] : 0.0f);
        }
    }
}

RECUR_CLONES void recur_gru_backward(size_t rows, size_t h, const float *gates, const float *hn, const float *h_prev,
                                     const float *dh, float *dA, float *dAh, float *dh_prev) {
    for (size_t r = 0; r < rows; r++) {
        const float *gt = gates + r * 3 * h, *hnr = hn + r * h, *dhr = dh + r * h;
        const float *h0 = h_prev ? h_prev + r * h : NULL;
        float *d = dA + r * 3 * h, *d2 = dAh + r * 3 * h, *dp = dh_prev + r * h;
        VECTORIZE
        for (size_t j = 0; j < h; j++) {
            float rg = gt[j], z = gt[h + j], n = gt[2 * h + j];
            float hp = h0 ? h0[j] : 0.0f;
            float dn = dhr[j] * (1 - z);
            float dz = dhr[j] * (hp - n);
            float dan = dn * (1 - n * n);
            float dar = dan * hnr[j] * rg * (1 - rg);
            float daz = dz * z * (1 - z);
            d[j] = dar;
            d[h + j] = daz;
            d[2 * h + j] = dan;
            d2[j] = dar;
            d2[h + j] = daz;
            d2[2 * h + j] = dan * rg;
            dp[j] = dhr[j] * z;
        }
    }
}
