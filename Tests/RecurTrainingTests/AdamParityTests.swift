import Foundation
import RecurModel
import Testing

@testable import RecurTraining

/// One Adam step (lr 0.01, betas 0.9/0.999, eps 1e-8) against `torch.optim.Adam`, from the model fixtures.
@Suite struct AdamParityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("RecurModelTests/Fixtures")

    @Test(arguments: ["lstm_2layer", "gru_1layer", "rnn_2layer"])
    func oneStepMatchesPyTorch(name: String) throws {
        let model = try LanguageModel<Float>(contentsOf: Self.fixtures.appendingPathComponent("\(name).safetensors"))
        let expected = try SafetensorsFile(
            contentsOf: Self.fixtures.appendingPathComponent("\(name).expected.safetensors"))
        var grads = [Float](repeating: 0, count: model.parameters.count)
        for entry in model.layout.entries {
            grads.replaceSubrange(entry.range, with: try #require(expected.tensors["grad.\(entry.name)"]).values)
        }
        var params = model.parameters
        var adam = Adam(parameterCount: params.count)
        adam.update(parameters: &params, gradients: grads, learningRate: 0.01)
        for entry in model.layout.entries {
            let theirs = try #require(expected.tensors["adam.\(entry.name)"]).values
            let ours = params[entry.range]
            let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-6, "\(entry.name): max abs difference \(worst)")
        }
    }
}
