import Foundation
import RecurAdaptation
import RecurModel
import RecurProtocol
import RecurStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A stop request shared between the actor and a training thread.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// The adaptation job running now (one at a time).
struct AdaptJob {
    let id: String
    let profile: String
    let token: ProgressToken
    let requestID: RequestID
    let cancel = CancelFlag()
    /// True once the client accepted the progress token (or supplied it).
    var progressEnabled: Bool
    var step = 0
    var totalSteps = 0
    var message = "starting"
    var lastPercentage = -1
    var lastReport = Date.distantPast
}

/// What the training thread tells the actor, in order.
enum AdaptEvent: Sendable {
    case progress(AdaptationProgress)
    case finished(Result<AdaptationResult, AdaptationError>)
}

extension Server {
    // MARK: recur/adapt

    func startAdaptation(id: RequestID, params p: RecurAdaptParams) async throws(ResponseError) {
        if let job = adaptJob {
            throw .requestFailed("an adaptation is already running (job \(job.id), profile '\(job.profile)')")
        }
        let sources = [p.paths != nil, p.uris != nil, p.openDocuments == true].filter { $0 }.count
        guard sources == 1 else { throw .invalidParams("give exactly one of paths, uris and openDocuments: true") }
        let settings: AdaptationSettings
        do throws(InvalidSetting) {
            settings = try AdaptationSettings(validatingSteps: p.steps, minutes: p.minutes, learningRate: p.lr)
        } catch {
            throw .invalidParams(error.description)
        }
        let profile = p.profile ?? engineHost.profile
        guard !profile.isEmpty else { throw .invalidParams("profile: must not be empty") }
        guard let storePath = engineHost.storePath else {
            throw .requestFailed("this server was started without a store")
        }

        // Text from memory now; files are read on the training thread, after the trust check here.
        var texts: [CollectedText] = []
        var paths: [String] = []
        if p.openDocuments == true {
            texts = documents.userDocuments.map { CollectedText(path: $0.uri, bytes: $0.buffer.bytes) }
            guard !texts.isEmpty else { throw .invalidParams("openDocuments: no documents are open") }
        }
        for uri in p.uris ?? [] {
            if let open = documents[uri] {
                texts.append(CollectedText(path: uri, bytes: open.document.buffer.bytes))
            } else if let path = Self.filePath(uri: uri) {
                paths.append(path)
            } else {
                throw .invalidParams("uris: \(uri) is neither open nor a file: URI")
            }
        }
        paths += p.paths ?? []
        for path in paths where !isAllowed(path) {
            throw .requestFailed(
                "\(path) is outside the workspace folders (\(workspaceFolders.joined(separator: ", "))); "
                    + "start recur with --allow-any-path or set initializationOptions.allowAnyPath to read it")
        }
        let base: LanguageModel<Float>
        do {
            base = try await engineHost.baseModel.value
        } catch {
            throw .requestFailed("the model could not be loaded: \(error)")
        }
        if adaptJob != nil { throw .requestFailed("an adaptation is already running") }

        jobCounter += 1
        let jobID = "adapt-\(jobCounter)"
        let token = p.workDoneToken ?? .string("recur-\(jobID)")
        var job = AdaptJob(
            id: jobID, profile: profile, token: token, requestID: id, progressEnabled: p.workDoneToken != nil)
        if p.workDoneToken == nil && clientSupportsProgress {
            outgoingRequestCounter += 1
            let requestID = RequestID.string("recur-progress-\(outgoingRequestCounter)")
            pendingProgressCreation[requestID] = jobID
            request(CreateWorkDoneProgressRequest.self, id: requestID, WorkDoneProgressCreateParams(token: token))
        }
        adaptJob = job
        reply(id, RecurAdaptResult(jobId: jobID, profile: profile, token: token))
        if job.progressEnabled {
            sendProgress(
                token,
                .begin(WorkDoneProgressBegin(title: "Recur: adapting '\(profile)'", cancellable: true, percentage: 0)))
            job.lastPercentage = 0
            adaptJob = job
        }
        logger.info("\(jobID): adapting profile '\(profile)' on \(texts.count) documents and \(paths.count) paths")

        let cancel = job.cancel
        let baseName = engineHost.modelName
        let (events, continuation) = AsyncStream.makeStream(of: AdaptEvent.self)
        let memoryTexts = texts, filePaths = paths
        let thread = Thread {
            // Below the daemon's own threads: completions keep their core (Linux nice values are per thread).
            #if canImport(Glibc)
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            #endif
            let outcome: Result<AdaptationResult, AdaptationError>
            do throws(AdaptationError) {
                var all = memoryTexts
                if !filePaths.isEmpty { all += TextCollector().collect(filePaths).texts }
                let store = try Self.openStore(storePath)
                outcome = .success(
                    try Adaptation.run(
                        store: store, profile: profile, base: base, baseName: baseName, texts: all,
                        settings: settings, threads: 1, shouldStop: { cancel.isSet },
                        progress: { continuation.yield(.progress($0)) }))
            } catch {
                outcome = .failure(error)
            }
            continuation.yield(.finished(outcome))
            continuation.finish()
        }
        thread.name = "recur-adapt"
        thread.start()
        Task { [weak self] in
            for await event in events {
                guard let self else { return }
                switch event {
                case .progress(let p): await self.adaptationProgressed(jobID: jobID, p)
                case .finished(let result): await self.adaptationFinished(jobID: jobID, result)
                }
            }
        }
    }

