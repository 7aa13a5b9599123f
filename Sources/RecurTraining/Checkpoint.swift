import Foundation
import RecurModel

/// A training checkpoint: the model's tensors plus `optimizer.m` and `optimizer.v`, with the loop state as JSON
/// in `__metadata__["trainer_state"]`, and the best validation pass's weights as one flat `best.parameters` tensor.
/// It is itself a safetensors file; its (last) weights load in PyTorch as they are.
struct Checkpoint {
    var model: LanguageModel<Float>
    var optimizer: Adam
    var state: TrainerState
    var bestParameters: [Float]?

    enum Error: Swift.Error, CustomStringConvertible {
        case notACheckpoint(String)
        var description: String {
            switch self {
            case .notACheckpoint(let reason): "not a Recur training checkpoint: \(reason)"
            }
        }
    }

    static let stateKey = "trainer_state"
    static let bestKey = "best.parameters"

    func write(to url: URL) throws {
        var file = model.safetensorsFile
        file.tensors["optimizer.m"] = SafetensorsTensor(shape: [optimizer.m.count], values: optimizer.m)
        file.tensors["optimizer.v"] = SafetensorsTensor(shape: [optimizer.v.count], values: optimizer.v)
        if let bestParameters {
            file.tensors[Self.bestKey] = SafetensorsTensor(shape: [bestParameters.count], values: bestParameters)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        file.metadata[Self.stateKey] = String(decoding: try encoder.encode(state), as: UTF8.self)
        file.metadata["optimizer_step"] = String(optimizer.step)
        try file.write(to: url, as: .f32)
    }

    static func read(from url: URL) throws -> Checkpoint {
        var file = try SafetensorsFile(contentsOf: url)
        let best = file.tensors.removeValue(forKey: bestKey)
        guard let m = file.tensors.removeValue(forKey: "optimizer.m"),
            let v = file.tensors.removeValue(forKey: "optimizer.v"),
            let json = file.metadata.removeValue(forKey: stateKey),
            let optimizerStep = file.metadata.removeValue(forKey: "optimizer_step").flatMap({ Int($0) })
        else { throw Error.notACheckpoint("\(url.path) lacks optimizer moments or trainer state") }
        let state = try JSONDecoder().decode(TrainerState.self, from: Data(json.utf8))
        let model = try LanguageModel<Float>(file: file)
        guard m.values.count == model.parameters.count, v.values.count == model.parameters.count else {
            throw Error.notACheckpoint(
                "optimizer moments do not match the model's \(model.parameters.count) parameters")
        }
        if let best, best.values.count != model.parameters.count || state.best == nil {
            throw Error.notACheckpoint("its best weights do not match the model or the trainer state")
        }
        var optimizer = Adam(step: optimizerStep, m: m.values, v: v.values)
        optimizer.weightDecay = state.options.weightDecay
        return Checkpoint(model: model, optimizer: optimizer, state: state, bestParameters: best?.values)
    }
}
