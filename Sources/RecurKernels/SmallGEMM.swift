import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Recur's own single-precision products (CKernels/sgemm_kernels.h), used by `Float.gemm` where the CPU has AVX2 or
/// AVX-512: they need no packing, which is what training's per-step products at 16 to 32 rows spend most in with
/// OpenBLAS, and they run AVX-512 where the system's OpenBLAS does not (0.3.21 names newer CPUs "Prescott" or is
/// pinned to Haswell kernels).
package enum SmallGEMM {
    /// The kernel path, nil where the CPU has neither (then BLAS runs every product).
    /// RECUR_SGEMM=blas in the environment sends every product to BLAS (for comparisons).
    package static let path: Int32? = {
        if let setting = getenv("RECUR_SGEMM"), String(cString: setting) == "blas" { return nil }
        let best = recur_sgemm_best_path()
        return best == Int32(RECUR_SGEMM_NONE) ? nil : best
    }()

    /// Products with a transposed B and at least this many rows transpose B first and use the kernels; fewer go to
    /// BLAS (a per-step product should be given a pre-transposed B instead).
    package static let transposeRows = 64

    package static var description: String {
        switch path.map(Int.init) {
        case RECUR_SGEMM_AVX512: "avx512"
        case RECUR_SGEMM_AVX2: "avx2-fma"
        default: "BLAS"
        }
    }
}
