import Foundation
import Logging
import RecurDocuments
import RecurModel
import RecurProtocol

/// The language server: the connection's lifecycle and state. Its parts live beside it:
/// - `Messages/`: the stdio transport, the dispatch table (`Server+Dispatch`), early cancellations;
/// - `Documents/`: the open documents, their hidden-state checkpoints and the budget they share;
/// - `Completions/`: requests turned into model work on the `CompletionScheduler`'s threads, and the answers;
/// - `Engine/`: the weights in use, their generation, and the profile they come from;
/// - `Adaptation/`: `recur/adapt` jobs on a training thread of their own;
/// - `Learning/`: online learning from settled typed text, on a learning thread of its own.
///
/// Messages arrive in order through `handle(_:)`, and the actor does only bookkeeping: no model step runs on it.
/// A completion takes the bytes it needs from its document, and its answer is merged back by document version.
package actor Server {
    package enum Phase: Sendable { case uninitialized, running, shutDown }

    let send: @Sendable ([UInt8]) -> Void
    private let terminate: @Sendable (Int32) -> Void
    let logger: Logger
    var engineHost: EngineHost
    var settings: ServerSettings
    var documents: OpenDocuments
    let scheduler = CompletionScheduler()
    /// Cancellations as soon as they are read; the reading thread reports every message here (`observe`).
    package nonisolated let cancellations = RequestCancellations()
    var inFlight: [RequestID: Task<Void, Never>] = [:]
    private(set) var phase = Phase.uninitialized
    var encoding = PositionEncoding.utf16
    /// Whether the current engine's rows are computed independently (so an accepted candidate's state is exact).
    var rowsAreIndependent = false
    var latencies = LatencyRecorder()
    /// What completions leave out (the offensive-word list unless `filterOffensiveWords` is off).
    var filter: SuggestionFilter { SuggestionFilter(blocking: settings.filterOffensiveWords) }
    /// Each request gets its own seed, so repeated requests at one position offer fresh samples.
    var requestCounter: UInt64 = 0
    private let profileFromCommandLine: String?

    // Adaptation jobs (see Server+Adaptation).
    /// Files `recur/adapt` may read: inside these folders, unless `allowAnyPath`.
    var workspaceFolders: [String] = []
    var clientSupportsProgress = false
    var adaptJob: AdaptJob?
    var jobCounter = 0
    var outgoingRequestCounter = 0
    /// Outgoing `window/workDoneProgress/create` requests, by id, and the job each is for.
    var pendingProgressCreation: [RequestID: String] = [:]
    var latenciesDuringAdaptation = LatencyRecorder()

    // Online learning (see Learning/).
    let learner: OnlineLearner
    private let learnedWeights: AsyncStream<OnlineLearner.Publication>
    var learningBudget: LearningBudget
    var bytesSkippedBudget = 0
    var installedLearnerSequence = 0
    /// Saving what was learned and ending the learning thread, once started (at `shutdown` or end of input).
    private var learnerStop: Task<Void, Never>?

    /// `loadModel` loads the base model; `storePath` is the store of adapted models (nil: none), `profile` the
    /// profile named on the command line (else chosen at `initialize`), and `allowAnyPath` lets `recur/adapt` read
    /// files outside the workspace folders. `window`: states read 64 to 127 bytes of context, which costs the
    /// default model 0.03% in held-out loss against any longer context, and bounds a jump to 128 steps
    /// (Protocol/README.md). `checkpointBudget`: hidden states kept across documents (3 KB each with the default
    /// model). `onlineLearning`: learn from what the user types (initializationOptions may change it), saving the
    /// online layer every `learningSaveInterval` seconds of learning. `precision`: how the products run.
    package init(
        modelName: String, loadModel: @escaping @Sendable () throws -> LanguageModel<Float>,
        storePath: String? = nil, profile: String? = nil, allowAnyPath: Bool = false,
        window: ContextWindow = ContextWindow(interval: 64), checkpointBudget: Int = 1024,
        onlineLearning: Bool = true, learningSaveInterval: TimeInterval = 300,
        precision: InferencePrecision = .standard,
        send: @escaping @Sendable ([UInt8]) -> Void,
        terminate: @escaping @Sendable (Int32) -> Void, logger: Logger = Logger(label: "recur.server")
    ) {
        self.send = send
        self.terminate = terminate
        self.logger = logger
        profileFromCommandLine = profile
        // Loads in parallel with the handshake, so `initialize` is answered at once.
        engineHost = EngineHost(
            modelName: modelName, loadModel: loadModel, storePath: storePath, precision: precision)
        engineHost.profile = profile ?? "default"
        let budget = max(checkpointBudget, ServerSettings.minimumCheckpointBudget)
        settings = ServerSettings(checkpointBudget: budget, allowAnyPath: allowAnyPath)
        settings.onlineLearning = onlineLearning
        documents = OpenDocuments(window: window, checkpointBudget: budget)
        let (stream, continuation) = AsyncStream.makeStream(
            of: OnlineLearner.Publication.self, bufferingPolicy: .bufferingNewest(1))
        learnedWeights = stream
        learner = OnlineLearner(saveInterval: learningSaveInterval, precision: precision) { continuation.yield($0) }
        learningBudget = LearningBudget(bytesPerMinute: settings.learningBudget)
    }

    deinit {
        scheduler.stop()
        learner.close()
    }

    // MARK: Sending

    func reply(_ id: RequestID, _ result: some Encodable) {
        cancellations.answered(id)
        send(JSONRPC.response(id: id, result: result))
    }

    func fail(_ id: RequestID, _ error: ResponseError) {
        cancellations.answered(id)
        send(JSONRPC.errorResponse(id: id, error: error))
    }

    /// Sends a notification of our own to the client.
    func notify<N: NotificationType>(_ type: N.Type, _ params: N.Params) {
        do {
            send(try JSONRPC.notification(type, params))
        } catch {
            logger.error("cannot encode \(N.method): \(error)")
        }
    }

    /// Sends a request of our own to the client.
    func request<R: RequestType>(_ type: R.Type, id: RequestID, _ params: R.Params) {
        do {
            send(try JSONRPC.request(type, id: id, params))
        } catch {
            logger.error("cannot encode \(R.method): \(error)")
        }
    }

    /// Logs `message` and sends it to the client as `window/logMessage`: notifications have no response to carry
    /// an error, and the user should learn that the server ignored one.
    func warnClient(_ message: String, type: Int = LogMessageParams.warning) {
        if type == LogMessageParams.error { logger.error("\(message)") } else { logger.warning("\(message)") }
        notify(LogMessageNotification.self, LogMessageParams(type: type, message: message))
    }

    // MARK: Lifecycle

    /// The input ended (the client closed the pipe or died): exit, with status 0 only after `shutdown`.
    package func inputEnded() async {
        logger.info("input closed")
        await finishLearning()
        terminate(phase == .shutDown ? 0 : 1)
    }

    /// Starts saving what was learned and ending the learning thread (once).
    private func stopLearning() {
        guard learnerStop == nil else { return }
        let learner = self.learner
        learnerStop = Task.detached { await learner.stop() }
    }

    /// Waits for the learning thread to save, for up to 3 seconds: a client that does not wait for the process
    /// to end loses at most the updates since the last save, as with `kill -9`, and the store stays sound.
    private func finishLearning() async {
        stopLearning()
        guard let stop = learnerStop else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stop.value }
            group.addTask { try? await Task.sleep(for: .seconds(3)) }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Handshake

    func initialize(id: RequestID, params: InitializeParams) throws(ResponseError) {
        guard phase == .uninitialized else {
            throw ResponseError(code: .invalidRequest, message: "initialize may be sent only once")
        }
        encoding = params.capabilities.positionEncodings.contains(.utf8) ? .utf8 : .utf16
        clientSupportsProgress = params.capabilities.supportsWorkDoneProgress
        workspaceFolders = (params.workspaceFolders?.map(\.uri) ?? params.rootUri.map { [$0] } ?? [])
            .compactMap(Self.filePath(uri:))
        engineHost.profile = profileFromCommandLine ?? workspaceFolders.first ?? "default"
        var rejected: [String] = []
        if let options = params.initializationOptions {
            rejected = settings.apply(initializationOptions: options)
            if let path = settings.model { engineHost.loadBase(path: path) }
            if let name = settings.profile { engineHost.profile = name }
            if let path = settings.store { engineHost.storePath = path }
            documents.checkpointBudget = settings.checkpointBudget
            learningBudget = LearningBudget(bytesPerMinute: settings.learningBudget)
        }
        let published = learnedWeights
        Task { [weak self] in
            for await publication in published { await self?.learned(publication) }
        }
        reloadEngine()
        phase = .running
        let capabilities = ServerCapabilities(
            positionEncoding: encoding == .utf8 ? .utf8 : .utf16,
            textDocumentSync: TextDocumentSyncOptions(openClose: true, change: .incremental),
            completionProvider: CompletionOptions(triggerCharacters: [".", "_", " "], resolveProvider: false),
            inlineCompletionProvider: .options(InlineCompletionOptions()))
        reply(id, InitializeResult(capabilities: capabilities, serverInfo: ServerInfo(name: "recur", version: "0.1.0")))
        // After the answer: a client shows messages only once it has initialized.
        for message in rejected {
            logger.error("\(message)")
            notify(ShowMessageNotification.self, LogMessageParams(type: LogMessageParams.error, message: message))
        }
    }

    /// Answers what is in flight first (cancelled requests get -32800), then the shutdown itself. A running
    /// adaptation stops at its next minibatch and stores nothing.
    func shutdown(id: RequestID) async {
        phase = .shutDown
        adaptJob?.cancel.set()
        let running = Array(inFlight.values)
        for task in running { task.cancel() }
        for task in running { await task.value }
        // Saving starts now and is awaited at `exit`: clients allow `shutdown` little time (eglot: 1.5 s).
        stopLearning()
        reply(id, NullResponse())
    }

    func exit() async {
        if phase == .shutDown { await finishLearning() }
        terminate(phase == .shutDown ? 0 : 1)
    }
}
