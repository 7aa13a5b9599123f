import CKernels

/// A weight matrix stored as IEEE half floats, multiplied by single-precision inputs.
///
/// Batch-1 inference streams every weight once per step, so it is bound by bytes, not arithmetic: half the bytes
/// is nearly half the time. Only built where the CPU has the instructions (x86-64 with AVX2, FMA and F16C).
package struct HalfMatrix: Sendable {
    package let rows: Int
    package let columns: Int
    let storage: [UInt16]

    /// Whether this machine runs the half-precision kernels at all.
    package static let isSupported: Bool = recur_half_kernels_available() != 0

    /// Converts `values` (rows × columns, row-major); nil when the CPU lacks the kernels.
    package init?(_ values: UnsafePointer<Float>, rows: Int, columns: Int) {
        guard Self.isSupported else { return nil }
        var storage = [UInt16](repeating: 0, count: rows * columns)
        storage.withUnsafeMutableBufferPointer { recur_float_to_half(values, $0.baseAddress!, rows * columns) }
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Whether every value survives a round trip through half precision exactly (a model stored as float16 does),
    /// so that computing with the half copy changes nothing but the order of summation.
    package static func isExactlyRepresentable(_ values: some Sequence<Float>) -> Bool {
        #if arch(x86_64) || arch(arm64)
            return values.allSatisfy { Float(Float16($0)) == $0 }
        #else
            return false
        #endif
    }

    /// y (R × rows, stride ldy) += x (R × columns, stride ldx) · Wᵀ.
    @inline(__always)
    package func multiplyAdd(
        _ x: UnsafePointer<Float>, ldx: Int, count r: Int, into y: UnsafeMutablePointer<Float>, ldy: Int
    ) {
        storage.withUnsafeBufferPointer {
            recur_half_gemm_nt($0.baseAddress!, rows, columns, x, ldx, r, y, ldy)
        }
    }
}
