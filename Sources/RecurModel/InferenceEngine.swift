import RecurKernels

/// How inference multiplies by the weights.
package enum InferencePrecision: String, Sendable, Equatable, CaseIterable {
    /// Half precision when the weights are exactly representable in it (a model stored as float16) and the CPU has
    /// the kernels; otherwise single. Never changes results beyond the order of summation.
    case automatic = "auto"
    /// Single-precision BLAS.
    case single = "f32"
    /// Half-precision weights (rounded if needed), where the CPU has the kernels; otherwise single.
    case half = "f16"
    /// Int8 weights with a scale per row, inputs quantised per row to int16 (see `Int8Matrix`): a quarter of
    /// float32's bytes. Every CPU runs it (the scalar kernel at worst), with the same bits on every kernel path.
    case int8

    /// What the commands and the daemon use unless told otherwise: int8 passes the quality guard on the shipped
    /// model (held-out loss within +0.3% of float32 in every domain; see the README's "Precision").
    package static let standard = InferencePrecision.int8
}

/// A weight matrix in the reduced precision that small-batch products use.
enum PackedWeights: Sendable {
    case half(HalfMatrix)
    case int8(Int8Matrix)

    init?(_ values: UnsafePointer<Float>, rows: Int, columns: Int, precision: InferencePrecision) {
        switch precision {
        case .half: self = .half(HalfMatrix(values, rows: rows, columns: columns)!)
        case .int8: self = .int8(Int8Matrix(values, rows: rows, columns: columns))
        case .single, .automatic: return nil
        }
    }

    /// The int8 matrix, when these are int8 weights.
    var int8: Int8Matrix? {
        if case .int8(let m) = self { m } else { nil }
    }

    var byteCount: Int {
        switch self {
        case .half(let m): m.rows * m.columns * 2
        case .int8(let m): m.byteCount
        }
    }

    /// y (R × rows, stride ldy) += x (R × columns, stride ldx) · Wᵀ.
    @inline(__always)
    func multiplyAdd(
        _ x: UnsafePointer<Float>, ldx: Int, count r: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
        scratch: QuantizedInputs
    ) {
        switch self {
        case .half(let m): m.multiplyAdd(x, ldx: ldx, count: r, into: y, ldy: ldy)
        case .int8(let m): m.multiplyAdd(x, ldx: ldx, count: r, into: y, ldy: ldy, scratch: scratch)
        }
    }
}

