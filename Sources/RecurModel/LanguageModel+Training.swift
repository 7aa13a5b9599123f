import RecurKernels

// Symbols: B batch, T time steps, H hidden, E embedding, V vocabulary (256), G gates, N = T·B rows.
// Rows are time-major inside the workspace (row t·B + b) so each step's B rows are contiguous.

/// A batch of B sequences of T bytes each, with the byte that follows each position as target.
package struct SequenceBatch: Sendable {
    package var batch: Int
    package var steps: Int
    /// (B, T) batch-major inputs.
    package var inputs: [UInt8]
    /// (B, T) batch-major targets.
    package var targets: [UInt8]

    package init(batch: Int, steps: Int, inputs: [UInt8], targets: [UInt8]) {
        precondition(inputs.count == batch * steps && targets.count == batch * steps)
        self.batch = batch
        self.steps = steps
        self.inputs = inputs
        self.targets = targets
    }
}

/// Activations and gradient scratch for one (B, T) shape, allocated once and reused every step.
package final class TrainingWorkspace<S: KernelScalar> {
    package let config: ModelConfig
    package let batch: Int
    package let steps: Int

    final class LayerCache {
        let input: Buffer<S>  // (N, in) the layer's input, after dropout
        let gates: Buffer<S>  // (N, G·H) activated gates
        let output: Buffer<S>  // (N, H)
        let cell: Buffer<S>?  // (N, H) LSTM c
        let aux: Buffer<S>?  // (N, H) LSTM tanh(c) or GRU hp_n
        let dropMask: Buffer<S>?  // (N, in) scaled keep mask applied to the input

        init(rows n: Int, inputWidth: Int, config: ModelConfig, dropout: Bool) {
            input = Buffer(count: n * inputWidth)
            gates = Buffer(count: n * config.gateWidth)
            output = Buffer(count: n * config.hidden)
            cell = config.cell == .lstm ? Buffer(count: n * config.hidden) : nil
            aux = config.cell == .rnn ? nil : Buffer(count: n * config.hidden)
            dropMask = dropout ? Buffer(count: n * inputWidth) : nil
        }
    }

    let layers: [LayerCache]
    /// With output dropout: the top layer's output after its mask (N, H), what the head reads, and the mask.
    let headInput: Buffer<S>?
    let headMask: Buffer<S>?
    /// W_hhᵀ (H, G·H) per layer, transposed once per forward pass so that each step's product reads the weights
    /// in the order the small-batch kernels want, without packing them at every step.
    let transposedHH: [Buffer<S>]
    let hiddenProjection: Buffer<S>  // (B, G·H)
    let logProbs: Buffer<S>  // (N, V)
    let rowScratch: Buffer<S>  // (V)
    // Backward scratch.
    let dOutput: Buffer<S>  // (N, H) gradient reaching the current layer's output
    let dInput: Buffer<S>  // (N, max(E, H)) gradient leaving the current layer's input
    let dA: Buffer<S>  // (N, G·H) input-side pre-activation gradients
    let dAh: Buffer<S>  // (N, G·H) hidden-side (GRU only differs)
    let dh: Buffer<S>  // (B, H)
    let dhNext: Buffer<S>  // (B, H)
    let dcNext: Buffer<S>  // (B, H)

    /// `outputDropout`: room for a dropout mask on the top layer's output, which training with
    /// `loss(outputDropout:)` above zero needs.
    package init(config: ModelConfig, batch: Int, steps: Int, outputDropout: Bool = false) {
        self.config = config
        self.batch = batch
        self.steps = steps
        let n = batch * steps
        layers = (0..<config.layers).map { k in
            LayerCache(rows: n, inputWidth: config.inputWidth(ofLayer: k), config: config, dropout: k > 0)
        }
        headInput = outputDropout ? Buffer(count: n * config.hidden) : nil
        headMask = outputDropout ? Buffer(count: n * config.hidden) : nil
        transposedHH = (0..<config.layers).map { _ in Buffer(count: config.hidden * config.gateWidth) }
        hiddenProjection = Buffer(count: batch * config.gateWidth)
        logProbs = Buffer(count: n * config.vocab)
        rowScratch = Buffer(count: config.vocab)
        dOutput = Buffer(count: n * config.hidden)
        dInput = Buffer(count: n * max(config.embedding, config.hidden))
        dA = Buffer(count: n * config.gateWidth)
        dAh = Buffer(count: n * config.gateWidth)
        dh = Buffer(count: batch * config.hidden)
        dhNext = Buffer(count: batch * config.hidden)
        dcNext = Buffer(count: batch * config.hidden)
    }
}

