import RecurAdaptation
import RecurModel
import RecurProtocol

/// Which weights the connection completes with: reloading them when the profile changes or an adaptation
/// finishes, and `recur/setProfile`.
extension Server {
    /// Resolves the profile's model into a new engine, and drops every state and predictor computed with the
    /// previous weights: documents recompute their states lazily. Requests already running finish on the
    /// weights they started with; none sees a mix.
    func reloadEngine() {
        engineHost.reload { [weak self] generation, profileModel, base in
            await self?.engineResolved(generation: generation, profileModel, base: base)
        }
        scheduler.reset(generation: engineHost.generation)
        documents.weightsReloaded(epoch: engineHost.epoch)
    }

    private func engineResolved(generation: Int, _ profileModel: ProfileModel, base: LanguageModel<Float>) {
        guard engineHost.resolved(generation: generation, profileModel) else { return }
        learnerResolved(epoch: generation, profileModel, base: base)
        for warning in profileModel.warnings { logger.error("\(warning)") }
        logger.info(
            "profile '\(engineHost.profile)': \(profileModel.adapterID.map { "adapter \($0)" } ?? "the base model")")
    }

    func setProfile(id: RequestID, _ p: RecurSetProfileParams) async throws(ResponseError) {
        guard !p.profile.isEmpty else { throw .invalidParams("profile: must not be empty") }
        engineHost.profile = p.profile
        reloadEngine()
        _ = try? await engineHost.engine.value
        let warnings = engineHost.storeWarnings
        reply(
            id,
            RecurSetProfileResult(
                profile: engineHost.profile, adapterId: engineHost.activeAdapterID,
                warnings: warnings.isEmpty ? nil : warnings))
    }
}
