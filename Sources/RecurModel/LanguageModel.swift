import Foundation
import RecurKernels

/// A byte-level recurrent language model: its architecture and its parameters in one flat buffer.
///
/// Generic over the scalar so that the same code trains in `Float` and is checked against finite
/// differences in `Double`. Inference runs through `InferenceEngine`, built from a `Float` model.
package struct LanguageModel<S: KernelScalar>: Sendable {
    package let config: ModelConfig
    package let layout: ParameterLayout
    /// Every tensor, concatenated in `layout` order.
    package var parameters: [S]
    /// Free-form facts kept with the weights (training command, corpus hashes, losses).
    package var metadata: [String: String]
    /// The sha256 (hex) of the file this model was loaded from, when it was loaded from one.
    package var sourceSHA256: String?

    package init(config: ModelConfig, parameters: [S], metadata: [String: String] = [:]) {
        let layout = ParameterLayout(config)
        precondition(parameters.count == layout.totalCount, "parameter count does not match the layout")
        self.config = config
        self.layout = layout
        self.parameters = parameters
        self.metadata = metadata
    }

    /// PyTorch's default initialisation: embedding N(0, 1); recurrent weights and biases U(±1/√H);
    /// head U(±1/√H).
    package init(config: ModelConfig, seed: UInt64) {
        let layout = ParameterLayout(config)
        var rng = SeededGenerator(seed: seed)
        var values = [S](repeating: 0, count: layout.totalCount)
        let bound = 1 / Double(config.hidden).squareRoot()
        for entry in layout.entries {
            for i in entry.range {
                if entry.name == "embedding.weight" {
                    // Box–Muller.
                    let u1 = max(rng.nextUnitDouble(), 1e-300)
                    let u2 = rng.nextUnitDouble()
                    values[i] = S((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
                } else {
                    values[i] = S((rng.nextUnitDouble() * 2 - 1) * bound)
                }
            }
        }
        self.init(config: config, parameters: values)
    }

    /// The same model in another scalar type.
    package func converted<T: KernelScalar>(to: T.Type = T.self) -> LanguageModel<T> {
        LanguageModel<T>(config: config, parameters: parameters.map { T($0) }, metadata: metadata)
    }

    /// The values of one named tensor.
    package func tensor(named name: String) -> ArraySlice<S>? {
        layout.entry(named: name).map { parameters[$0.range] }
    }
}