extension LanguageModel {
    /// Mean cross-entropy (nats) over all B·T positions, from a zero initial state.
    ///
    /// When `gradients` is given, the gradient of that loss is *added* into it (caller zeroes it).
    /// `dropout` is applied between layers, as `nn.LSTM(dropout:)` does; `outputDropout` to the top layer's
    /// output where the head reads it (not where the recurrence does), as char-rnn and Zaremba et al. (2014) do.
    /// Their masks come from `rng`, between-layer masks first.
    package func loss(
        on batch: SequenceBatch, workspace ws: TrainingWorkspace<S>, gradients: UnsafeMutablePointer<S>? = nil,
        dropout: Double = 0, outputDropout: Double = 0, rng: inout SeededGenerator,
        initialState: UnsafePointer<S>? = nil, finalState: UnsafeMutablePointer<S>? = nil
    ) -> S {
        computeLoss(
            on: batch, workspace: ws, gradients: gradients, dropout: dropout, outputDropout: outputDropout, rng: &rng,
            initialState: initialState, finalState: finalState)
    }

    /// `initialState`, when given, is where the sequences start instead of zero: B rows laid out as a
    /// `RecurrentState`'s values (block (layer k, part p) at (k·parts + p)·B·H). The gradient stops there
    /// (truncated backpropagation through time). `finalState`, when given, receives the state after the last byte
    /// in the same layout.
    func computeLoss(
        on batch: SequenceBatch, workspace ws: TrainingWorkspace<S>, gradients: UnsafeMutablePointer<S>?,
        dropout: Double, outputDropout: Double, rng: inout SeededGenerator, initialState: UnsafePointer<S>? = nil,
        finalState: UnsafeMutablePointer<S>? = nil
    ) -> S {
        precondition(ws.batch == batch.batch && ws.steps == batch.steps && ws.config == config)
        precondition(outputDropout == 0 || ws.headMask != nil, "the workspace has no room for output dropout")
        return parameters.withUnsafeBufferPointer { p in
            let params = p.baseAddress!
            forward(
                batch: batch, params: params, ws: ws, dropout: dropout, outputDropout: outputDropout, rng: &rng,
                initial: initialState)
            if let finalState { copyFinalState(batch: batch, ws: ws, into: finalState) }
            let loss = crossEntropy(batch: batch, ws: ws, prepareGradient: gradients != nil)
            if let gradients {
                backward(
                    batch: batch, params: params, grads: gradients, ws: ws, outputDropout: outputDropout,
                    initial: initialState)
            }
            return loss
        }
    }

    /// Layer k's part p (0: h, 1: c) of a state of `rows` rows laid out as a `RecurrentState`'s values.
    private func stateBlock(_ state: UnsafePointer<S>?, layer k: Int, part p: Int, rows: Int) -> UnsafePointer<S>? {
        state.map { $0 + (k * (config.cell.hasCellState ? 2 : 1) + p) * rows * config.hidden }
    }

    private func copyFinalState(batch: SequenceBatch, ws: TrainingWorkspace<S>, into out: UnsafeMutablePointer<S>) {
        let B = batch.batch, T = batch.steps, H = config.hidden
        let parts = config.cell.hasCellState ? 2 : 1
        for k in 0..<config.layers {
            let cache = ws.layers[k]
            (out + (k * parts) * B * H).update(from: cache.output.pointer + (T - 1) * B * H, count: B * H)
            if parts == 2 {
                (out + (k * parts + 1) * B * H).update(from: cache.cell!.pointer + (T - 1) * B * H, count: B * H)
            }
        }
    }

    /// Convenience for tests: loss and a fresh gradient array.
    package func lossAndGradients(
        on batch: SequenceBatch, dropout: Double = 0, outputDropout: Double = 0, seed: UInt64 = 0
    ) -> (loss: S, gradients: [S]) {
        let ws = TrainingWorkspace<S>(
            config: config, batch: batch.batch, steps: batch.steps, outputDropout: outputDropout > 0)
        var grads = [S](repeating: 0, count: parameters.count)
        var rng = SeededGenerator(seed: seed)
        let loss = grads.withUnsafeMutableBufferPointer { g in
            self.loss(
                on: batch, workspace: ws, gradients: g.baseAddress!, dropout: dropout, outputDropout: outputDropout,
                rng: &rng)
        }
        return (loss, grads)
    }

