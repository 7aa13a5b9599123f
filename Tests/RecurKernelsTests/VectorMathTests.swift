import Foundation
import Testing

@testable import RecurKernels

/// The vectorised transcendental functions against the C library, over their whole useful range.
@Suite struct VectorMathTests {
    static let inputs: [Float] =
        stride(from: -100, through: 100, by: 0.0137).map { Float($0) } + [
            0, -0, 1e-8, -1e-8, 1e-3, 0.6249, 0.6251, -0.625, 88.7, -88.7, 200, -200,
        ]

    @Test func expMatchesLibm() {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { VectorMath.exp($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(Self.inputs, values) {
            let reference = Foundation.exp(Double(max(min(x, 88.3), -87.3)))
            #expect(abs(Double(y) - reference) <= 3e-7 * reference, "exp(\(x)) = \(y), libm \(reference)")
        }
    }

    @Test func tanhAndSigmoidMatchLibm() {
        var t = Self.inputs, s = Self.inputs
        t.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, count: $0.count) }
        s.withUnsafeMutableBufferPointer { VectorMath.sigmoid($0.baseAddress!, count: $0.count) }
        for (i, x) in Self.inputs.enumerated() {
            let tr = Foundation.tanh(Double(x))
            #expect(abs(Double(t[i]) - tr) <= 2e-7 * max(abs(tr), 1e-30) + 1e-45, "tanh(\(x)) = \(t[i]), libm \(tr)")
            let sr = 1 / (1 + Foundation.exp(-Double(x)))
            #expect(abs(Double(s[i]) - sr) <= 3e-7 * sr + 1e-37, "sigmoid(\(x)) = \(s[i]), reference \(sr)")
        }
    }

    @Test func tailsShorterThanALaneAreHandled() {
        for count in 0..<20 {
            var values = (0..<count).map { Float($0) * 0.25 - 2 }
            let expected = values.map { Float(Foundation.tanh(Double($0))) }
            values.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, count: count) }
            #expect(zip(values, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
        }
    }

    @Test func softmaxRowsSumToOneAndLogSoftmaxAgrees() {
        var x: [Float] = (0..<512).map { Float(($0 * 7919) % 113) / 10 - 5 }
        var logp = [Float](repeating: 0, count: 512)
        var scratch = [Float](repeating: 0, count: 256)
        x.withUnsafeBufferPointer { xp in
            logp.withUnsafeMutableBufferPointer { lp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    Softmax.logSoftmax(
                        xp.baseAddress!, into: lp.baseAddress!, rows: 2, width: 256, scratch: sp.baseAddress!)
                }
            }
        }
        x.withUnsafeMutableBufferPointer { Softmax.softmax($0.baseAddress!, rows: 2, width: 256) }
        for r in 0..<2 {
            let row = x[(r * 256)..<((r + 1) * 256)]
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        }
        #expect(zip(x, logp).allSatisfy { abs(Foundation.log($0) - $1) < 1e-5 })
    }

    @Test func gemmAndGemvFollowRowMajorConventions() {
        // A (2×3) · B (3×2), and Aᵀ · x.
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 1, count: 4)
        Float.gemm(
            transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1, a: a, lda: 3, b: b, ldb: 2, beta: 1, c: &c, ldc: 2
        )
        #expect(c == [59, 65, 140, 155])
        var y: [Double] = [0, 0, 0]
        Double.gemv(trans: true, m: 2, n: 3, alpha: 2, a: a.map(Double.init), lda: 3, x: [1, -1], beta: 0, y: &y)
        #expect(y == [-6, -6, -6])
    }
}
