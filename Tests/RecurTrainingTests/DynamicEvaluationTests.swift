import RecurKernels
import RecurModel
import Testing

@testable import RecurTraining

/// Dynamic evaluation: scoring with the state carried across segments, then learning from each segment.
@Suite struct DynamicEvaluationTests {
    static let config = ModelConfig(cell: .lstm, layers: 2, hidden: 24, embedding: 8)
    static let text = Array(String(repeating: "func add(a: Int, b: Int) -> Int { a + b }\n", count: 12).utf8)

    /// Each byte after the first, predicted by the inference engine from the whole text before it.
    static func referenceNats(_ model: LanguageModel<Float>, _ text: [UInt8]) -> Double {
        let predictor = Predictor(engine: InferenceEngine(model: model, precision: .single))
        var state = RecurrentState(config: model.config)
        var nats = 0.0
        for (input, target) in zip(text.dropLast(), text.dropFirst()) {
            predictor.step(&state, bytes: [input])
            nats -= Double(predictor.logProbabilities(state)[Int(target)])
        }
        return nats
    }

    @Test(arguments: [1, 7, 100, 10_000])
    func withoutLearningItScoresAsTheEngineDoesWhateverTheSpan(span: Int) {
        let model = LanguageModel<Float>(config: Self.config, seed: 9)
        var reader = DynamicEvaluation(model: model, settings: .init(learningRate: 0.3, span: span))
        let result = reader.read(Self.text, learning: false)
        let reference = Self.referenceNats(model, Self.text)
        #expect(result.scoredBytes == Self.text.count - 1)
        #expect(result.updates == 0)
        #expect(abs(result.nats - reference) / reference < 1e-5, "\(result.nats) vs \(reference)")
        #expect(reader.model.parameters == model.parameters)
    }

    /// On text that repeats, learning as it reads lowers the loss well below the frozen model's; each rule does.
    @Test(arguments: [
        DynamicEvaluation.Settings(learningRate: 2, span: 20, rule: .sgd),
        DynamicEvaluation.Settings(learningRate: 0.003, span: 20, rule: .rms),
        DynamicEvaluation.Settings(learningRate: 2, span: 20, rule: .sgd, decay: 0.01),
    ])
    func learningFromRepeatedTextLowersTheLoss(settings: DynamicEvaluation.Settings) {
        let model = LanguageModel<Float>(config: Self.config, seed: 9)
        var frozen = DynamicEvaluation(model: model, settings: settings)
        var learner = DynamicEvaluation(model: model, settings: settings)
        let fixed = frozen.read(Self.text, learning: false)
        let learned = learner.read(Self.text)
        #expect(learned.updates == (Self.text.count - 1 + 19) / 20)
        #expect(learned.natsPerByte < fixed.natsPerByte * 0.8, "\(learned.natsPerByte) vs \(fixed.natsPerByte)")
        #expect(learner.model.parameters != model.parameters)
    }

    /// Frozen tensors keep their weights bit for bit; the others learn.
    @Test func frozenTensorsDoNotLearn() {
        let model = LanguageModel<Float>(config: Self.config, seed: 9)
        var learner = DynamicEvaluation(
            model: model, settings: .init(learningRate: 0.003, span: 20, rule: .rms, decay: 0.01, frozen: ["head"]))
        _ = learner.read(Self.text)
        for entry in model.layout.entries {
            let before = model.parameters[entry.range], after = learner.model.parameters[entry.range]
            if entry.name.hasPrefix("head") {
                #expect(before == after, "\(entry.name)")
            } else {
                #expect(before != after, "\(entry.name)")
            }
        }
    }

    /// The same text in the same segments gives the same weights, state and score, bit for bit.
    @Test func learningIsDeterministic() {
        let model = LanguageModel<Float>(config: Self.config, seed: 9)
        let settings = DynamicEvaluation.Settings(learningRate: 0.003, span: 33, rule: .rms, decay: 0.001)
        var first = DynamicEvaluation(model: model, settings: settings)
        var second = DynamicEvaluation(model: model, settings: settings)
        #expect(first.read(Self.text) == second.read(Self.text))
        #expect(first.model.parameters == second.model.parameters)
        #expect(first.state == second.state)
    }

    /// With full decay, an update starts from the original weights: the first step is plain SGD's, and after the
    /// second the weights are the original ones minus that second step alone (the first is forgotten).
    @Test func fullDecayForgetsEarlierUpdates() {
        let model = LanguageModel<Float>(config: Self.config, seed: 9)
        let first = Array(Self.text[..<51]), second = Array(Self.text[50..<101])
        var decaying = DynamicEvaluation(model: model, settings: .init(learningRate: 0.1, span: 50, decay: 1))
        var plain = DynamicEvaluation(model: model, settings: .init(learningRate: 0.1, span: 50))
        _ = decaying.read(first)
        _ = plain.read(first)
        #expect(decaying.model.parameters == plain.model.parameters)
        let firstStep = zip(model.parameters, plain.model.parameters).map { $0 - $1 }  // lr·g0
        _ = decaying.read(second)
        _ = plain.read(second)
        // Plain SGD: θ0 − lr·g0 − lr·g1; full decay: θ0 − lr·g1, with the same g1 (same weights and state).
        var expected = plain.model.parameters
        for i in expected.indices { expected[i] += firstStep[i] }
        let error = zip(expected, decaying.model.parameters).map { abs($0 - $1) }.max()!
        #expect(error < 1e-5, "max difference \(error)")
    }
}

extension DynamicEvaluation.Settings: CustomTestStringConvertible {
    public var testDescription: String { "\(rule.rawValue) lr \(learningRate) decay \(decay)" }
}
