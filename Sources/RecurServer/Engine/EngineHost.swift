import Foundation
import RecurAdaptation
import RecurModel
import RecurProtocol

/// The weights completions use, and where they come from: the base model (loaded in parallel with the handshake),
/// the profile and its store, the adapter the profile resolved to, a generation that tells predictors of replaced
/// weights apart, and an epoch that tells states apart. Owned by the server actor.
///
/// Reloading the profile (another profile, a finished adaptation) starts a new epoch: every state is dropped. An
/// online update only starts a new generation: states computed before it are kept and carried forward, as dynamic
/// evaluation does (Protocol/README.md, "Online learning").
struct EngineHost {
    /// How the base model is named in `recur/status` and in the store.
    var modelName: String
    private(set) var baseModel: Task<LanguageModel<Float>, any Error>
    /// The profile's active adapter, or the base model. Replaced (never mutated) when the profile changes or an
    /// adaptation finishes.
    private(set) var engine: Task<InferenceEngine, any Error>
    private(set) var generation = 0
    /// The generation of the last reload: states of an earlier epoch are never used again.
    private(set) var epoch = 0
    var profile: String
    var storePath: String?
    private(set) var activeAdapterID: Int64?
    private(set) var storeWarnings: [String] = []
    /// How the products of every engine run (`InferencePrecision`).
    let precision: InferencePrecision

    init(
        modelName: String, loadModel: @escaping @Sendable () throws -> LanguageModel<Float>, storePath: String?,
        precision: InferencePrecision
    ) {
        self.modelName = modelName
        self.storePath = storePath
        self.precision = precision
        profile = "default"
        baseModel = Task.detached(priority: .userInitiated) { try loadModel() }
        engine = Task { throw ResponseError.serverNotInitialized }
    }

    /// Uses the model file at `path` as the base model instead.
    mutating func loadBase(path: String) {
        modelName = path
        baseModel = Task.detached(priority: .userInitiated) {
            try LanguageModel<Float>(contentsOf: URL(fileURLWithPath: path))
        }
    }

    /// Resolves the profile's model (its online layer over its active adapter, else the base model) into a new
    /// engine of a new generation and epoch; `resolved` hears what it was, with the base model (and the
    /// generation, to ignore stale answers).
    mutating func reload(
        resolved: @escaping @Sendable (_ generation: Int, ProfileModel, _ base: LanguageModel<Float>) async -> Void
    ) {
        generation += 1
        epoch = generation
        let generation = generation, base = baseModel, storePath = storePath, profile = profile
        let precision = precision
        engine = Task.detached(priority: .userInitiated) {
            let model = try await base.value
            let profileModel = ProfileModel.resolve(storePath: storePath, profile: profile, base: model)
            await resolved(generation, profileModel, model)
            return profileModel.onlineLayer == nil
                ? InferenceEngine(model: profileModel.model, precision: precision)
                : OnlineLearner.engine(profileModel.model, precision: precision)
        }
    }

    /// Puts in weights learned online above the current epoch's: a new generation, the same epoch.
    mutating func install(learned: InferenceEngine) {
        generation += 1
        engine = Task { learned }
    }

    /// Takes note of what `reload` resolved, if it is still the current generation.
    mutating func resolved(generation: Int, _ profileModel: ProfileModel) -> Bool {
        guard generation == self.generation else { return false }
        activeAdapterID = profileModel.adapterID
        storeWarnings = profileModel.warnings
        return true
    }
}
