import CKernels

/// Vectorised single-precision transcendental functions over arrays (CKernels/vector_math.h).
///
/// `exp` uses Cody–Waite range reduction and a degree-6 minimax polynomial (the classic Cephes `expf` coefficients),
/// about 1–2 ulp on [-87, 88]. `tanh` uses an odd polynomial near zero, where `1 - 2/(e^2x + 1)` would lose
/// relative precision, and the exp form elsewhere. Written in C so that they run in AVX-512 or AVX2 where the CPU
/// has them: Swift code here is compiled for the x86-64 baseline (SSE2).
package enum VectorMath {
    package static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) { recur_exp(x, count) }
    package static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) { recur_sigmoid(x, count) }
    package static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) { recur_tanh(x, count) }

    /// Which compiled version runs ("avx512f", "avx2" or "baseline").
    package static var path: String { String(cString: recur_vector_math_path()) }

    @inline(__always) package static func exp(_ x: Float) -> Float { libmExpf(x) }
    @inline(__always) package static func log(_ x: Float) -> Float { libmLogf(x) }
}
