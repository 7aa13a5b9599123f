import RecurKernels
import Testing

@testable import RecurModel

/// Central finite differences in Double for every parameter of tiny models.
@Suite struct GradientCheckTests {
    static let configs: [ModelConfig] = CellKind.allCases.flatMap { cell in
        [1, 2].map { ModelConfig(cell: cell, layers: $0, hidden: 3, embedding: 2) }
    }

    static func batch() -> SequenceBatch {
        let text: [UInt8] = Array("abcaXbé!".utf8)  // 9 bytes: includes a two-byte scalar
        let B = 2, T = 5
        var inputs: [UInt8] = [], targets: [UInt8] = []
        for b in 0..<B {
            for t in 0..<T {
                inputs.append(text[(b * 3 + t) % text.count])
                targets.append(text[(b * 3 + t + 1) % text.count])
            }
        }
        return SequenceBatch(batch: B, steps: T, inputs: inputs, targets: targets)
    }

    /// Without dropout, and with it between layers and on the output (the same masks for every evaluation: the
    /// generator starts from the same seed).
    static let dropouts: [(between: Double, output: Double)] = [(0, 0), (0.3, 0.4)]

    @Test(arguments: configs, dropouts.indices)
    func gradientsMatchFiniteDifferences(config: ModelConfig, dropoutCase: Int) {
        let (between, output) = Self.dropouts[dropoutCase]
        var model = LanguageModel<Double>(config: config, seed: 7)
        // Larger weights than the default init so that every gate is exercised away from zero.
        model.parameters = model.parameters.map { $0 * 2.5 }
        let batch = Self.batch()
        func lossAndGradients(_ m: LanguageModel<Double>) -> (loss: Double, gradients: [Double]) {
            m.lossAndGradients(on: batch, dropout: between, outputDropout: output, seed: 3)
        }
        let (_, analytic) = lossAndGradients(model)
        if output > 0 {
            // The masks act: dropout changes the loss.
            #expect(abs(lossAndGradients(model).loss - model.lossAndGradients(on: batch).loss) > 1e-6)
        }
        let usedBytes = Set(batch.inputs)
        let eps = 1e-5
        for entry in model.layout.entries {
            var a: [Double] = [], n: [Double] = []
            for i in entry.range {
                // Embedding rows of unused bytes have zero gradient; check a few of them, all the used ones.
                if entry.name == "embedding.weight" {
                    let row = (i - entry.offset) / config.embedding
                    if !usedBytes.contains(UInt8(row)) && row % 64 != 0 { continue }
                }
                var plus = model, minus = model
                plus.parameters[i] += eps
                minus.parameters[i] -= eps
                let numeric = (lossAndGradients(plus).loss - lossAndGradients(minus).loss) / (2 * eps)
                a.append(analytic[i])
                n.append(numeric)
            }
            let diff = zip(a, n).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let scale = zip(a, n).map { ($0 + $1) * ($0 + $1) }.reduce(0, +).squareRoot()
            let relative = scale == 0 ? diff : diff / scale
            #expect(relative <= 1e-6, "\(config) \(entry.name): relative error \(relative)")
            #expect(scale > 0, "\(entry.name) has an all-zero gradient, so the check proves nothing")
        }
    }
}

/// Sequences that start from a given state (truncated backpropagation through time, as dynamic evaluation and
/// online learning run it): the gradient against finite differences, and the forward pass against the inference
/// engine (itself checked against PyTorch) and against one longer sequence.
@Suite struct CarriedStateTrainingTests {
    /// Loss and gradients of `batch` from `initial` (B rows in a `RecurrentState`'s layout), and the final state.
    static func lossAndGradients<S: KernelScalar>(
        _ model: LanguageModel<S>, _ batch: SequenceBatch, initial: [S]
    ) -> (loss: S, gradients: [S], final: [S]) {
        let ws = TrainingWorkspace<S>(config: model.config, batch: batch.batch, steps: batch.steps)
        var grads = [S](repeating: 0, count: model.parameters.count)
        var final = [S](repeating: 0, count: initial.count)
        var rng = SeededGenerator(seed: 0)
        let loss = grads.withUnsafeMutableBufferPointer { g in
            initial.withUnsafeBufferPointer { i in
                final.withUnsafeMutableBufferPointer { f in
                    model.loss(
                        on: batch, workspace: ws, gradients: g.baseAddress!, rng: &rng, initialState: i.baseAddress!,
                        finalState: f.baseAddress!)
                }
            }
        }
        return (loss, grads, final)
    }

