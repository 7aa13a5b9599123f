import ArgumentParser
import Foundation
import RecurAdaptation
import RecurKernels
import RecurModel
import RecurStore

/// Which model a command runs on: a file, or the default model embedded in the binary; with `--profile`, that
/// profile's active adapter from the store (falling back to the base model, with a warning, when it is unusable).
struct ModelOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A model file (.safetensors in PyTorch layout, or a training checkpoint). Default: the embedded model.",
            valueName: "path"))
    var model: String?

    @Option(help: "Use this profile's adapted model from the store (see `recur models list`).")
    var profile: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let model, !FileManager.default.fileExists(atPath: model) {
            throw ValidationError("no model file at '\(model)'")
        }
    }

    /// Loads the model: the profile's active adapter, else the base model.
    func load() throws -> LanguageModel<Float> {
        let base = try loadBase()
        guard let profile else { return base }
        let resolved = ProfileModel.resolve(storePath: store.path, profile: profile, base: base)
        for warning in resolved.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        return resolved.model
    }

    /// The base model: the file named by --model, or the embedded default.
    func loadBase() throws -> LanguageModel<Float> {
        do {
            guard let model else { return try DefaultModel.load() }
            return try LanguageModel<Float>(contentsOf: URL(fileURLWithPath: model))
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// How the base model is named in the store.
    var baseName: String { model.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "default (embedded)" }
}

/// How inference runs: the precision of the products and the threads that split them.
struct InferenceOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Weights for inference: int8 (the default; within 0.03% of f32's held-out loss), f16 or f32.",
            valueName: "f32|f16|int8"))
    var precision: InferencePrecision = .standard

    @Option(help: "Threads that split each product of a step (1: the calling thread only).")
    var threads: Int = 2

    func validate() throws {
        guard (1...8).contains(threads) else { throw ValidationError("--threads must be between 1 and 8") }
    }

    /// The engine for `model` in this precision, with the thread pool set to --threads.
    func engine(_ model: LanguageModel<Float>) -> InferenceEngine {
        ThreadPool.threads = threads
        return InferenceEngine(model: model, precision: precision)
    }
}

extension InferencePrecision: ExpressibleByArgument {
    public init?(argument: String) {
        guard let value = InferencePrecision(rawValue: argument), value != .automatic else { return nil }
        self = value
    }

    public static var allValueStrings: [String] { ["f32", "f16", "int8"] }
}

/// Where the store is: --store, else $XDG_DATA_HOME/recur/recur.sqlite.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite store. Default: $XDG_DATA_HOME/recur/recur.sqlite.", valueName: "path"))
    var store: String?

    var path: String { store ?? ModelStore.defaultPath() }

    func open() throws -> ModelStore {
        do {
            return try ModelStore(path: path)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// Sampling options shared by `generate` and `complete`.
struct SamplingArguments: ParsableArguments {
    @Option(help: "Sampling temperature: below 1 is safer, above 1 more varied. 0 is greedy.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Sample only among the k most probable bytes (0: all).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Sample only from the smallest set of bytes whose probability reaches p.")
    var topP: Float = 1

    @Option(help: "Random seed; the same seed gives the same output.")
    var seed: UInt64 = 0

    func validate() throws {
        try Self.check { () throws(InvalidSetting) in
            _ = try SamplingOptions().setting(temperature: Double(temperature), topK: topK, topP: Double(topP))
        }
    }

    /// Runs the shared rule (`SamplingOptions.setting`) and reports a broken one under its flag's name.
    static func check(_ rule: () throws(InvalidSetting) -> Void) throws {
        do throws(InvalidSetting) {
            try rule()
        } catch {
            let flags = ["n": "--n", "maxChars": "--max-chars", "topK": "--top-k", "topP": "--top-p"]
            throw ValidationError("\(flags[error.field] ?? "--\(error.field)") \(error.rule)")
        }
    }

    func options(count: Int, maxBytes: Int, stop: StopRule, greedy: Bool = false) -> SamplingOptions {
        SamplingOptions(
            count: count, temperature: greedy ? 0 : temperature, topK: topK == 0 ? nil : topK, topP: topP,
            maxBytes: maxBytes, stop: stop, seed: seed)
    }
}

extension StopRule: ExpressibleByArgument {}
extension CellKind: ExpressibleByArgument {}

/// Writes to the real stdout without buffering surprises.
func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// A failure while running a command (as opposed to bad arguments): printed as "Error: ..." without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