    /// Per-position log-probabilities (N = T·B rows, time-major) left by the last call to `loss`.
    package func lastLogProbabilities(_ ws: TrainingWorkspace<S>, batchIndex b: Int, step t: Int) -> [S] {
        let row = ws.logProbs.pointer + (t * ws.batch + b) * config.vocab
        return Array(UnsafeBufferPointer(start: row, count: config.vocab))
    }

    // MARK: Forward

    private func forward(
        batch: SequenceBatch, params: UnsafePointer<S>, ws: TrainingWorkspace<S>, dropout: Double,
        outputDropout: Double, rng: inout SeededGenerator, initial: UnsafePointer<S>?
    ) {
        let B = batch.batch, T = batch.steps, H = config.hidden, E = config.embedding
        let GH = config.gateWidth, N = B * T
        // Layer 0's input: embedding rows, time-major.
        let x0 = ws.layers[0].input.pointer  // (N, E)
        for b in 0..<B {
            for t in 0..<T {
                let byte = Int(batch.inputs[b * T + t])
                (x0 + (t * B + b) * E).update(from: params + layout.embedding + byte * E, count: E)
            }
        }
        for k in 0..<config.layers {
            let cache = ws.layers[k]
            let inW = config.inputWidth(ofLayer: k)
            if k > 0 {
                let below = ws.layers[k - 1].output.pointer
                let x = cache.input.pointer
                if let mask = cache.dropMask, dropout > 0 {
                    Self.drop(below, into: x, mask: mask.pointer, count: N * inW, rate: dropout, rng: &rng)
                } else {
                    cache.dropMask?.pointer.update(repeating: 1, count: N * inW)
                    x.update(from: below, count: N * inW)
                }
            }
            let L = layout.layers[k]
            let a = cache.gates.pointer  // (N, G·H)
            for r in 0..<N { (a + r * GH).update(from: params + L.biasIH, count: GH) }
            S.gemm(
                transA: false, transB: true, m: N, n: GH, k: inW, alpha: 1, a: cache.input.pointer, lda: inW,
                b: params + L.weightIH, ldb: inW, beta: 1, c: a, ldc: GH)
            let hp = ws.hiddenProjection.pointer
            let whhT = ws.transposedHH[k].pointer  // (H, G·H)
            for g in 0..<GH {
                for j in 0..<H { whhT[j * GH + g] = params[L.weightHH + g * H + j] }
            }
            for t in 0..<T {
                for r in 0..<B { (hp + r * GH).update(from: params + L.biasHH, count: GH) }
                let hPrev: UnsafePointer<S>? =
                    t > 0
                    ? UnsafePointer(cache.output.pointer + (t - 1) * B * H)
                    : stateBlock(initial, layer: k, part: 0, rows: B)
                if let hPrev {
                    S.gemm(
                        transA: false, transB: false, m: B, n: GH, k: H, alpha: 1, a: hPrev, lda: H,
                        b: whhT, ldb: GH, beta: 1, c: hp, ldc: GH)
                }
                let at = a + t * B * GH
                let hOut = cache.output.pointer + t * B * H
                switch config.cell {
                case .lstm:
                    let cPrev: UnsafePointer<S>? =
                        t > 0
                        ? UnsafePointer(cache.cell!.pointer + (t - 1) * B * H)
                        : stateBlock(initial, layer: k, part: 1, rows: B)
                    CellMath.lstmForward(
                        rows: B, hidden: H, a: at, hp: hp, cPrev: cPrev, cOut: cache.cell!.pointer + t * B * H,
                        tanhC: cache.aux!.pointer + t * B * H, hOut: hOut)
                case .gru:
                    CellMath.gruForward(
                        rows: B, hidden: H, a: at, hp: hp, hPrev: hPrev, hn: cache.aux!.pointer + t * B * H,
                        hOut: hOut)
                case .rnn:
                    CellMath.rnnForward(rows: B, hidden: H, a: at, hp: hp, hOut: hOut)
                }
            }
        }
        // Head: logits (N, V) = out · W^T + b, then log-softmax in place.
        let V = config.vocab
        let top = headInput(ws, dropout: outputDropout)
        if outputDropout > 0 {
            let output = ws.layers[config.layers - 1].output.pointer
            Self.drop(output, into: top, mask: ws.headMask!.pointer, count: N * H, rate: outputDropout, rng: &rng)
        }
        let lp = ws.logProbs.pointer
        for r in 0..<N { (lp + r * V).update(from: params + layout.headBias, count: V) }
        S.gemm(
            transA: false, transB: true, m: N, n: V, k: H, alpha: 1, a: top, lda: H, b: params + layout.headWeight,
            ldb: H, beta: 1, c: lp, ldc: V)
        Softmax.logSoftmax(lp, into: lp, rows: N, width: V, scratch: ws.rowScratch.pointer)
    }

