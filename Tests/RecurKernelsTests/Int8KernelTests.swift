import Testing

@testable import RecurKernels

/// The int8 kernels: every path this CPU runs against the scalar reference (exact integer sums, so bit for bit),
/// and the reference against single-precision products within the quantisation bound.
@Suite(.serialized) struct Int8KernelTests {
    /// Odd shapes: rows that are not a multiple of the 4-row blocks, columns that are not a multiple of the vector
    /// width or of the 64-byte padding, and 1 to 9 input rows.
    static let shapes: [(rows: Int, columns: Int, inputs: Int)] = [
        (1, 1, 1), (3, 7, 2), (5, 63, 1), (9, 64, 3), (13, 65, 9), (64, 129, 4), (257, 256, 1), (1031, 100, 5),
    ]

    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(rng.nextUnitDouble() * 2 - 1) * scale }
    }

    /// Shape `i`'s weights (as floats and quantised) and inputs, whose rows lie at an odd stride `ldx`.
    static func fixture(_ i: Int, _ shape: (rows: Int, columns: Int, inputs: Int)) -> (
        w: [Float], matrix: Int8Matrix, x: [Float], ldx: Int
    ) {
        let w = random(shape.rows * shape.columns, seed: UInt64(i), scale: 0.3)
        let matrix = w.withUnsafeBufferPointer { Int8Matrix($0.baseAddress!, rows: shape.rows, columns: shape.columns) }
        let ldx = shape.columns + 3
        return (w, matrix, random(shape.inputs * ldx + 1, seed: UInt64(100 + i)), ldx)
    }

    /// y = bias + x · Wᵀ through the int8 matrix on `path`, with x rows at an odd stride (unaligned).
    static func product(
        _ matrix: Int8Matrix, x: [Float], ldx: Int, rows r: Int, bias: [Float], path: Int8KernelPath
    ) -> [Float] {
        var y = bias
        let scratch = QuantizedInputs()
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                matrix.multiplyAdd(
                    xp.baseAddress! + 1, ldx: ldx, count: r, into: yp.baseAddress!, ldy: matrix.rows, scratch: scratch,
                    path: path)
            }
        }
        return y
    }

    @Test func everyAvailablePathMatchesTheScalarReferenceBitForBit() {
        #expect(Int8KernelPath.available.contains(.scalar))
        #expect(Int8KernelPath.best.isAvailable)
        print(
            "int8 kernel paths on this CPU: \(Int8KernelPath.available.map(\.description)), best \(Int8KernelPath.best)"
        )
        for (i, shape) in Self.shapes.enumerated() {
            let (_, matrix, x, ldx) = Self.fixture(i, shape)
            let bias = Self.random(shape.inputs * shape.rows, seed: UInt64(200 + i))
            let reference = Self.product(matrix, x: x, ldx: ldx, rows: shape.inputs, bias: bias, path: .scalar)
            for path in Int8KernelPath.available where path != .scalar {
                let y = Self.product(matrix, x: x, ldx: ldx, rows: shape.inputs, bias: bias, path: path)
                #expect(y == reference, "\(path) on \(shape)")
            }
        }
    }

    @Test func theReferenceIsWithinTheQuantisationBoundOfSinglePrecision() {
        for (i, shape) in Self.shapes.enumerated() {
            let (w, matrix, x, ldx) = Self.fixture(i, shape)
            let zero = [Float](repeating: 0, count: shape.inputs * shape.rows)
            let y = Self.product(matrix, x: x, ldx: ldx, rows: shape.inputs, bias: zero, path: .scalar)
            for q in 0..<shape.inputs {
                let xr = (0..<shape.columns).map { x[1 + q * ldx + $0] }
                let xMax = xr.map(abs).max()!
                let xStep = xMax / Float(min(32767, Int(Int32.max) / (127 * ((shape.columns + 7) / 8 * 8))))
                for row in 0..<shape.rows {
                    let wr = (0..<shape.columns).map { w[row * shape.columns + $0] }
                    let exact = zip(wr, xr).reduce(0) { $0 + $1.0 * $1.1 }
                    // Each weight is off by at most half its row's step, each input by half of its own.
                    let wStep = wr.map(abs).max()! / 127
                    let bound =
                        zip(wr, xr).reduce(0) { $0 + 0.5 * wStep * abs($1.1) + 0.5 * xStep * (abs($1.0) + wStep) }
                        + 1e-5
                    #expect(abs(y[q * shape.rows + row] - exact) <= bound, "\(shape) row \(row) input \(q)")
                    // The stored weights are what the product used.
                    #expect(abs(matrix.value(row: row, column: 0) - wr[0]) <= wStep / 2 + 1e-7)
                }
            }
        }
    }

    @Test func zeroRowsAndZeroInputsGiveExactZeros() {
        let w = [Float](repeating: 0, count: 8 * 70)
        let matrix = w.withUnsafeBufferPointer { Int8Matrix($0.baseAddress!, rows: 8, columns: 70) }
        let x = Self.random(2 * 70 + 1, seed: 3)
        let bias = Self.random(16, seed: 4)
        for path in Int8KernelPath.available {
            #expect(Self.product(matrix, x: x, ldx: 70, rows: 2, bias: bias, path: path) == bias)
            #expect(
                Self.product(matrix, x: [Float](repeating: 0, count: 141), ldx: 70, rows: 2, bias: bias, path: path)
                    == bias)
        }
    }

    /// Rows split between threads: the same bits as one thread, and the workers really ran parts.
    @Test func splittingRowsBetweenThreadsChangesNothing() {
        let rows = 1024, columns = 256
        let w = Self.random(rows * columns, seed: 9, scale: 0.2)
        let matrix = w.withUnsafeBufferPointer { Int8Matrix($0.baseAddress!, rows: rows, columns: columns) }
        let x = Self.random(3 * columns + 1, seed: 10)
        let bias = Self.random(3 * rows, seed: 11)
        let saved = ThreadPool.threads
        defer { ThreadPool.threads = saved }
        ThreadPool.threads = 1
        let alone = Self.product(matrix, x: x, ldx: columns, rows: 3, bias: bias, path: .best)
        ThreadPool.threads = 2
        let before = ThreadPool.workerParts
        var same = true
        // Until a worker has taken part (it starts, and is scheduled, while other tests keep both cores busy).
        for _ in 0..<200_000 where ThreadPool.workerParts < before + 100 {
            same = same && Self.product(matrix, x: x, ldx: columns, rows: 3, bias: bias, path: .best) == alone
        }
        #expect(same)
        #expect(ThreadPool.workerParts >= before + 100, "a worker ran some of the parts")
    }
}
