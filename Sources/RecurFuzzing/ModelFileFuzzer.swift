import RecurAdaptation
import RecurModel

/// Model bytes from a file (`--model`, `initializationOptions.model`) or from the store (an adapter BLOB).
///
/// Invariants: loading either throws a `ModelFileError` or gives a model that runs: stepping, sampling and
/// scoring it do not trap, and every probability it reports is a number.
enum ModelFileFuzzer {
    static func runSafetensors(_ data: UnsafeRawBufferPointer) {
        guard let model = try? LanguageModel<Float>(safetensors: data, path: "fuzz") else { return }
        exercise(model)
    }

    /// The base an adapter must match: one GRU layer, 2 wide, as small as a real model's shape can be.
    static let adapterBase = LanguageModel<Float>(
        config: ModelConfig(cell: .gru, layers: 1, hidden: 2, embedding: 2), seed: 7)

    static func runAdapter(_ data: UnsafeRawBufferPointer) {
        guard let model = try? ProfileModel.adapterModel(weights: Array(data), name: "fuzz", base: adapterBase)
        else { return }
        precondition(model.config == adapterBase.config, "an adapter of another architecture was accepted")
        exercise(model)
    }

    static func exercise(_ model: LanguageModel<Float>) {
        // Only small models: a fuzzer's input cannot hold a big one, and this keeps each run fast.
        guard model.parameters.count <= 1 << 16 else { return }
        let predictor = Predictor(engine: InferenceEngine(model: model))
        var state = RecurrentState(config: model.config)
        for byte in "ab\n".utf8 { predictor.step(&state, bytes: [byte]) }
        let completions = Sampler.sample(
            predictor, from: state, options: SamplingOptions(count: 2, temperature: 0.8, maxBytes: 4, seed: 1))
        for completion in completions {
            precondition(!completion.logprob.isNaN, "a completion's log-probability is NaN")
        }
        let nll = predictor.negativeLogLikelihood(of: Array("abc".utf8))
        precondition(!nll.isNaN, "the negative log-likelihood is NaN")
    }
}