    /// Inverted dropout: `x = below · mask`, where each mask entry is 1/(1 − rate) with probability 1 − rate, else 0.
    private static func drop(
        _ below: UnsafePointer<S>, into x: UnsafeMutablePointer<S>, mask: UnsafeMutablePointer<S>, count: Int,
        rate: Double, rng: inout SeededGenerator
    ) {
        let keep = 1 - rate
        let scale = S(1 / keep)
        for i in 0..<count {
            let m: S = rng.nextUnitDouble() < keep ? scale : 0
            mask[i] = m
            x[i] = below[i] * m
        }
    }

    /// What the head reads: the top layer's output, or its masked copy when output dropout is on.
    private func headInput(_ ws: TrainingWorkspace<S>, dropout: Double) -> UnsafeMutablePointer<S> {
        dropout > 0 ? ws.headInput!.pointer : ws.layers[config.layers - 1].output.pointer
    }

    /// Mean negative log-likelihood; with `prepareGradient`, turns `logProbs` into dLoss/dLogits in place.
    private func crossEntropy(batch: SequenceBatch, ws: TrainingWorkspace<S>, prepareGradient: Bool) -> S {
        let B = batch.batch, T = batch.steps, V = config.vocab, N = B * T
        let lp = ws.logProbs.pointer
        var total: S = 0
        for b in 0..<B {
            for t in 0..<T { total -= lp[(t * B + b) * V + Int(batch.targets[b * T + t])] }
        }
        if prepareGradient {
            let scale = 1 / S(N)
            for i in 0..<(N * V) { lp[i] = S.exp(lp[i]) * scale }
            for b in 0..<B {
                for t in 0..<T { lp[(t * B + b) * V + Int(batch.targets[b * T + t])] -= scale }
            }
        }
        return total / S(N)
    }

    // MARK: Backward

