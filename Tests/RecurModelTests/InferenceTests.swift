import RecurKernels
import Testing

@testable import RecurModel

/// The fast inference paths (table lookup, span priming, batched steps, scoring) agree with the training
/// forward pass, which the gradient checks and the PyTorch fixtures pin down.
@Suite struct InferenceTests {
    static let configs: [ModelConfig] = CellKind.allCases.flatMap { cell in
        [1, 2].map { ModelConfig(cell: cell, layers: $0, hidden: 12, embedding: 5) }
    }
    static let text = Array("The quick brown fox — naïve café 🦊 jumps.\n".utf8)

    static func close(_ a: some Collection<Float>, _ b: some Collection<Float>, tolerance: Float = 2e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($0), abs($1)) }
    }

    @Test(arguments: configs)
    func stepByStepMatchesTrainingForward(config: ModelConfig) {
        let model = LanguageModel<Float>(config: config, seed: 3)
        let T = Self.text.count - 1
        let batch = SequenceBatch(
            batch: 1, steps: T, inputs: Array(Self.text.dropLast()), targets: Array(Self.text.dropFirst()))
        let ws = TrainingWorkspace<Float>(config: config, batch: 1, steps: T)
        var rng = SeededGenerator(seed: 0)
        _ = model.loss(on: batch, workspace: ws, rng: &rng)
        let predictor = Predictor(engine: InferenceEngine(model: model))
        var state = RecurrentState(config: config)
        for t in 0..<T {
            predictor.step(&state, bytes: [Self.text[t]])
            let fast = Array(predictor.logProbabilities(state))
            let reference = model.lastLogProbabilities(ws, batchIndex: 0, step: t)
            #expect(Self.close(fast, reference), "step \(t)")
        }
    }

    @Test(arguments: configs)
    func spanPrimingMatchesStepsAcrossChunks(config: ModelConfig) {
        let model = LanguageModel<Float>(config: config, seed: 4)
        let predictor = Predictor(engine: InferenceEngine(model: model))
        let long = Array((0..<(Predictor.chunk * 2 + 37)).map { Self.text[$0 % Self.text.count] })
        var stepped = RecurrentState(config: config)
        var expectedLogp: [Float] = []
        for byte in long {
            expectedLogp.append(predictor.logProbabilities(stepped)[Int(byte)])
            predictor.step(&stepped, bytes: [byte])
        }
        var primed = RecurrentState(config: config)
        var logp = [Float](repeating: 0, count: long.count)
        logp.withUnsafeMutableBufferPointer {
            predictor.advance(&primed, through: long, logProbabilities: $0.baseAddress!)
        }
        #expect(Self.close(primed.values, stepped.values, tolerance: 1e-5))
        #expect(Self.close(logp, expectedLogp, tolerance: 1e-4))
    }

    @Test(arguments: configs)
    func batchedStepsMatchSingleRows(config: ModelConfig) {
        let model = LanguageModel<Float>(config: config, seed: 5)
        let predictor = Predictor(engine: InferenceEngine(model: model))
        var start = RecurrentState(config: config)
        predictor.advance(&start, through: Array("prefix ".utf8))
        var batch = start.replicated(count: 3)
        var singles = [start, start, start]
        let streams: [[UInt8]] = [Array("abc".utf8), Array("xyz".utf8), Array("é!".utf8) + [0]]
        for t in 0..<3 {
            predictor.step(&batch, bytes: streams.map { $0[t] })
            for r in 0..<3 { predictor.step(&singles[r], bytes: [streams[r][t]]) }
        }
        let batchLogp = Array(predictor.logProbabilities(batch))
        for r in 0..<3 {
            #expect(Self.close(batch.row(r).values, singles[r].values, tolerance: 1e-5))
            let single = Array(predictor.logProbabilities(singles[r]))
            #expect(Self.close(batchLogp[(r * 256)..<((r + 1) * 256)], single, tolerance: 1e-4))
        }
    }
}

