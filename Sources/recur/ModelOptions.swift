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

    /// Loads the model, and sets BLAS to one thread: batch-1 inference is fastest there, and a second BLAS thread
    /// spinning against other work on 2 cores made steps several times slower.
    func load() throws -> LanguageModel<Float> {
        let base = try loadBase()
        guard let profile else { return base }
        var warnings: [String] = []
        var opened: ModelStore?
        if FileManager.default.fileExists(atPath: store.path) {  // reading never creates a store
            do {
                opened = try ModelStore(path: store.path)
            } catch {
                warnings.append("\(error); using the base model")
            }
        }
        let resolved = ProfileModel.resolve(store: opened, profile: profile, base: base)
        for warning in warnings + resolved.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        return resolved.model
    }

    /// The base model: the file named by --model, or the embedded default.
    func loadBase() throws -> LanguageModel<Float> {
        BLASThreads.set(1)
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
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 (off) or a positive count") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
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