    private func backward(
        batch: SequenceBatch, params: UnsafePointer<S>, grads: UnsafeMutablePointer<S>, ws: TrainingWorkspace<S>,
        outputDropout: Double, initial: UnsafePointer<S>?
    ) {
        let B = batch.batch, T = batch.steps, H = config.hidden, E = config.embedding, V = config.vocab
        let GH = config.gateWidth, N = B * T
        let dLogits = ws.logProbs.pointer  // (N, V)
        let top = headInput(ws, dropout: outputDropout)
        // Head.
        S.gemm(
            transA: true, transB: false, m: V, n: H, k: N, alpha: 1, a: dLogits, lda: V, b: top, ldb: H, beta: 1,
            c: grads + layout.headWeight, ldc: H)
        columnSums(dLogits, rows: N, width: V, into: grads + layout.headBias)
        let dOut = ws.dOutput.pointer
        S.gemm(
            transA: false, transB: false, m: N, n: H, k: V, alpha: 1, a: dLogits, lda: V,
            b: params + layout.headWeight, ldb: H, beta: 0, c: dOut, ldc: H)
        if outputDropout > 0 {
            let mask = ws.headMask!.pointer
            for i in 0..<(N * H) { dOut[i] *= mask[i] }
        }

        for k in stride(from: config.layers - 1, through: 0, by: -1) {
            let cache = ws.layers[k]
            let L = layout.layers[k]
            let inW = config.inputWidth(ofLayer: k)
            let dA = ws.dA.pointer
            let dAh = config.cell == .gru ? ws.dAh.pointer : dA
            let dh = ws.dh.pointer, dhNext = ws.dhNext.pointer, dcNext = ws.dcNext.pointer
            dhNext.update(repeating: 0, count: B * H)
            dcNext.update(repeating: 0, count: B * H)
            for t in stride(from: T - 1, through: 0, by: -1) {
                let dOutT = dOut + t * B * H
                for i in 0..<(B * H) { dh[i] = dOutT[i] + dhNext[i] }
                let gatesT = UnsafePointer(cache.gates.pointer + t * B * GH)
                let dAt = dA + t * B * GH
                let hPrev: UnsafePointer<S>? =
                    t > 0
                    ? UnsafePointer(cache.output.pointer + (t - 1) * B * H)
                    : stateBlock(initial, layer: k, part: 0, rows: B)
                switch config.cell {
                case .lstm:
                    let cPrev: UnsafePointer<S>? =
                        t > 0
                        ? UnsafePointer(cache.cell!.pointer + (t - 1) * B * H)
                        : stateBlock(initial, layer: k, part: 1, rows: B)
                    CellMath.lstmBackward(
                        rows: B, hidden: H, gates: gatesT, tanhC: cache.aux!.pointer + t * B * H, cPrev: cPrev,
                        dh: dh, dc: dcNext, dA: dAt)
                    dhNext.update(repeating: 0, count: B * H)
                case .gru:
                    CellMath.gruBackward(
                        rows: B, hidden: H, gates: gatesT, hn: cache.aux!.pointer + t * B * H, hPrev: hPrev, dh: dh,
                        dA: dAt, dAh: dAh + t * B * GH, dhPrev: dhNext)
                case .rnn:
                    CellMath.rnnBackward(rows: B, hidden: H, gates: gatesT, dh: dh, dA: dAt)
                    dhNext.update(repeating: 0, count: B * H)
                }
                if t > 0 {
                    S.gemm(
                        transA: false, transB: false, m: B, n: H, k: GH, alpha: 1, a: dAh + t * B * GH, lda: GH,
                        b: params + L.weightHH, ldb: H, beta: 1, c: dhNext, ldc: H)
                }
            }
            // Weight gradients for the whole sequence at once.
            if T > 1 {
                S.gemm(
                    transA: true, transB: false, m: GH, n: H, k: (T - 1) * B, alpha: 1, a: dAh + B * GH, lda: GH,
                    b: cache.output.pointer, ldb: H, beta: 1, c: grads + L.weightHH, ldc: H)
            }
            if let h0 = stateBlock(initial, layer: k, part: 0, rows: B) {
                S.gemm(
                    transA: true, transB: false, m: GH, n: H, k: B, alpha: 1, a: dAh, lda: GH, b: h0, ldb: H,
                    beta: 1, c: grads + L.weightHH, ldc: H)
            }
            columnSums(dAh, rows: N, width: GH, into: grads + L.biasHH)
            columnSums(dA, rows: N, width: GH, into: grads + L.biasIH)
            S.gemm(
                transA: true, transB: false, m: GH, n: inW, k: N, alpha: 1, a: dA, lda: GH, b: cache.input.pointer,
                ldb: inW, beta: 1, c: grads + L.weightIH, ldc: inW)
            // Gradient reaching this layer's input.
            let dIn = ws.dInput.pointer
            S.gemm(
                transA: false, transB: false, m: N, n: inW, k: GH, alpha: 1, a: dA, lda: GH, b: params + L.weightIH,
                ldb: inW, beta: 0, c: dIn, ldc: inW)
            if k > 0 {
                let mask = cache.dropMask!.pointer
                for i in 0..<(N * H) { dOut[i] = dIn[i] * mask[i] }
            } else {
                let dEmb = grads + layout.embedding
                for b in 0..<B {
                    for t in 0..<T {
                        let byte = Int(batch.inputs[b * T + t])
                        let src = dIn + (t * B + b) * E
                        let dst = dEmb + byte * E
                        for j in 0..<E { dst[j] += src[j] }
                    }
                }
            }
        }
    }

    private func columnSums(_ x: UnsafePointer<S>, rows: Int, width: Int, into out: UnsafeMutablePointer<S>) {
        for r in 0..<rows {
            let row = x + r * width
            for j in 0..<width { out[j] += row[j] }
        }
    }
}

extension LanguageModel where S == Float {
    /// The production entry point: the same computation, compiled for `Float` inside this module, so callers in
    /// other modules run specialised code instead of the generic, witness-table version.
    package func loss(
        on batch: SequenceBatch, workspace ws: TrainingWorkspace<Float>, gradients: UnsafeMutablePointer<Float>? = nil,
        dropout: Double = 0, outputDropout: Double = 0, rng: inout SeededGenerator,
        initialState: UnsafePointer<Float>? = nil, finalState: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        computeLoss(
            on: batch, workspace: ws, gradients: gradients, dropout: dropout, outputDropout: outputDropout, rng: &rng,
            initialState: initialState, finalState: finalState)
    }
}