    static func state(_ config: ModelConfig, rows: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(rows * config.stateWidth)).map { _ in rng.nextUnitDouble() * 1.6 - 0.8 }
    }

    @Test(arguments: GradientCheckTests.configs)
    func gradientsFromAStateMatchFiniteDifferences(config: ModelConfig) {
        var model = LanguageModel<Double>(config: config, seed: 11)
        model.parameters = model.parameters.map { $0 * 2.5 }
        let batch = GradientCheckTests.batch()
        let initial = Self.state(config, rows: batch.batch, seed: 5)
        let (_, analytic, _) = Self.lossAndGradients(model, batch, initial: initial)
        let eps = 1e-5
        for entry in model.layout.entries where entry.name != "embedding.weight" {
            var a: [Double] = [], n: [Double] = []
            for i in entry.range {
                var plus = model, minus = model
                plus.parameters[i] += eps
                minus.parameters[i] -= eps
                let numeric =
                    (Self.lossAndGradients(plus, batch, initial: initial).loss
                        - Self.lossAndGradients(minus, batch, initial: initial).loss) / (2 * eps)
                a.append(analytic[i])
                n.append(numeric)
            }
            let diff = zip(a, n).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let scale = zip(a, n).map { ($0 + $1) * ($0 + $1) }.reduce(0, +).squareRoot()
            #expect(scale > 0 && diff / scale <= 1e-6, "\(config) \(entry.name): relative error \(diff / scale)")
        }
        // The state matters: from zero the loss differs.
        let fromZero = Self.lossAndGradients(model, batch, initial: initial.map { _ in 0 }).loss
        #expect(abs(fromZero - Self.lossAndGradients(model, batch, initial: initial).loss) > 1e-6)
    }

    /// From a primed state, the training forward pass gives the inference engine's log-likelihood and final state;
    /// and two halves with the state carried give what one sequence gives.
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func aCarriedStateContinuesTheSequence(cell: CellKind) {
        let config = ModelConfig(cell: cell, layers: 2, hidden: 16, embedding: 8)
        let model = LanguageModel<Float>(config: config, seed: 3)
        let predictor = Predictor(engine: InferenceEngine(model: model, precision: .single))
        let text = Array("let x = café; // ".utf8)
        var state = RecurrentState(config: config)
        for byte in text[..<6] { predictor.step(&state, bytes: [byte]) }
        let tail = Array(text[6...])
        let batch = SequenceBatch(
            batch: 1, steps: tail.count - 1, inputs: Array(tail.dropLast()), targets: Array(tail.dropFirst()))
        let (loss, _, final) = Self.lossAndGradients(model, batch, initial: state.values)
        var reference = state
        var nats = 0.0
        for (input, target) in zip(batch.inputs, batch.targets) {
            predictor.step(&reference, bytes: [input])
            nats -= Double(predictor.logProbabilities(reference)[Int(target)])
        }
        #expect(abs(Double(loss) - nats / Double(batch.steps)) < 1e-4, "\(loss) vs \(nats / Double(batch.steps))")
        #expect(zip(final, reference.values).allSatisfy { abs($0 - $1) < 1e-5 })

        let half = batch.steps / 2
        let first = SequenceBatch(
            batch: 1, steps: half, inputs: Array(batch.inputs[..<half]), targets: Array(batch.targets[..<half]))
        let second = SequenceBatch(
            batch: 1, steps: batch.steps - half, inputs: Array(batch.inputs[half...]),
            targets: Array(batch.targets[half...]))
        let (firstLoss, _, middle) = Self.lossAndGradients(model, first, initial: state.values)
        let (secondLoss, _, end) = Self.lossAndGradients(model, second, initial: middle)
        let joined = (Double(firstLoss) * Double(half) + Double(secondLoss) * Double(batch.steps - half))
        #expect(abs(joined / Double(batch.steps) - Double(loss)) < 1e-5)
        #expect(zip(end, final).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}

extension ModelConfig: CustomTestStringConvertible {
    public var testDescription: String { "\(cell.rawValue)×\(layers)" }
}
