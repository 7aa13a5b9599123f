import CBLAS
import CKernels

/// The scalar types the numeric core runs on.
///
/// `Float` is the production type. `Double` exists so that every backward pass can be checked
/// against finite differences with a relative error near 1e-7 rather than 1e-3.
/// Matrices are row-major and dense, as in PyTorch; `lda` is the row stride.
/// Each requirement works on a whole buffer, so generic code pays one witness call per buffer,
/// never one per element.
package protocol KernelScalar: BinaryFloatingPoint, Sendable, Codable {
    /// C (m×n) = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y = alpha · op(A) · x + beta · y, with A stored m×n.
    static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
    /// In place: x = 1 / (1 + e^-x).
    static func sigmoid(_ x: UnsafeMutablePointer<Self>, count: Int)
    /// In place: x = tanh(x).
    static func tanh(_ x: UnsafeMutablePointer<Self>, count: Int)
    /// In place: x = e^x.
    static func exp(_ x: UnsafeMutablePointer<Self>, count: Int)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
}

@inline(__always)
private func order(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: KernelScalar {
    package static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if let path = SmallGEMM.path, alpha == 1, beta == 0 || beta == 1, !transB || m >= SmallGEMM.transposeRows {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            let (rsa, csa) = transA ? (1, lda) : (lda, 1)
            if transB {
                // B is n × k: its transpose, once per call, costs little against m ≥ 64 rows of products.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: k * n) { t in
                    recur_transpose(b, n, k, ldb, t.baseAddress!)
                    recur_sgemm(path, m, n, k, a, rsa, csa, t.baseAddress!, n, c, ldc)
                }
            } else {
                recur_sgemm(path, m, n, k, a, rsa, csa, b, ldb, c, ldc)
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, order(transA), order(transB), Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    package static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemv(
            CblasRowMajor, order(trans), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    package static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(x, count: count)
    }
    package static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.tanh(x, count: count)
    }
    package static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.exp(x, count: count)
    }
    @inline(__always) package static func exp(_ x: Float) -> Float { VectorMath.exp(x) }
    @inline(__always) package static func log(_ x: Float) -> Float { VectorMath.log(x) }
}

extension Double: KernelScalar {
    package static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(
            CblasRowMajor, order(transA), order(transB), Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    package static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemv(
            CblasRowMajor, order(trans), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    package static func sigmoid(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = 1 / (1 + libmExp(-x[i])) }
    }
    package static func tanh(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = libmTanh(x[i]) }
    }
    package static func exp(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = libmExp(x[i]) }
    }
    package static func exp(_ x: Double) -> Double { libmExp(x) }
    package static func log(_ x: Double) -> Double { libmLog(x) }
}
