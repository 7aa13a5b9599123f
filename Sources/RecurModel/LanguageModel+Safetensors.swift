import Crypto
import Foundation
import RecurKernels

/// Why a model file was refused. Each message says what is wrong and what to do.
package enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case format(path: String, reason: String)
    case missingTensor(String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case nonFinite(tensor: String)
    case implausible(tensor: String, limit: Float)
    case architecture(String)
    case unexpectedTensor(String)

    package var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read model file \(path): \(reason)"
        case .format(let path, let reason):
            "\(path) is not a valid safetensors model: \(reason)"
        case .missingTensor(let name):
            "the model file has no tensor '\(name)'; it must hold embedding.weight, rnn.* for every layer, head.weight and head.bias"
        case .wrongShape(let name, let expected, let found):
            "tensor '\(name)' has shape \(found) but the architecture needs \(expected): the file is corrupt or was not saved from a Recur-compatible model"
        case .nonFinite(let name):
            "tensor '\(name)' contains NaN or infinite values; the model diverged or the file is corrupt: retrain or restore it"
        case .implausible(let name, let limit):
            "tensor '\(name)' holds values beyond ±\(Int(limit)), which no trained model has; the file is corrupt or the training diverged"
        case .architecture(let reason):
            "unsupported model architecture: \(reason)"
        case .unexpectedTensor(let name):
            "unexpected tensor '\(name)' in the model file (Recur models are embedding + one nn.LSTM/GRU/RNN + head)"
        }
    }
}

extension LanguageModel where S == Float {
    /// The largest weight a model may hold: half precision's largest value. Trained weights are far smaller, and
    /// with every weight within it each pre-activation and logit stays finite in single precision (gate outputs
    /// are in [-1, 1]), so no model that loads can yield NaN probabilities.
    package static var largestWeight: Float { 65504 }

    /// Metadata keys that describe the architecture; everything else in `__metadata__` is kept as `metadata`.
    static var architectureKeys: Set<String> {
        ["format", "version", "cell", "layers", "hidden", "embedding", "vocab"]
    }

