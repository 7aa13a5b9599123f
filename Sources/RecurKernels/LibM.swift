import CBLAS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(Musl)
    import Musl
#endif

// Unambiguous names for the C math library, since `KernelScalar` declares members of the same names.
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmTanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) func libmLogf(_ x: Float) -> Float { logf(x) }
@inline(__always) func libmExpf(_ x: Float) -> Float { expf(x) }

@inline(__always) func recurSetBLASThreads(_ n: Int) { recur_blas_set_threads(Int32(n)) }
@inline(__always) func recurGetBLASThreads() -> Int { Int(recur_blas_get_threads()) }
@inline(__always) func recurBLASCore() -> String { String(cString: recur_blas_core()) }
