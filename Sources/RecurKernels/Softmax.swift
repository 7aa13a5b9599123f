/// Row-wise softmax and log-softmax, numerically stable (max subtracted first). Both are specialised for Float
/// here: callers in other modules reached the generic code otherwise (the completion path spent 5% of its time in
/// Float's protocol witnesses, `perf record` on `Benchmarks/serve_bench.py`).
package enum Softmax {
    /// In place over `rows` rows of `width` values each: x = softmax(x / temperature).
    @inlinable
    @_specialize(exported:true,where S == Float)
    package static func softmax<S: KernelScalar>(
        _ x: UnsafeMutablePointer<S>, rows: Int, width: Int, temperature: S = 1
    ) {
        for r in 0..<rows {
            let row = x + r * width
            var maxValue = -S.infinity
            for j in 0..<width { maxValue = Swift.max(maxValue, row[j]) }
            let inv = 1 / temperature
            for j in 0..<width { row[j] = (row[j] - maxValue) * inv }
            S.exp(row, count: width)
            var sum: S = 0
            for j in 0..<width { sum += row[j] }
            let scale = 1 / sum
            for j in 0..<width { row[j] *= scale }
        }
    }

    /// Writes log-softmax of each row of `x` into `out` (which may alias `x`) and returns nothing.
    /// `scratch` holds `width` values.
    @inlinable
    @_specialize(exported:true,where S == Float)
    package static func logSoftmax<S: KernelScalar>(
        _ x: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, rows: Int, width: Int,
        scratch: UnsafeMutablePointer<S>
    ) {
        for r in 0..<rows {
            let row = x + r * width
            let dst = out + r * width
            var maxValue = -S.infinity
            for j in 0..<width { maxValue = Swift.max(maxValue, row[j]) }
            for j in 0..<width { scratch[j] = row[j] - maxValue }
            // Keep the shifted values; exponentiate a copy for the normaliser.
            for j in 0..<width { dst[j] = scratch[j] }
            S.exp(scratch, count: width)
            var sum: S = 0
            for j in 0..<width { sum += scratch[j] }
            let logSum = S.log(sum)
            for j in 0..<width { dst[j] -= logSum }
        }
    }
}

/// BLAS thread control. Batch-1 inference is fastest on one thread; training uses both cores.
package enum BLASThreads {
    package static func set(_ count: Int) { recurSetBLASThreads(count) }
    package static var current: Int { recurGetBLASThreads() }
    /// The kernels the BLAS runs ("Haswell", "SkylakeX", ...: OpenBLAS's core name; "Accelerate" on macOS).
    package static var core: String { recurBLASCore() }
}
