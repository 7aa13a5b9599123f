import CKernels
import RecurKernels

/// The pointwise half of each recurrent cell: everything after the two projections.
///
/// Symbols: `R` rows (sequences advanced together), `H` hidden, `G` gates. `a` holds the input projection
/// plus `b_ih` (R, G·H) and is overwritten with the activated gates, which the backward pass reads.
/// `hp` holds the hidden projection plus `b_hh` (R, G·H). Each forward sits above its backward.
enum CellMath {
    // Float runs the C versions (CKernels/cell_kernels.h: the same arithmetic, vectorised for AVX-512 or AVX2);
    // the generic code below them is what Double, and the gradient checks, run.
    @inline(__always) private static func f(_ p: UnsafeMutablePointer<some KernelScalar>) -> UnsafeMutablePointer<Float>
    {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    @inline(__always) private static func f(_ p: UnsafePointer<some KernelScalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    @inline(__always) private static func f(_ p: UnsafePointer<some KernelScalar>?) -> UnsafePointer<Float>? {
        p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }
    }

    // MARK: LSTM (gates i, f, g, o)

    /// c' = f·c + i·g, h' = o·tanh(c'). `tanhC` (R, H) is kept for the backward pass.
    static func lstmForward<S: KernelScalar>(
        rows: Int, hidden h: Int, a: UnsafeMutablePointer<S>, hp: UnsafePointer<S>,
        cPrev: UnsafePointer<S>?, cOut: UnsafeMutablePointer<S>, tanhC: UnsafeMutablePointer<S>,
        hOut: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            return recur_lstm_forward(rows, h, f(a), f(hp), f(cPrev), f(cOut), f(tanhC), f(hOut))
        }
        let g4 = 4 * h
        for r in 0..<rows {
            let gates = a + r * g4
            let hpRow = hp + r * g4
            for j in 0..<g4 { gates[j] += hpRow[j] }
            S.sigmoid(gates, count: 2 * h)
            S.tanh(gates + 2 * h, count: h)
            S.sigmoid(gates + 3 * h, count: h)
            let c = cOut + r * h
            let tc = tanhC + r * h
            if let cPrev {
                let cp = cPrev + r * h
                for j in 0..<h { c[j] = gates[h + j] * cp[j] + gates[j] * gates[2 * h + j] }
            } else {
                for j in 0..<h { c[j] = gates[j] * gates[2 * h + j] }
            }
            tc.update(from: c, count: h)
            S.tanh(tc, count: h)
            let hRow = hOut + r * h
            for j in 0..<h { hRow[j] = gates[3 * h + j] * tc[j] }
        }
    }