    /// Loads a model from safetensors bytes in PyTorch layout. Without `__metadata__`, the architecture is inferred
    /// from the shapes (an `nn.RNN` is assumed to use tanh).
    package init(safetensors bytes: some Collection<UInt8>, path: String = "<memory>") throws(ModelFileError) {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(bytes: bytes)
        } catch {
            throw .format(path: path, reason: error.description)
        }
        try self.init(file: file)
        sourceSHA256 = SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    package init(contentsOf url: URL) throws(ModelFileError) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(safetensors: data, path: url.path)
    }

    package init(file: SafetensorsFile) throws(ModelFileError) {
        let config = try Self.architecture(of: file)
        let layout = ParameterLayout(config)
        var values = [Float](repeating: 0, count: layout.totalCount)
        for entry in layout.entries {
            guard let tensor = file.tensors[entry.name] else { throw .missingTensor(entry.name) }
            guard tensor.shape == entry.shape else {
                throw .wrongShape(tensor: entry.name, expected: entry.shape, found: tensor.shape)
            }
            guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFinite(tensor: entry.name) }
            guard tensor.values.allSatisfy({ abs($0) <= Self.largestWeight }) else {
                throw .implausible(tensor: entry.name, limit: Self.largestWeight)
            }
            values.replaceSubrange(entry.range, with: tensor.values)
        }
        // Training checkpoints carry Adam's moments beside the weights; they load as models too.
        for name in file.tensors.keys where layout.entry(named: name) == nil && !name.hasPrefix("optimizer.") {
            throw .unexpectedTensor(name)
        }
        let extra = file.metadata.filter { !Self.architectureKeys.contains($0.key) && $0.key != "trainer_state" }
        self.init(config: config, parameters: values, metadata: extra)
    }

    /// The architecture from metadata when present, else from the shapes.
    static func architecture(of file: SafetensorsFile) throws(ModelFileError) -> ModelConfig {
        func shape(_ name: String) throws(ModelFileError) -> [Int] {
            guard let t = file.tensors[name] else { throw .missingTensor(name) }
            return t.shape
        }
        let embedding = try shape("embedding.weight")
        let hh0 = try shape("rnn.weight_hh_l0")
        guard embedding.count == 2, hh0.count == 2, hh0[1] > 0 else {
            throw .architecture("embedding.weight must be [V, E] and rnn.weight_hh_l0 [G·H, H]")
        }
        var layers = 0
        while file.tensors["rnn.weight_ih_l\(layers)"] != nil { layers += 1 }
        // H from the head when present (so a malformed recurrent matrix is reported as a wrong shape).
        let head = file.tensors["head.weight"]?.shape
        let hidden = head.flatMap { $0.count == 2 && $0[1] > 0 ? $0[1] : nil } ?? hh0[1]
        guard hh0[0] % hidden == 0 else {
            throw .architecture("rnn.weight_hh_l0 rows \(hh0[0]) are not a multiple of H \(hidden)")
        }
        let inferredCell: CellKind
        switch hh0[0] / hidden {
        case 4: inferredCell = .lstm
        case 3: inferredCell = .gru
        case 1: inferredCell = .rnn
        case let g: throw .architecture("\(g) gate blocks per layer; expected 4 (LSTM), 3 (GRU) or 1 (RNN)")
        }
        var config = ModelConfig(
            cell: inferredCell, layers: layers, hidden: hidden, embedding: embedding[1], vocab: embedding[0])
        let m = file.metadata
        if let format = m["format"], format != "recur-charlm" {
            throw .architecture("metadata format is '\(format)', expected 'recur-charlm'")
        }
        if let version = m["version"], version != "1" {
            throw .architecture("metadata version \(version) is newer than this Recur understands (1); upgrade Recur")
        }
        if let cell = m["cell"] {
            guard let kind = CellKind(rawValue: cell) else { throw .architecture("unknown cell '\(cell)'") }
            config.cell = kind
        }
        func number(_ key: String) throws(ModelFileError) -> Int? {
            guard let text = m[key] else { return nil }
            guard let value = Int(text), value > 0 else {
                throw .architecture("metadata \(key)='\(text)' is not a positive integer")
            }
            return value
        }
        // Metadata may confirm the shapes but never contradict them: the shapes are backed by the file's bytes, a
        // metadata number is not, and the parameters are allocated from the architecture before they are read.
        for (key, inferred) in [
            ("layers", config.layers), ("hidden", config.hidden), ("embedding", config.embedding),
            ("vocab", config.vocab),
        ] {
            if let claimed = try number(key), claimed != inferred {
                throw .architecture("metadata \(key)=\(claimed) contradicts the tensors, which give \(inferred)")
            }
        }
        guard config.vocab == ByteVocabulary.size else {
            throw .architecture("vocabulary of \(config.vocab); Recur models are byte-level (256)")
        }
        guard config.layers >= 1 else { throw .architecture("no recurrent layers (rnn.weight_ih_l0 is missing)") }
        return config
    }

    /// The model as a safetensors file, with architecture and `metadata` in `__metadata__`.
    package var safetensorsFile: SafetensorsFile {
        var tensors: [String: SafetensorsTensor] = [:]
        for entry in layout.entries {
            tensors[entry.name] = SafetensorsTensor(shape: entry.shape, values: Array(parameters[entry.range]))
        }
        var meta = metadata
        meta["format"] = "recur-charlm"
        meta["version"] = "1"
        meta["cell"] = config.cell.rawValue
        meta["layers"] = String(config.layers)
        meta["hidden"] = String(config.hidden)
        meta["embedding"] = String(config.embedding)
        meta["vocab"] = String(config.vocab)
        return SafetensorsFile(metadata: meta, tensors: tensors)
    }

    /// Writes the model atomically, as float32 or float16.
    package func write(to url: URL, half: Bool = false) throws {
        try safetensorsFile.write(to: url, as: half ? .f16 : .f32)
    }

    /// The encoded file, as stored in a database BLOB.
    package func encoded(half: Bool = false) throws -> [UInt8] {
        try safetensorsFile.encoded(as: half ? .f16 : .f32)
    }
}
