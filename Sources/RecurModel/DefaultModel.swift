import CDefaultModel
import RecurKernels

/// The model that ships inside the `recur` binary (Models/default.safetensors, see Models/MODEL.md), used by
/// every command when no model is named.
public enum DefaultModel {
    /// The embedded safetensors bytes.
    public static var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: recur_default_model_bytes(), count: recur_default_model_size())
    }

    public static func load() throws(ModelFileError) -> LanguageModel<Float> {
        try LanguageModel<Float>(safetensors: bytes, path: "<embedded default model>")
    }
}