    /// Given dh (R, H), the total gradient reaching h', and `dc` (R, H) flowing back from step t+1
    /// (updated in place to flow into step t−1), writes the pre-activation gradients `dA` (R, 4H).
    static func lstmBackward<S: KernelScalar>(
        rows: Int, hidden h: Int, gates: UnsafePointer<S>, tanhC: UnsafePointer<S>,
        cPrev: UnsafePointer<S>?, dh: UnsafePointer<S>, dc: UnsafeMutablePointer<S>,
        dA: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            return recur_lstm_backward(rows, h, f(gates), f(tanhC), f(cPrev), f(dh), f(dc), f(dA))
        }
        let g4 = 4 * h
        for r in 0..<rows {
            let gt = gates + r * g4
            let tc = tanhC + r * h
            let dhRow = dh + r * h
            let dcRow = dc + r * h
            let d = dA + r * g4
            for j in 0..<h {
                let i = gt[j], f = gt[h + j], g = gt[2 * h + j], o = gt[3 * h + j]
                let dcTotal = dcRow[j] + dhRow[j] * o * (1 - tc[j] * tc[j])
                let cp: S = cPrev.map { $0[r * h + j] } ?? 0
                d[j] = dcTotal * g * i * (1 - i)
                d[h + j] = dcTotal * cp * f * (1 - f)
                d[2 * h + j] = dcTotal * i * (1 - g * g)
                d[3 * h + j] = dhRow[j] * tc[j] * o * (1 - o)
                dcRow[j] = dcTotal * f
            }
        }
    }

    // MARK: GRU (gates r, z, n)

    /// n = tanh(a_n + r·hp_n), h' = (1 − z)·n + z·h. `hn` (R, H) keeps hp_n for the backward pass.
    static func gruForward<S: KernelScalar>(
        rows: Int, hidden h: Int, a: UnsafeMutablePointer<S>, hp: UnsafePointer<S>,
        hPrev: UnsafePointer<S>?, hn: UnsafeMutablePointer<S>, hOut: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self { return recur_gru_forward(rows, h, f(a), f(hp), f(hPrev), f(hn), f(hOut)) }
        let g3 = 3 * h
        for r in 0..<rows {
            let gates = a + r * g3
            let hpRow = hp + r * g3
            for j in 0..<(2 * h) { gates[j] += hpRow[j] }
            S.sigmoid(gates, count: 2 * h)
            let hnRow = hn + r * h
            for j in 0..<h {
                hnRow[j] = hpRow[2 * h + j]
                gates[2 * h + j] += gates[j] * hnRow[j]
            }
            S.tanh(gates + 2 * h, count: h)
            let hRow = hOut + r * h
            if let hPrev {
                let hp0 = hPrev + r * h
                for j in 0..<h {
                    let z = gates[h + j]
                    hRow[j] = (1 - z) * gates[2 * h + j] + z * hp0[j]
                }
            } else {
                for j in 0..<h { hRow[j] = (1 - gates[h + j]) * gates[2 * h + j] }
            }
        }
    }

    /// Writes the input-side pre-activation gradients `dA` (R, 3H), the hidden-side ones `dAh` (R, 3H),
    /// and the direct path dh·z into `dhPrev` (R, H); the caller adds dAh·W_hh to it.
    static func gruBackward<S: KernelScalar>(
        rows: Int, hidden h: Int, gates: UnsafePointer<S>, hn: UnsafePointer<S>,
        hPrev: UnsafePointer<S>?, dh: UnsafePointer<S>, dA: UnsafeMutablePointer<S>,
        dAh: UnsafeMutablePointer<S>, dhPrev: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            return recur_gru_backward(rows, h, f(gates), f(hn), f(hPrev), f(dh), f(dA), f(dAh), f(dhPrev))
        }
        let g3 = 3 * h
        for r in 0..<rows {
            let gt = gates + r * g3
            let hnRow = hn + r * h
            let dhRow = dh + r * h
            let d = dA + r * g3
            let dh2 = dAh + r * g3
            let dPrev = dhPrev + r * h
            for j in 0..<h {
                let rg = gt[j], z = gt[h + j], n = gt[2 * h + j]
                let hp: S = hPrev.map { $0[r * h + j] } ?? 0
                let dn = dhRow[j] * (1 - z)
                let dz = dhRow[j] * (hp - n)
                let dan = dn * (1 - n * n)
                let dar = dan * hnRow[j] * rg * (1 - rg)
                let daz = dz * z * (1 - z)
                d[j] = dar
                d[h + j] = daz
                d[2 * h + j] = dan
                dh2[j] = dar
                dh2[h + j] = daz
                dh2[2 * h + j] = dan * rg
                dPrev[j] = dhRow[j] * z
            }
        }
    }

    // MARK: RNN (tanh)

    /// h' = tanh(a + hp).
    static func rnnForward<S: KernelScalar>(
        rows: Int, hidden h: Int, a: UnsafeMutablePointer<S>, hp: UnsafePointer<S>,
        hOut: UnsafeMutablePointer<S>
    ) {
        let n = rows * h
        for j in 0..<n { a[j] += hp[j] }
        S.tanh(a, count: n)
        hOut.update(from: a, count: n)
    }

    static func rnnBackward<S: KernelScalar>(
        rows: Int, hidden h: Int, gates: UnsafePointer<S>, dh: UnsafePointer<S>,
        dA: UnsafeMutablePointer<S>
    ) {
        for j in 0..<(rows * h) { dA[j] = dh[j] * (1 - gates[j] * gates[j]) }
    }
}
