import CKernels

/// Which int8 kernel runs: chosen at run time from what the CPU has (see CKernels/int8_kernels.h).
package enum Int8KernelPath: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case scalar = 0
    case avx2 = 1
    case avx512VNNI = 2
    case neon = 3

    /// The fastest path this CPU runs.
    package static let best = Int8KernelPath(rawValue: recur_int8_best_path()) ?? .scalar

    /// Every path this CPU runs, the scalar reference first.
    package static var available: [Int8KernelPath] { allCases.filter(\.isAvailable) }

    package var isAvailable: Bool { recur_int8_path_available(rawValue) != 0 }

    package var description: String { String(cString: recur_int8_path_name(rawValue)) }
}

/// A weight matrix stored as int8 with one scale per row, multiplied by inputs quantised per row to int16.
///
/// Batch-1 inference streams every weight once per step, so a quarter of the bytes of float32 (half of float16)
/// is most of the gain; the products are exact integer sums, so every kernel path gives the same bits and a row
/// never depends on the others. The error is the weights' rounding: at most half a step of max|row| / 127.
/// Stored in 16-row blocks of column pairs (see CKernels/int8_kernels.h).
package struct Int8Matrix: Sendable {
    package let rows: Int
    package let columns: Int
    let packed: [Int8]
    let scales: [Float]

    /// Quantises `values` (rows × columns, row-major).
    package init(_ values: UnsafePointer<Float>, rows: Int, columns: Int) {
        var packed = [Int8](repeating: 0, count: recur_int8_packed_size(rows, columns))
        var scales = [Float](repeating: 0, count: rows)
        packed.withUnsafeMutableBufferPointer { w in
            scales.withUnsafeMutableBufferPointer { s in
                recur_int8_quantize_weights(values, rows, columns, w.baseAddress!, s.baseAddress!)
            }
        }
        self.rows = rows
        self.columns = columns
        self.packed = packed
        self.scales = scales
    }

    /// Bytes of weights and scales.
    package var byteCount: Int { packed.count + scales.count * MemoryLayout<Float>.size }

    /// The value row `i`, column `j` stands for.
    package func value(row i: Int, column j: Int) -> Float {
        packed.withUnsafeBufferPointer { Float(recur_int8_weight($0.baseAddress!, columns, i, j)) } * scales[i]
    }

    /// y (R × rows, stride ldy) += x (R × columns, stride ldx) · Wᵀ, on `path`; rows are split between the
    /// thread pool's threads when the product is large enough (see `ThreadPool`).
    @inline(__always)
    package func multiplyAdd(
        _ x: UnsafePointer<Float>, ldx: Int, count r: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
        scratch: QuantizedInputs, path: Int8KernelPath = .best
    ) {
        scratch.reserve(rows: r, stride: recur_int8_padded(columns))
        recur_int8_quantize_inputs(path.rawValue, x, ldx, r, columns, scratch.values, scratch.scales)
        packed.withUnsafeBufferPointer { w in
            scales.withUnsafeBufferPointer { s in
                recur_int8_gemm(
                    path.rawValue, w.baseAddress!, s.baseAddress!, rows, columns, scratch.values, scratch.scales, r,
                    y, ldy, ThreadPool.minimumParallelWork)
            }
        }
    }
}

extension Int8Matrix {
    /// Rows are computed in blocks of this many: a row range given to `multiplyAdd(rows:...)` starts on one.
    package static let rowBlock = Int(RECUR_INT8_BLOCK)

    /// y (1 × rows) += x (1 × columns) · Wᵀ for the rows in `range` only (it starts on a multiple of `rowBlock`;
    /// entries of y outside it are left alone), on the calling thread: how two threads share one product's rows.
    package func multiplyAdd(
        rows range: Range<Int>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        scratch: QuantizedInputs, path: Int8KernelPath = .best
    ) {
        precondition(range.lowerBound % Self.rowBlock == 0 && range.upperBound <= rows)
        scratch.reserve(rows: 1, stride: recur_int8_padded(columns))
        recur_int8_quantize_inputs(path.rawValue, x, columns, 1, columns, scratch.values, scratch.scales)
        let b = Self.rowBlock
        packed.withUnsafeBufferPointer { w in
            scales.withUnsafeBufferPointer { s in
                // Blocks past `range` (a partial last block) are clipped by computing into a copy.
                let full = range.upperBound == rows || range.upperBound % b == 0
                if full {
                    recur_int8_gemm_blocks(
                        path.rawValue, w.baseAddress!, s.baseAddress!, rows, columns, range.lowerBound / b,
                        (range.upperBound + b - 1) / b, scratch.values, scratch.scales, 1, y, rows)
                } else {
                    var tail = [Float](repeating: 0, count: rows)
                    recur_int8_gemm_blocks(
                        path.rawValue, w.baseAddress!, s.baseAddress!, rows, columns, range.lowerBound / b,
                        (range.upperBound + b - 1) / b, scratch.values, scratch.scales, 1, &tail, rows)
                    for i in range { y[i] += tail[i] }
                }
            }
        }
    }
}

/// Scratch for the int16 copies of a product's inputs. Belongs to one task, like `Buffer`.
package final class QuantizedInputs {
    private(set) var values: UnsafeMutablePointer<Int16>
    private(set) var scales: UnsafeMutablePointer<Float>
    private var capacity = 0
    private var rowCapacity = 0

    package init() {
        values = .allocate(capacity: 1)
        scales = .allocate(capacity: 1)
    }

    deinit {
        values.deallocate()
        scales.deallocate()
    }

    func reserve(rows: Int, stride: Int) {
        if rows * stride > capacity {
            values.deallocate()
            capacity = rows * stride
            values = .allocate(capacity: capacity)
        }
        if rows > rowCapacity {
            scales.deallocate()
            rowCapacity = rows
            scales = .allocate(capacity: rows)
        }
    }
}
