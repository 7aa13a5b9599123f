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

    @Test(arguments: configs)
    func gradientsMatchFiniteDifferences(config: ModelConfig) {
        var model = LanguageModel<Double>(config: config, seed: 7)
        // Larger weights than the default init so that every gate is exercised away from zero.
        model.parameters = model.parameters.map { $0 * 2.5 }
        let batch = Self.batch()
        let (_, analytic) = model.lossAndGradients(on: batch)
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
                let numeric =
                    (plus.lossAndGradients(on: batch).loss - minus.lossAndGradients(on: batch).loss) / (2 * eps)
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

extension ModelConfig: CustomTestStringConvertible {
    public var testDescription: String { "\(cell.rawValue)×\(layers)" }
}
