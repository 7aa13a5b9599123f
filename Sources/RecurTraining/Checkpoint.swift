import Foundation
import RecurModel

/// A training checkpoint: the model's tensors plus `optimizer.m` and `optimizer.v`, with the loop state as JSON
/// in `__metadata__["trainer_state"]`. It is itself a safetensors file; its weights load in PyTorch as they are.
struct Checkpoint {
    var model: LanguageModel<Float>
    var optimizer: Adam
    var state: TrainerState

    enum Error: Swift.Error, CustomStringConvertible {
        case notACheckpoint(String)
        var description: String {
            switch self {
            case .notACheckpoint(let reason): "not a Recur training checkpoint: \(reason)"
            }
        }
    }

    static let stateKey = "trainer_state"

    func write(to url: URL) throws {
        var file = model.safetensorsFile
        file.tensors["optimizer.m"] = SafetensorsTensor(shape: [optimizer.m.count], values: optimizer.m)
        file.tensors["optimizer.v"] = SafetensorsTensor(shape: [optimizer.v.count], values: optimizer.v)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        file.metadata[Self.stateKey] = String(decoding: try encoder.encode(state), as: UTF8.self)
        file.metadata["optimizer_step"] = String(optimizer.step)
        try file.write(to: url, as: .f32)
    }

    static func read(from url: URL) throws -> Checkpoint {
        var file = try SafetensorsFile(contentsOf: url)
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
        var optimizer = Adam(step: optimizerStep, m: m.values, v: v.values)
        optimizer.weightDecay = state.options.weightDecay
        return Checkpoint(model: model, optimizer: optimizer, state: state)
    }
}
