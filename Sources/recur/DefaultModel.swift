import CDefaultModel
import RecurModel

#if canImport(Glibc)
    import Glibc
#endif

/// The model that ships inside the `recur` binary (Models/default.safetensors, see Models/MODEL.md), used by
/// every command when no model is named.
package enum DefaultModel {
    /// The embedded safetensors bytes.
    package static var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: recur_default_model_bytes(), count: recur_default_model_size())
    }

    package static func load() throws(ModelFileError) -> LanguageModel<Float> {
        let model = try LanguageModel<Float>(safetensors: bytes, path: "<embedded default model>")
        releasePages()
        return model
    }

    /// Hands the pages of the embedded bytes back once they are read (1.9 MB of resident memory for the daemon's
    /// lifetime otherwise). They are a read-only part of the executable's file, so a later read maps them in
    /// again from the file.
    private static func releasePages() {
        #if canImport(Glibc)
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: bytes.baseAddress) + page - 1) / page * page
            let end = (Int(bitPattern: bytes.baseAddress) + bytes.count) / page * page
            guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(address, end - start, MADV_DONTNEED)
        #endif
    }
}
