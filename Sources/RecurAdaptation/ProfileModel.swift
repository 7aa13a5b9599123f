import Foundation
import RecurKernels
import RecurModel
import RecurStore

/// The model a profile completes with: its active adapter when that is sound and was trained from this base,
/// else the base model, with a warning saying why.
public struct ProfileModel: Sendable {
    public var model: LanguageModel<Float>
    public var adapterID: Int64?
    /// Why the active adapter was passed over, if it was.
    public var warnings: [String] = []

    public static func resolve(store: ModelStore?, profile: String, base: LanguageModel<Float>) -> ProfileModel {
        var resolved = ProfileModel(model: base, adapterID: nil)
        guard let store else { return resolved }
        do {
            guard let active = try store.activeAdapter(profile: profile) else { return resolved }
            guard active.baseSHA256 == base.sourceSHA256 else {
                resolved.warnings.append(
                    "profile '\(profile)': adapter \(active.id) was trained from another base model "
                        + "(\(active.baseSHA256.prefix(12))…); using the base model")
                return resolved
            }
            let weights = try store.weights(adapterID: active.id)
            do {
                var model = try LanguageModel<Float>(safetensors: weights, path: "adapter \(active.id)")
                guard model.config == base.config else {
                    resolved.warnings.append(
                        "profile '\(profile)': adapter \(active.id) has another architecture; using the base model")
                    return resolved
                }
                model.sourceSHA256 = active.sha256
                resolved.model = model
                resolved.adapterID = active.id
            } catch {
                resolved.warnings.append(
                    "profile '\(profile)': adapter \(active.id) cannot be read (\(error)); using the base model")
            }
        } catch {
            resolved.warnings.append("profile '\(profile)': \(error); using the base model")
        }
        return resolved
    }
}