/// Read-only, precomputed inference weights. Shared freely between tasks; each caller brings its own
/// `Predictor` for scratch space.
///
/// Layer 0's input projection is a table lookup: `inputTable` (V, G·H) = embedding · W_ih0ᵀ + b_ih0,
/// computed once here, so a step never multiplies by the embedding.
package final class InferenceEngine: Sendable {
    package let model: LanguageModel<Float>
    package var config: ModelConfig { model.config }
    let inputTable: [Float]  // (V, G·H)
    /// Reduced-precision copies for small-batch products: W_hh per layer, W_ih per layer (nil for layer 0), the
    /// head. Empty when products run in single precision.
    let packedHH: [PackedWeights]
    let packedIH: [PackedWeights?]
    let packedHead: PackedWeights?
    func packedHiddenWeights(layer k: Int) -> PackedWeights? { k < packedHH.count ? packedHH[k] : nil }
    func packedInputWeights(layer k: Int) -> PackedWeights? { k < packedIH.count ? packedIH[k] : nil }

    /// The precision the products run in: never `.automatic`, and `.single` where the CPU lacks what was asked.
    package let precision: InferencePrecision

    /// Whether each row of a batched step is computed alone, bit-identical to a single-row step (true for the
    /// half and int8 kernels; BLAS may block a batch differently).
    package var rowsAreIndependent: Bool { packedHead != nil }

    /// What the products run on, for status lines and benchmarks: "int8 (avx512-vnni)", "float16 (avx2-f16c)"
    /// or "float32 (BLAS)".
    package var kernelDescription: String {
        switch precision {
        case .int8: "int8 (\(Int8KernelPath.best))"
        case .half: "float16 (avx2-f16c)"
        case .single, .automatic: "float32 (BLAS)"
        }
    }

    /// Bytes of the reduced-precision weight copies.
    package var packedByteCount: Int {
        (packedHH + packedIH.compactMap { $0 } + [packedHead].compactMap { $0 }).reduce(0) { $0 + $1.byteCount }
    }

    package init(model: LanguageModel<Float>, precision requested: InferencePrecision = .automatic) {
        self.model = model
        let c = model.config, L = model.layout.layers[0]
        let gh = c.gateWidth
        var table = [Float](repeating: 0, count: c.vocab * gh)
        model.parameters.withUnsafeBufferPointer { p in
            table.withUnsafeMutableBufferPointer { t in
                for v in 0..<c.vocab {
                    (t.baseAddress! + v * gh).update(from: p.baseAddress! + L.biasIH, count: gh)
                }
                Float.gemm(
                    transA: false, transB: true, m: c.vocab, n: gh, k: c.embedding, alpha: 1,
                    a: p.baseAddress! + model.layout.embedding, lda: c.embedding,
                    b: p.baseAddress! + L.weightIH, ldb: c.embedding, beta: 1, c: t.baseAddress!, ldc: gh)
            }
        }
        inputTable = table
        let precision: InferencePrecision
        switch requested {
        case .single: precision = .single
        case .int8: precision = .int8
        case .half: precision = HalfMatrix.isSupported ? .half : .single
        case .automatic:
            precision =
                HalfMatrix.isSupported && HalfMatrix.isExactlyRepresentable(model.parameters) ? .half : .single
        }
        self.precision = precision
        if precision != .single {
            let layout = model.layout
            (packedHH, packedIH, packedHead) = model.parameters.withUnsafeBufferPointer { pp in
                let p = pp.baseAddress!
                let hh = layout.layers.map {
                    PackedWeights(p + $0.weightHH, rows: gh, columns: c.hidden, precision: precision)!
                }
                let ih = layout.layers.enumerated().map { k, l in
                    k == 0 ? nil : PackedWeights(p + l.weightIH, rows: gh, columns: c.hidden, precision: precision)
                }
                let head = PackedWeights(p + layout.headWeight, rows: c.vocab, columns: c.hidden, precision: precision)
                return (hh, ih, head)
            }
        } else {
            (packedHH, packedIH, packedHead) = ([], [], nil)
        }
    }
}