/// Half-precision weights: for a model stored as float16 (exactly representable), the fast kernels change nothing
/// but the order of summation.
@Suite struct HalfPrecisionInferenceTests {
    @Test(arguments: InferenceTests.configs)
    func halfKernelsMatchSinglePrecision(config: ModelConfig) {
        var model = LanguageModel<Float>(config: config, seed: 8)
        model.parameters = model.parameters.map { Float(Float16($0)) }
        let single = Predictor(engine: InferenceEngine(model: model, precision: .single))
        let halfEngine = InferenceEngine(model: model)
        #expect(halfEngine.rowsAreIndependent == HalfMatrix.isSupported)
        #expect(
            !InferenceEngine(model: LanguageModel(config: config, seed: 8)).rowsAreIndependent, "rounding is opt-in")
        let half = Predictor(engine: halfEngine)
        let text = Array(InferenceTests.text)
        var a = RecurrentState(config: config), b = a
        for byte in text {
            single.step(&a, bytes: [byte])
            half.step(&b, bytes: [byte])
        }
        #expect(InferenceTests.close(a.values, b.values, tolerance: 1e-5))
        #expect(
            InferenceTests.close(Array(single.logProbabilities(a)), Array(half.logProbabilities(b)), tolerance: 1e-4))
        // Batched rows and span priming.
        var batchA = a.replicated(count: 5), batchB = b.replicated(count: 5)
        single.step(&batchA, bytes: [1, 2, 3, 4, 5])
        half.step(&batchB, bytes: [1, 2, 3, 4, 5])
        #expect(InferenceTests.close(batchA.values, batchB.values, tolerance: 1e-5))
        #expect(
            InferenceTests.close(Array(single.logits(batchA)), Array(half.logits(batchB)), tolerance: 1e-4))
        var spanA = RecurrentState(config: config), spanB = spanA
        single.advance(&spanA, through: text + text)
        half.advance(&spanB, through: text + text)
        #expect(InferenceTests.close(spanA.values, spanB.values, tolerance: 1e-5))
    }
}

@Suite struct WindowedScoringTests {
    @Test func windowedLossFollowsTheResetPointRule() {
        let config = ModelConfig(cell: .gru, layers: 2, hidden: 10, embedding: 4)
        let predictor = Predictor(engine: InferenceEngine(model: LanguageModel(config: config, seed: 6)))
        let text = Array(String(repeating: "window rule, état 🦊. ", count: 9).utf8)
        // A window wider than the text is the full context.
        let full = predictor.negativeLogLikelihood(of: text)
        #expect(abs(predictor.negativeLogLikelihood(of: text, window: ContextWindow(interval: 10_000)) - full) < 1e-6)
        // Otherwise, each byte q is predicted from a fresh run over text[resetPoint(q)..<q].
        let window = ContextWindow(interval: 16)
        var expected = 0.0
        for q in text.indices {
            var state = RecurrentState(config: config)
            for byte in text[window.resetPoint(q)..<q] { predictor.step(&state, bytes: [byte]) }
            expected -= Double(predictor.logProbabilities(state)[Int(text[q])])
        }
        let windowed = predictor.negativeLogLikelihood(of: text, window: window)
        #expect(abs(windowed - expected) < 1e-3 * expected)
        #expect(windowed != full, "a 16-byte window changes the predictions")
    }
}

@Suite struct BatchedStepExactnessTests {
    /// With the half-precision kernels, a row advanced in a batch follows exactly the summation order of a row
    /// advanced alone, so candidate states kept from sampling equal fresh single-row runs bit for bit.
    @Test(arguments: InferenceTests.configs)
    func batchedRowsAreBitIdenticalToSingleRows(config: ModelConfig) throws {
        try #require(HalfMatrix.isSupported, "the half-precision kernels need AVX2, FMA and F16C")
        var model = LanguageModel<Float>(config: config, seed: 12)
        model.parameters = model.parameters.map { Float(Float16($0)) }
        let predictor = Predictor(engine: InferenceEngine(model: model))
        var start = RecurrentState(config: config)
        for byte in Array("prefix".utf8) { predictor.step(&start, bytes: [byte]) }
        Self.expectBatchedRowsMatchSingleRows(predictor, from: start)
    }

    /// Advances `rows` copies of `start` as one batch and one by one, with different bytes per row, and expects
    /// the same bits.
    static func expectBatchedRowsMatchSingleRows(_ predictor: Predictor, from start: RecurrentState, rows: Int = 7) {
        var batch = start.replicated(count: rows)
        var singles = Array(repeating: start, count: rows)
        for t in 0..<5 {
            let bytes = (0..<rows).map { UInt8(97 + ($0 * 3 + t) % 26) }
            predictor.step(&batch, bytes: bytes)
            for r in 0..<rows { predictor.step(&singles[r], bytes: [bytes[r]]) }
        }
        for r in 0..<rows { #expect(batch.row(r) == singles[r]) }
    }
}
