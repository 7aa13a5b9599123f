import RecurModel
import RecurProtocol

/// `recur/status`: the model, the documents and their states, memory, latency, the profile and adaptation.
extension Server {
    func status() async -> RecurStatus {
        var loadError: String?
        let engine: InferenceEngine?
        do {
            engine = try await engineHost.engine.value
        } catch {
            engine = nil
            loadError = String(describing: error)
        }
        let model = engine.map { e in
            RecurStatus.Model(
                name: engineHost.modelName, architecture: e.config.description, parameters: e.model.parameters.count,
                sha256: e.model.sourceSHA256, precision: e.kernelDescription)
        }
        var status = RecurStatus(
            model: model, openDocuments: documents.count, hiddenStates: documents.hiddenStates,
            stateSteps: documents.stateSteps, residentMemoryBytes: ProcessMemory.residentBytes(),
            completionLatency: Self.latency(latencies), positionEncoding: encoding.rawValue)
        status.modelError = loadError
        status.profile = engineHost.profile
        status.adapterId = engineHost.activeAdapterID
        status.store = engineHost.storePath
        status.storeWarnings = engineHost.storeWarnings.isEmpty ? nil : engineHost.storeWarnings
        status.adaptation = adaptJob.map {
            RecurStatus.Job(
                jobId: $0.id, profile: $0.profile, step: $0.step, totalSteps: $0.totalSteps, message: $0.message)
        }
        if latenciesDuringAdaptation.total > 0 {
            status.completionLatencyDuringAdaptation = Self.latency(latenciesDuringAdaptation)
        }
        status.onlineLearning = onlineLearningStatus()
        return status
    }

    private static func latency(_ l: LatencyRecorder) -> RecurStatus.Latency {
        RecurStatus.Latency(
            count: l.total, p50Milliseconds: l.percentile(50), p95Milliseconds: l.percentile(95),
            p99Milliseconds: l.percentile(99))
    }
}