/// Advances hidden states and computes next-byte distributions. Owns scratch buffers sized on demand,
/// so it belongs to one task at a time; make one per task from a shared `InferenceEngine`.
package final class Predictor {
    package let engine: InferenceEngine
    package var config: ModelConfig { engine.config }
    /// Bytes a priming chunk covers: bounds scratch memory for long spans.
    package static let chunk = 256
    /// Up to this many rows, products use the reduced-precision copies when the engine has them; BLAS beyond
    /// (except int8 priming, which keeps to the int8 weights so that a primed state equals a stepped one).
    static let packedRowLimit = 32

    private var gates: Buffer<Float>  // (rows, G·H)
    private var hiddenProj: Buffer<Float>  // (rows, G·H)
    private var tempA: Buffer<Float>  // (rows, H)
    private var tempB: Buffer<Float>  // (rows, H)
    private var layerOut: Buffer<Float>  // (rows, H) span outputs of the current layer
    private var scoreRows: Buffer<Float>  // (rows, H) top-layer h before each byte, when scoring
    private var logits: Buffer<Float>  // (rows, V)
    private var scratchV: Buffer<Float>  // (V)
    private let quantized = QuantizedInputs()
    private var capacity = 0
    /// Per-layer scratch for pipelined priming (see `advanceLayersPipelined`), made on first use.
    private var pipeline: [LayerScratch] = []
    private let progress: ThreadPool.Progress
    private var overlap: ThreadPool.Progress?

    /// What one layer's thread needs for itself when a step or a span runs its layers on several threads.
    private final class LayerScratch {
        let gates: Buffer<Float>  // (G·H)
        let hiddenProjection: Buffer<Float>  // (G·H)
        let temp: Buffer<Float>  // (H)
        let quantized = QuantizedInputs()
        private let config: ModelConfig
        /// For pipelined priming only, made on first use (a daemon that only steps never needs them):
        /// this layer's outputs, which the layer above reads, and its input projections, filled by two threads.
        private(set) lazy var output = Buffer<Float>(count: Predictor.chunk * config.hidden)  // (chunk, H)
        private(set) lazy var inputGates = Buffer<Float>(count: Predictor.chunk * config.gateWidth)  // (chunk, G·H)

        init(config: ModelConfig) {
            self.config = config
            gates = Buffer(count: config.gateWidth)
            hiddenProjection = Buffer(count: config.gateWidth)
            temp = Buffer(count: config.hidden)
        }

        /// Makes the priming buffers now, on the calling thread, before the threads read them.
        func preparePriming() {
            _ = output
            _ = inputGates
        }
    }

    package init(engine: InferenceEngine) {
        self.engine = engine
        gates = Buffer(count: 0)
        hiddenProj = Buffer(count: 0)
        tempA = Buffer(count: 0)
        tempB = Buffer(count: 0)
        layerOut = Buffer(count: 0)
        scoreRows = Buffer(count: 0)
        logits = Buffer(count: 0)
        scratchV = Buffer(count: engine.config.vocab)
        progress = ThreadPool.Progress(count: engine.config.layers)
        // Scratch grows on demand: a predictor that only steps single rows (the daemon's) stays small.
        reserve(rows: 1)
    }

    private func reserve(rows: Int) {
        guard rows > capacity else { return }
        let c = config
        gates = Buffer(count: rows * c.gateWidth)
        hiddenProj = Buffer(count: rows * c.gateWidth)
        tempA = Buffer(count: rows * c.hidden)
        tempB = Buffer(count: rows * c.hidden)
        layerOut = Buffer(count: rows * c.hidden)
        scoreRows = Buffer(count: rows * c.hidden)
        logits = Buffer(count: rows * c.vocab)
        capacity = rows
    }

    // MARK: One step for a batch of rows

    /// Advances each row of `state` by its byte: one matrix product per projection per layer for all rows.
    package func step(_ state: inout RecurrentState, bytes: [UInt8]) {
        precondition(bytes.count == state.rows)
        reserve(rows: state.rows)
        let c = config, R = state.rows, H = c.hidden, GH = c.gateWidth
        let offsets = Self.offsets(of: state)
        engine.model.parameters.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            engine.inputTable.withUnsafeBufferPointer { table in
                state.values.withUnsafeMutableBufferPointer { sv in
                    let s = sv.baseAddress!
                    if R == 1, engine.precision == .int8, c.layers > 1, ThreadPool.threads > 1 {
                        stepLayersOverlapped(
                            byte: bytes[0], p: p, table: table.baseAddress!, state: s, offsets: offsets)
                        return
                    }
                    for k in 0..<c.layers {
                        let L = engine.model.layout.layers[k]
                        let a = gates.pointer
                        if k == 0 {
                            for r in 0..<R {
                                (a + r * GH).update(from: table.baseAddress! + Int(bytes[r]) * GH, count: GH)
                            }
                        } else {
                            let below = UnsafePointer(s + offsets[k - 1].h)
                            project(
                                rows: R, input: below, width: H, weight: p + L.weightIH,
                                packed: engine.packedInputWeights(layer: k),
                                bias: p + L.biasIH, out: a)
                        }
                        let h = s + offsets[k].h
                        project(
                            rows: R, input: h, width: H, weight: p + L.weightHH,
                            packed: engine.packedHiddenWeights(layer: k),
                            bias: p + L.biasHH, out: hiddenProj.pointer)
                        pointwise(rows: R, a: a, hp: hiddenProj.pointer, hPrev: h, cState: s + offsets[k].c, hOut: h)
                    }
                }
            }
        }
    }

    /// out (R, G·H) = input (R, width) · Wᵀ + bias, as GEMV when R is 1.
    @inline(__always)
    private func project(
        rows R: Int, input: UnsafePointer<Float>, width: Int, weight: UnsafePointer<Float>, packed: PackedWeights?,
        bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        let GH = config.gateWidth
        for r in 0..<R { (out + r * GH).update(from: bias, count: GH) }
        if let packed, R <= Self.packedRowLimit || engine.precision == .int8 {
            packed.multiplyAdd(input, ldx: width, count: R, into: out, ldy: GH, scratch: quantized)
        } else if R == 1 {
            Float.gemv(trans: false, m: GH, n: width, alpha: 1, a: weight, lda: width, x: input, beta: 1, y: out)
        } else {
            Float.gemm(
                transA: false, transB: true, m: R, n: GH, k: width, alpha: 1, a: input, lda: width, b: weight,
                ldb: width, beta: 1, c: out, ldc: GH)
        }
    }

    /// Runs the cell's pointwise part for layer k, updating c in the state and writing h to `hOut`.
    @inline(__always)
    private func pointwise(
        rows R: Int, a: UnsafeMutablePointer<Float>, hp: UnsafeMutablePointer<Float>,
        hPrev: UnsafeMutablePointer<Float>,
        cState: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>? = nil
    ) {
        let H = config.hidden
        let temp = temp ?? tempA.pointer
        switch config.cell {
        case .lstm:
            CellMath.lstmForward(
                rows: R, hidden: H, a: a, hp: hp, cPrev: cState, cOut: cState, tanhC: temp, hOut: hOut)
        case .gru:
            CellMath.gruForward(rows: R, hidden: H, a: a, hp: hp, hPrev: hPrev, hn: temp, hOut: hOut)
        case .rnn:
            CellMath.rnnForward(rows: R, hidden: H, a: a, hp: hp, hOut: hOut)
        }
    }

    // MARK: Spans

    /// Advances a single-sequence state through `bytes`, layer by layer in chunks: each layer's input
    /// projection for a chunk is one GEMM (a table lookup for layer 0) and only the recurrence is sequential.
    ///
    /// With `logProbabilities`, also appends log P(byte_i | everything before it) for each byte, which is how
    /// files are scored with full state carried.
    package func advance(
        _ state: inout RecurrentState, through bytes: some Collection<UInt8>,
        logProbabilities: UnsafeMutablePointer<Float>? = nil
    ) {
        precondition(state.rows == 1)
        let all = Array(bytes)
        var start = 0
        while start < all.count {
            let end = min(start + Self.chunk, all.count)
            advanceChunk(&state, all[start..<end], logProbabilities: logProbabilities.map { $0 + start })
            start = end
        }
    }

    private func advanceChunk(
        _ state: inout RecurrentState, _ bytes: ArraySlice<UInt8>, logProbabilities: UnsafeMutablePointer<Float>?
    ) {
        reserve(rows: bytes.count)
        let c = config, T = bytes.count, H = c.hidden, GH = c.gateWidth, V = c.vocab
        let offsets = Self.offsets(of: state)
        // Scoring needs the top layer's h before each byte: the state's own, then each output but the last.
        if logProbabilities != nil {
            let top = state.topHidden()
            top.withUnsafeBufferPointer { scoreRows.pointer.update(from: $0.baseAddress!, count: H) }
        }
        engine.model.parameters.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            engine.inputTable.withUnsafeBufferPointer { table in
                state.values.withUnsafeMutableBufferPointer { sv in
                    let s = sv.baseAddress!
                    let out = layerOut.pointer  // (T, H)
                    // Spans of fewer bytes than this prime on one thread: the hand-overs would cost more.
                    if engine.precision == .int8, c.layers > 1, ThreadPool.threads > 1, T >= 128 {
                        advanceLayersPipelined(bytes, p: p, table: table.baseAddress!, state: s, offsets: offsets)
                        return
                    }
                    for k in 0..<c.layers {
                        let L = engine.model.layout.layers[k]
                        let a = gates.pointer  // (T, G·H)
                        if k == 0 {
                            for (t, byte) in bytes.enumerated() {
                                (a + t * GH).update(from: table.baseAddress! + Int(byte) * GH, count: GH)
                            }
                        } else if engine.precision == .int8 {
                            project(
                                rows: T, input: out, width: H, weight: p + L.weightIH,
                                packed: engine.packedInputWeights(layer: k), bias: p + L.biasIH, out: a)
                        } else {
                            for t in 0..<T { (a + t * GH).update(from: p + L.biasIH, count: GH) }
                            Float.gemm(
                                transA: false, transB: true, m: T, n: GH, k: H, alpha: 1, a: out, lda: H,
                                b: p + L.weightIH, ldb: H, beta: 1, c: a, ldc: GH)
                        }
                        let h = s + offsets[k].h
                        let hp = hiddenProj.pointer
                        for t in 0..<T {
                            project(
                                rows: 1, input: h, width: H, weight: p + L.weightHH,
                                packed: engine.packedHiddenWeights(layer: k),
                                bias: p + L.biasHH, out: hp)
                            pointwise(rows: 1, a: a + t * GH, hp: hp, hPrev: h, cState: s + offsets[k].c, hOut: h)
                            (out + t * H).update(from: h, count: H)
                        }
                    }
                }
            }
        }
        guard let logProbabilities else { return }
        // Rows: [previous top h, out_0, ..., out_{T-2}] → logits (T, V) in one GEMM.
        let rowsH = scoreRows  // (T, H)
        for t in stride(from: T - 1, through: 1, by: -1) {
            (rowsH.pointer + t * H).update(from: layerOut.pointer + (t - 1) * H, count: H)
        }
        let lg = logits.pointer
        engine.model.parameters.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            for t in 0..<T { (lg + t * V).update(from: p + engine.model.layout.headBias, count: V) }
            if engine.precision == .int8, let packed = engine.packedHead {
                packed.multiplyAdd(rowsH.pointer, ldx: H, count: T, into: lg, ldy: V, scratch: quantized)
            } else {
                Float.gemm(
                    transA: false, transB: true, m: T, n: V, k: H, alpha: 1, a: rowsH.pointer, lda: H,
                    b: p + engine.model.layout.headWeight, ldb: H, beta: 1, c: lg, ldc: V)
            }
        }
        Softmax.logSoftmax(lg, into: lg, rows: T, width: V, scratch: scratchV.pointer)
        for (t, byte) in bytes.enumerated() { logProbabilities[t] = lg[t * V + Int(byte)] }
    }

    /// Int8 priming on several threads: layer k runs on thread k (the caller runs layer 0), as a wavefront one step
    /// behind the layer below, each layer with its own scratch, so that each core streams its own share of the
    /// weights from its own L2 and the threads meet once per step instead of once per product. Layer k + 1's input
    /// projection is split between the two threads by rows (the lower rows right after layer k's step, on its
    /// thread), so that each core does about one and a half products per byte. The operations are those of one
    /// thread (int8 rows are computed alone, so a row at a time gives the bits a batch does): the same state and
    /// outputs. The top layer's outputs go to `layerOut`, as scoring expects.
    private func advanceLayersPipelined(
        _ bytes: ArraySlice<UInt8>, p: UnsafePointer<Float>, table: UnsafePointer<Float>,
        state s: UnsafeMutablePointer<Float>, offsets: [(h: Int, c: Int)]
    ) {
        let c = config, T = bytes.count, H = c.hidden, GH = c.gateWidth, top = c.layers - 1
        while pipeline.count < c.layers { pipeline.append(LayerScratch(config: c)) }
        for scratch in pipeline { scratch.preparePriming() }
        let split = GH / 2 / Int8Matrix.rowBlock * Int8Matrix.rowBlock
        progress.reset()
        let first = bytes.startIndex
        let layout = engine.model.layout
        ThreadPool.run(parts: c.layers) { k in
            let scratch = pipeline[k]
            let h = s + offsets[k].h
            let out = k == top ? layerOut.pointer : scratch.output.pointer
            let hp = scratch.hiddenProjection.pointer
            guard let hh = engine.packedHiddenWeights(layer: k)?.int8 else { return }
            let ih = engine.packedInputWeights(layer: k)?.int8
            let ihAbove = k == top ? nil : engine.packedInputWeights(layer: k + 1)?.int8
            for t in 0..<T {
                let a: UnsafeMutablePointer<Float>
                if k == 0 {
                    a = scratch.gates.pointer
                    a.update(from: table + Int(bytes[first + t]) * GH, count: GH)
                } else {
                    progress.wait(k - 1, t + 1)
                    a = scratch.inputGates.pointer + t * GH
                    (a + split).update(from: p + layout.layers[k].biasIH + split, count: GH - split)
                    ih!.multiplyAdd(
                        rows: split..<GH, pipeline[k - 1].output.pointer + t * H, into: a, scratch: scratch.quantized)
                }
                hp.update(from: p + layout.layers[k].biasHH, count: GH)
                hh.multiplyAdd(h, ldx: H, count: 1, into: hp, ldy: GH, scratch: scratch.quantized)
                pointwise(
                    rows: 1, a: a, hp: hp, hPrev: h, cState: s + offsets[k].c, hOut: h, temp: scratch.temp.pointer)
                (out + t * H).update(from: h, count: H)
                if let ihAbove {
                    let b = pipeline[k + 1].inputGates.pointer + t * GH
                    b.update(from: p + layout.layers[k + 1].biasIH, count: split)
                    ihAbove.multiplyAdd(rows: 0..<split, out + t * H, into: b, scratch: scratch.quantized)
                }
                progress.store(k, t + 1)
            }
        }
    }

    /// One int8 step of one row on two threads. The caller runs the chain (layer 0, then each layer's cell); the
    /// other thread computes what does not wait for the layer below: each upper layer's W_hh product (from that
    /// layer's previous h), then, as each layer's new h appears, the lower rows of the next layer's input
    /// projection. Each such task is taken by whichever thread gets to it first (the caller never waits for a task
    /// nobody has taken, so a worker that is parked or descheduled costs nothing but the overlap). The products are
    /// those of one thread, row for row: the same bits.
    private func stepLayersOverlapped(
        byte: UInt8, p: UnsafePointer<Float>, table: UnsafePointer<Float>, state s: UnsafeMutablePointer<Float>,
        offsets: [(h: Int, c: Int)]
    ) {
        let c = config, H = c.hidden, GH = c.gateWidth, layers = c.layers
        while pipeline.count < layers { pipeline.append(LayerScratch(config: c)) }
        let split = GH / 2 / Int8Matrix.rowBlock * Int8Matrix.rowBlock
        let layout = engine.model.layout
        // Counters: 0 the chain (layers whose new h is out); k the W_hh task of layer k; layers + k the lower input
        // rows of layer k (tasks: 0 free, 1 taken, 2 done).
        let tasks = overlapTasks(count: 2 * layers)
        tasks.reset()
        func hiddenProduct(_ k: Int) {
            let hp = pipeline[k].hiddenProjection.pointer
            hp.update(from: p + layout.layers[k].biasHH, count: GH)
            engine.packedHiddenWeights(layer: k)!.int8!.multiplyAdd(
                s + offsets[k].h, ldx: H, count: 1, into: hp, ldy: GH, scratch: pipeline[k].quantized)
        }
        func inputRows(_ k: Int, _ rows: Range<Int>, scratch: QuantizedInputs) {
            let a = pipeline[k].gates.pointer
            (a + rows.lowerBound).update(from: p + layout.layers[k].biasIH + rows.lowerBound, count: rows.count)
            engine.packedInputWeights(layer: k)!.int8!.multiplyAdd(
                rows: rows, s + offsets[k - 1].h, into: a, scratch: scratch)
        }
        ThreadPool.run(parts: 2) { part in
            if part == 1 {
                for k in 1..<layers { tasks.runIfFree(k) { hiddenProduct(k) } }
                for k in 1..<layers {
                    tasks.wait(0, k)
                    tasks.runIfFree(layers + k) { inputRows(k, split..<GH, scratch: pipeline[k - 1].quantized) }
                }
                return
            }
            for k in 0..<layers {
                let a = pipeline[k].gates.pointer
                if k == 0 {
                    a.update(from: table + Int(byte) * GH, count: GH)
                    hiddenProduct(0)
                } else {
                    inputRows(k, 0..<split, scratch: quantized)
                    tasks.runOnce(layers + k) { inputRows(k, split..<GH, scratch: quantized) }
                    tasks.runOnce(k) { hiddenProduct(k) }
                }
                let h = s + offsets[k].h
                pointwise(
                    rows: 1, a: a, hp: pipeline[k].hiddenProjection.pointer, hPrev: h, cState: s + offsets[k].c,
                    hOut: h, temp: pipeline[k].temp.pointer)
                tasks.store(0, k + 1)
            }
        }
    }

    /// The counters of `stepLayersOverlapped`, made once.
    private func overlapTasks(count: Int) -> ThreadPool.Progress {
        if let overlap, overlap.count >= count { return overlap }
        let made = ThreadPool.Progress(count: count)
        overlap = made
        return made
    }

    /// Offsets of each layer's h and c blocks (c is h's when the cell has none; it is then unused).
    private static func offsets(of state: RecurrentState) -> [(h: Int, c: Int)] {
        (0..<state.config.layers).map { k in
            (state.offset(layer: k, part: 0), state.offset(layer: k, part: state.config.cell.hasCellState ? 1 : 0))
        }
    }

    // MARK: Distributions

    /// Log-probabilities of the next byte for every row: (rows, V), valid until the next call.
    package func logProbabilities(_ state: RecurrentState) -> UnsafeBufferPointer<Float> {
        let lg = UnsafeMutablePointer(mutating: logits(state).baseAddress!)
        Softmax.logSoftmax(lg, into: lg, rows: state.rows, width: config.vocab, scratch: scratchV.pointer)
        return UnsafeBufferPointer(start: lg, count: state.rows * config.vocab)
    }

    /// The head's raw outputs for every row: (rows, V), valid until the next call.
    package func logits(_ state: RecurrentState) -> UnsafeBufferPointer<Float> {
        reserve(rows: state.rows)
        let c = config, R = state.rows, H = c.hidden, V = c.vocab
        let lg = logits.pointer
        engine.model.parameters.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            state.values.withUnsafeBufferPointer { sv in
                let top = sv.baseAddress! + state.offset(layer: c.layers - 1, part: 0)
                for r in 0..<R { (lg + r * V).update(from: p + engine.model.layout.headBias, count: V) }
                if let packed = engine.packedHead, R <= Self.packedRowLimit {
                    packed.multiplyAdd(top, ldx: H, count: R, into: lg, ldy: V, scratch: quantized)
                } else if R == 1 {
                    Float.gemv(
                        trans: false, m: V, n: H, alpha: 1, a: p + engine.model.layout.headWeight, lda: H, x: top,
                        beta: 1, y: lg)
                } else {
                    Float.gemm(
                        transA: false, transB: true, m: R, n: V, k: H, alpha: 1, a: top, lda: H,
                        b: p + engine.model.layout.headWeight, ldb: H, beta: 1, c: lg, ldc: V)
                }
            }
        }
        return UnsafeBufferPointer(start: lg, count: R * V)
    }
}