    private static func openStore(_ path: String) throws(AdaptationError) -> ModelStore {
        do {
            return try ModelStore(path: path)
        } catch {
            throw .store(error)
        }
    }

    func cancelAdaptation(id: RequestID, _ p: RecurCancelAdaptParams) throws(ResponseError) {
        guard let job = adaptJob, job.id == p.jobId else {
            throw .invalidParams("jobId: no adaptation job '\(p.jobId)' is running")
        }
        job.cancel.set()
        reply(id, NullResponse())
    }

    /// `window/workDoneProgress/cancel` of the running job's token.
    func cancelProgress(_ token: ProgressToken) {
        if let job = adaptJob, job.token == token { job.cancel.set() }
    }

    private func sendProgress(_ token: ProgressToken, _ value: WorkDoneProgress) {
        notify(ProgressNotification.self, ProgressParams(token: token, value: value))
    }

    func progressCreationAnswered(id: RequestID, accepted: Bool) {
        guard let jobID = pendingProgressCreation.removeValue(forKey: id) else { return }
        guard accepted, var job = adaptJob, job.id == jobID else { return }
        job.progressEnabled = true
        job.lastPercentage = 0
        adaptJob = job
        sendProgress(
            job.token,
            .begin(
                WorkDoneProgressBegin(
                    title: "Recur: adapting '\(job.profile)'", cancellable: true, message: job.message, percentage: 0)))
    }

    private func adaptationProgressed(jobID: String, _ p: AdaptationProgress) {
        guard var job = adaptJob, job.id == jobID else { return }
        job.step = p.step
        job.totalSteps = p.totalSteps
        job.message = p.message
        let percentage = Int(p.fraction * 100)
        let now = Date()
        if job.progressEnabled && percentage != job.lastPercentage && now.timeIntervalSince(job.lastReport) >= 0.2 {
            job.lastPercentage = percentage
            job.lastReport = now
            sendProgress(job.token, .report(WorkDoneProgressReport(message: p.message, percentage: percentage)))
        }
        adaptJob = job
    }

    private func adaptationFinished(jobID: String, _ result: Result<AdaptationResult, AdaptationError>) {
        guard let job = adaptJob, job.id == jobID else { return }
        adaptJob = nil
        let params: RecurAdaptFinishedParams
        switch result {
        case .success(let r):
            params = RecurAdaptFinishedParams(
                jobId: jobID, profile: r.profile, outcome: r.outcome.rawValue, adapterId: r.adapter?.id,
                valLossBefore: r.valLossBefore, valLossAfter: r.valLossAfter, steps: r.steps, seconds: r.seconds,
                message: r.message)
            for warning in r.warnings { logger.warning("\(warning)") }
            if (r.outcome == .improved || r.outcome == .reused) && r.profile == engineHost.profile { reloadEngine() }
        case .failure(let error):
            params = RecurAdaptFinishedParams(
                jobId: jobID, profile: job.profile, outcome: "failed", message: error.description)
        }
        logger.info("\(jobID): \(params.message)")
        if job.progressEnabled { sendProgress(job.token, .end(WorkDoneProgressEnd(message: params.message))) }
        notify(RecurAdaptFinishedNotification.self, params)
    }

    // MARK: Trust

    /// The path of a `file:` URI.
    static func filePath(uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return url.standardizedFileURL.path
    }

    /// Inside a workspace folder (after resolving symbolic links), or any path when allowed.
    func isAllowed(_ path: String) -> Bool {
        if settings.allowAnyPath { return true }
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        return workspaceFolders.contains { folder in
            let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
            return resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/")
        }
    }
}
