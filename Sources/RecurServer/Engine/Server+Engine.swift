import RecurAdaptation
import RecurProtocol

/// Which weights the connection completes with: reloading them when the profile changes or an adaptation
/// finishes, and `recur/setProfile`.
extension Server {
    /// Resolves the profile's model into a new engine, and drops every state and predictor computed with the
    /// previous weights: documents recompute their states lazily. Requests already running finish on the
    /// weights they started with; none sees a mix.
    func reloadEngine() {
        engineHost.reload { [weak self] generation, profileModel in
            await self?.engineResolved(generation: generation, profileModel)
        }
        scheduler.reset(generation: engineHost.generation)
        documents.weightsReplaced(generation: engineHost.generation)
    }

    private func engineResolved(generation: Int, _ profileModel: ProfileModel) {
        guard engineHost.resolved(generation: generation, profileModel) else { return }
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
