import Foundation
import RecurKernels
import RecurModel
import RecurStore

/// The model a profile completes with: its online layer (what the daemon learned from typing) over its active
/// adapter when that is sound and was trained from this base, else the base model, with a warning saying why.
package struct ProfileModel: Sendable {
    /// The weights completions use: the online layer's, or else the anchor's.
    package var model: LanguageModel<Float>
    /// The active adapter (or the base model): what the online layer was learned above, and decays toward.
    package var anchor: LanguageModel<Float>
    package var adapterID: Int64?
    /// The online layer in `model`, if there is one.
    package var onlineLayer: OnlineLayerInfo?
    /// Why the active adapter was passed over, if it was.
    package var warnings: [String] = []

    /// Resolves `profile` in the store at `storePath`, which is only read: a missing store means the base model,
    /// and one that cannot be opened the base model with a warning. The command line and the daemon both use this.
    package static func resolve(storePath: String?, profile: String, base: LanguageModel<Float>) -> ProfileModel {
        var store: ModelStore?
        var warnings: [String] = []
        if let storePath, FileManager.default.fileExists(atPath: storePath) {  // reading never creates a store
            do {
                store = try ModelStore(path: storePath)
            } catch {
                warnings.append("\(error); using the base model")
            }
        }
        var resolved = resolve(store: store, profile: profile, base: base)
        resolved.warnings = warnings + resolved.warnings
        return resolved
    }

    package static func resolve(store: ModelStore?, profile: String, base: LanguageModel<Float>) -> ProfileModel {
        var resolved = ProfileModel(model: base, anchor: base, adapterID: nil)
        guard let store else { return resolved }
        resolved.resolveAdapter(store: store, profile: profile, base: base)
        resolved.anchor = resolved.model
        resolved.resolveOnlineLayer(store: store, profile: profile, base: base)
        return resolved
    }

    private mutating func resolveAdapter(store: ModelStore, profile: String, base: LanguageModel<Float>) {
        do {
            guard let active = try store.activeAdapter(profile: profile) else { return }
            guard active.baseSHA256 == base.sourceSHA256 else {
                warnings.append(
                    "profile '\(profile)': adapter \(active.id) was trained from another base model "
                        + "(\(active.baseSHA256.prefix(12))…); using the base model")
                return
            }
            let weights = try store.weights(adapterID: active.id)
            do {
                var model = try Self.adapterModel(weights: weights, name: "adapter \(active.id)", base: base)
                model.sourceSHA256 = active.sha256
                self.model = model
                adapterID = active.id
            } catch {
                warnings.append("profile '\(profile)': \(error); using the base model")
            }
        } catch {
            warnings.append("profile '\(profile)': \(error); using the base model")
        }
    }

    /// The online layer, when it was learned above the adapter now in use (the store drops it when the active
    /// adapter changes) and reads as a model of the base's architecture.
    private mutating func resolveOnlineLayer(store: ModelStore, profile: String, base: LanguageModel<Float>) {
        do {
            guard let layer = try store.onlineLayer(profile: profile) else { return }
            guard layer.adapterId == adapterID, layer.baseSHA256 == base.sourceSHA256 else {
                warnings.append(
                    "profile '\(profile)': its online layer was learned above "
                        + "\(layer.adapterId.map { "adapter \($0)" } ?? "the base model"), which is not in use; "
                        + "it is left out (and replaced when learning saves)")
                return
            }
            var model = try Self.adapterModel(
                weights: try store.onlineLayerWeights(profile: profile), name: "the online layer of '\(profile)'",
                base: base)
            model.sourceSHA256 = anchor.sourceSHA256
            self.model = model
            onlineLayer = layer
        } catch {
            warnings.append("profile '\(profile)': \(error); its online layer is left out")
        }
    }

    /// Reads an adapter's weights (a safetensors BLOB from the store) as a model for `base`: it must be a sound
    /// model file of exactly the base's architecture.
    package static func adapterModel(weights: [UInt8], name: String, base: LanguageModel<Float>) throws(AdapterError)
        -> LanguageModel<Float>
    {
        let model: LanguageModel<Float>
        do {
            model = try LanguageModel<Float>(safetensors: weights, path: name)
        } catch {
            throw .unreadable(name: name, error)
        }
        guard model.config == base.config else {
            throw .architecture(name: name, found: model.config, expected: base.config)
        }
        return model
    }

    /// Why an adapter's weights cannot stand in for the base model.
    package enum AdapterError: Error, Equatable, CustomStringConvertible {
        case unreadable(name: String, ModelFileError)
        case architecture(name: String, found: ModelConfig, expected: ModelConfig)

        package var description: String {
            switch self {
            case .unreadable(let name, let error): "\(name) cannot be read (\(error))"
            case .architecture(let name, let found, let expected):
                "\(name) has another architecture (\(found), the base model is \(expected))"
            }
        }
    }
}
