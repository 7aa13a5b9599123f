import RecurModel

/// Small models for server tests: fast to step, deterministic by seed.
package enum TinyModels {
    package static func lstm(seed: UInt64 = 3, hidden: Int = 16) -> LanguageModel<Float> {
        LanguageModel<Float>(config: ModelConfig(cell: .lstm, layers: 2, hidden: hidden, embedding: 8), seed: seed)
    }

    /// A model whose weights are exactly representable in half precision, so the engine runs the half-precision
    /// kernels (where batched rows are bit-identical to single rows) on machines that have them.
    package static func halfExact(seed: UInt64 = 5, hidden: Int = 16) -> LanguageModel<Float> {
        let model = lstm(seed: seed, hidden: hidden)
        return LanguageModel<Float>(config: model.config, parameters: model.parameters.map { Float(Float16($0)) })
    }
}
