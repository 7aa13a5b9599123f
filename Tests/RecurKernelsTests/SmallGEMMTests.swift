import CKernels
import Testing

@testable import RecurKernels

/// Recur's single-precision products against a double-precision reference: every path this CPU runs, odd shapes
/// (edges of the 8 × 32 and 6 × 16 tiles, depths across the 256-deep chunks), transposed A, unaligned strides.
@Suite struct SmallGEMMTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 37, 13), (8, 32, 256), (9, 33, 257), (16, 1024, 256), (16, 256, 1024), (97, 70, 300),
    ]

    static func paths() -> [Int32] {
        [Int32(RECUR_SGEMM_AVX2), Int32(RECUR_SGEMM_AVX512)].filter { recur_sgemm_path_available($0) != 0 }
    }

    @Test func everyPathMatchesADoublePrecisionReference() {
        print("sgemm paths on this CPU: \(Self.paths()), Float.gemm uses \(SmallGEMM.description)")
        for (s, shape) in Self.shapes.enumerated() {
            let (m, n, k) = shape
            for transposed in [false, true] {
                // A stored m × k (lda k + 1) or, transposed, k × m (lda m + 3); B k × n with ldb n + 5; C ldc n + 2.
                let lda = transposed ? m + 3 : k + 1
                let a = Int8KernelTests.random((transposed ? k : m) * lda, seed: UInt64(s))
                let ldb = n + 5
                let b = Int8KernelTests.random(k * ldb, seed: UInt64(50 + s))
                let ldc = n + 2
                let c0 = Int8KernelTests.random(m * ldc, seed: UInt64(90 + s))
                var expected = c0.map(Double.init)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k {
                            sum += Double(transposed ? a[p * lda + i] : a[i * lda + p]) * Double(b[p * ldb + j])
                        }
                        expected[i * ldc + j] += sum
                    }
                }
                let (rsa, csa) = transposed ? (1, lda) : (lda, 1)
                for path in Self.paths() {
                    var c = c0
                    c.withUnsafeMutableBufferPointer { cp in
                        recur_sgemm(path, m, n, k, a, rsa, csa, b, ldb, cp.baseAddress!, ldc)
                    }
                    let worst = zip(c, expected).map { abs(Double($0) - $1) / (abs($1) + 1) }.max() ?? 0
                    #expect(worst < 1e-5 * Double(k).squareRoot(), "path \(path), \(shape), transposed \(transposed)")
                }
                // Float.gemm, as training calls it (transposed B through the copy for m ≥ 64, else BLAS).
                var c = c0
                c.withUnsafeMutableBufferPointer { cp in
                    Float.gemm(
                        transA: transposed, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b,
                        ldb: ldb, beta: 1, c: cp.baseAddress!, ldc: ldc)
                }
                let worst = zip(c, expected).map { abs(Double($0) - $1) / (abs($1) + 1) }.max() ?? 0
                #expect(worst < 1e-5 * Double(k).squareRoot(), "Float.gemm \(shape), transposed \(transposed)")
            }
        }
    }

    @Test func transposedBAndBetaZeroGoThroughTheSameProducts() {
        let (m, n, k) = (70, 45, 33)
        let a = Int8KernelTests.random(m * k, seed: 1)
        let bT = Int8KernelTests.random(n * k, seed: 2)  // n × k: used as Bᵀ
        var c = [Float](repeating: .nan, count: m * n)  // beta 0 ignores what C held
        c.withUnsafeMutableBufferPointer { cp in
            Float.gemm(
                transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: bT, ldb: k, beta: 0,
                c: cp.baseAddress!, ldc: n)
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(bT[j * k + p]) }
                #expect(abs(Double(c[i * n + j]) - sum) < 1e-4, "(\(i), \(j))")
            }
        }
    }
}