extension Predictor {
    /// Total negative log-likelihood (nats) of `bytes` read as one stream from the zero state, with the state
    /// carried through the whole text. Memory stays bounded: the text is scored in chunks.
    package func negativeLogLikelihood(of bytes: [UInt8]) -> Double {
        var state = RecurrentState(config: config)
        var logp = [Float](repeating: 0, count: Self.chunk)
        var total = 0.0
        var start = 0
        while start < bytes.count {
            let end = min(start + Self.chunk, bytes.count)
            logp.withUnsafeMutableBufferPointer {
                advance(&state, through: bytes[start..<end], logProbabilities: $0.baseAddress!)
            }
            for i in 0..<(end - start) { total -= Double(logp[i]) }
            start = end
        }
        return total
    }
}

extension Predictor {
    /// Total negative log-likelihood (nats) of `bytes` when each byte is predicted from the state the window rule
    /// allows (see `ContextWindow`), rather than from the whole text before it: what a daemon using that window
    /// predicts. Each block of `interval` bytes is scored after a warm-up over the block before it.
    package func negativeLogLikelihood(of bytes: [UInt8], window: ContextWindow) -> Double {
        let R = window.interval
        var total = 0.0
        var logp = [Float](repeating: 0, count: R)
        var blockStart = 0
        while blockStart < bytes.count {
            let blockEnd = min(blockStart + R, bytes.count)
            // The first block's bytes use chain 0 for q < 2R, so the first two blocks share one chain.
            var state = RecurrentState(config: config)
            let warmStart = window.resetPoint(blockStart)
            advance(&state, through: bytes[warmStart..<blockStart])
            logp.withUnsafeMutableBufferPointer {
                advance(&state, through: bytes[blockStart..<blockEnd], logProbabilities: $0.baseAddress!)
            }
            for i in 0..<(blockEnd - blockStart) { total -= Double(logp[i]) }
            blockStart = blockEnd
        }
        return total
    }
}
