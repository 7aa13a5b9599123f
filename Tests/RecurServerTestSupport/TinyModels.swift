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

    /// A model sure of what comes next, whatever came before: mostly "a", else "b" or a space (about 56/21/21%),
    /// rarely a newline; so its continuations have word edges, and their probability falls about half a byte.
    package static func confident(seed: UInt64 = 7) -> LanguageModel<Float> {
        var model = lstm(seed: seed)
        let bias = model.layout.headBias
        for (byte, logit) in [(UInt8(ascii: "a"), Float(9)), (UInt8(ascii: "b"), 8), (0x20, 8), (0x0A, 5)] {
            model.parameters[bias + Int(byte)] += logit
        }
        return model
    }
}
