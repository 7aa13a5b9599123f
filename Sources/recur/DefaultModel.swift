import CDefaultModel
import RecurModel

/// The model that ships inside the `recur` binary (Models/default.safetensors, see Models/MODEL.md), used by
/// every command when no model is named.
package enum DefaultModel {
    /// The embedded safetensors bytes.
    package static var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: recur_default_model_bytes(), count: recur_default_model_size())
    }

    package static func load() throws(ModelFileError) -> LanguageModel<Float> {
        try LanguageModel<Float>(safetensors: bytes, path: "<embedded default model>")
    }
}
