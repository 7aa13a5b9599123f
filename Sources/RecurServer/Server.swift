import Foundation
import Logging
import RecurDocuments
import RecurKernels
import RecurModel
import RecurProtocol
import RecurStore

/// The language server: owns the connection state and the open documents, routes messages, and runs completions.
///
/// Messages arrive in order through `handle(_:)`. Notifications and cheap requests are handled there; completions
/// take a snapshot of their document (text and state checkpoints) and run in a task of their own, kept by request
/// id so that `$/cancelRequest` can cancel it while the next messages keep flowing. A completion is answered for the
/// document version it saw; its updated checkpoints are kept only if that version is still current.
package actor Server {
    package enum Phase: Sendable { case uninitialized, running, shutDown }

    struct OpenDocument {
        var document: Document
        var checkpoints: HiddenStateCheckpoints
        /// The continuations last offered at `candidatesOffset`, with the states after them: when the next edit
        /// inserts one of them there, its state is recorded instead of recomputed.
        var candidates: [Completion] = []
        var candidatesOffset = 0
        /// When a completion last used this document, for the least-recently-used eviction of checkpoints.
        var lastUsed: UInt64 = 0
    }

    let send: @Sendable ([UInt8]) -> Void
    private let terminate: @Sendable (Int32) -> Void
    let logger: Logger
    /// The base model, loaded in parallel with the handshake.
    var baseModelTask: Task<LanguageModel<Float>, any Error>
    /// The model completions use: the profile's active adapter, or the base model. Replaced (never mutated) when
    /// the profile changes or an adaptation finishes; `engineGeneration` tells old predictors and states apart.
    var engineTask: Task<InferenceEngine, any Error>
    var engineGeneration = 0
    var modelName: String
    /// The connection's profile and the store its adapters live in (opened only when it exists or is needed).
    var profile: String
    var storePath: String?
    var activeAdapterID: Int64?
    var storeWarnings: [String] = []
    /// Files `recur/adapt` may read: inside these folders, unless `allowAnyPath`.
    var workspaceFolders: [String] = []
    var allowAnyPath: Bool
    var clientSupportsProgress = false
    var adaptJob: AdaptJob?
    var jobCounter = 0
    var outgoingRequestCounter = 0
    /// Outgoing `window/workDoneProgress/create` requests, by id, and the job each is for.
    var pendingProgressCreation: [RequestID: String] = [:]
    var latenciesDuringAdaptation = LatencyRecorder()
    private(set) var phase = Phase.uninitialized
    private var encoding = PositionEncoding.utf16
    var documents: [DocumentURI: OpenDocument] = [:]
    private var inFlight: [RequestID: Task<Void, Never>] = [:]
    /// Computes completions, off the cooperative pool, each with a predictor of its own.
    let workers = CompletionWorkers()
    /// Cancellations as soon as they are read; the stdin thread reports every message here (`observe`).
    package nonisolated let cancellations = RequestCancellations()
    /// Advances document states on the actor; completions take theirs from `workers`.
    var statePredictor: Predictor?
    private var latencies = LatencyRecorder()
    private var defaults = SamplingOptions(count: 6, temperature: 0.7, maxBytes: 40, stop: .word)
    /// The window rule for document states (see `ContextWindow`); chosen by measurement, see the README.
    let window: ContextWindow
    /// At most this many hidden states are kept across all documents; the least recently used documents lose
    /// theirs first (they are recomputed, at most 2·interval steps, when needed again).
    private var checkpointBudget: Int
    private var useCounter: UInt64 = 0

    /// `loadModel` loads the base model; `storePath` is the store of adapted models (nil: none), `profile` the
    /// profile named on the command line (else chosen at `initialize`), and `allowAnyPath` lets `recur/adapt` read
    /// files outside the workspace folders.
    package init(
        modelName: String, loadModel: @escaping @Sendable () throws -> LanguageModel<Float>,
        storePath: String? = nil, profile: String? = nil, allowAnyPath: Bool = false,
        window: ContextWindow = ContextWindow(interval: 256), checkpointBudget: Int = 2048,
        send: @escaping @Sendable ([UInt8]) -> Void,
        terminate: @escaping @Sendable (Int32) -> Void, logger: Logger = Logger(label: "recur.server")
    ) {
        self.send = send
        self.terminate = terminate
        self.logger = logger
        self.modelName = modelName
        self.storePath = storePath
        self.profileFromCommandLine = profile
        self.profile = profile ?? "default"
        self.allowAnyPath = allowAnyPath
        self.window = window
        self.checkpointBudget = max(checkpointBudget, 8)
        // Load in parallel with the handshake, so `initialize` is answered at once.
        baseModelTask = Task.detached(priority: .userInitiated) {
            BLASThreads.set(1)
            return try loadModel()
        }
        engineTask = Task { throw ResponseError.serverNotInitialized }
    }

    private let profileFromCommandLine: String?

    // MARK: Dispatch

    package func handle(_ message: IncomingMessage) async {
        switch message {
        case .request(let id, let method, let params):
            await handleRequest(id: id, method: method, params: params)
        case .notification(let method, let params):
            await handleNotification(method: method, params: params)
        case .response(let id, _):
            progressCreationAnswered(id: id, accepted: true)
        case .errorResponse(let id, _):
            if let id { progressCreationAnswered(id: id, accepted: false) }
        }
    }

    /// The input ended (the client closed the pipe or died): exit, with status 0 only after `shutdown`.
    package func inputEnded() {
        logger.info("input closed")
        terminate(phase == .shutDown ? 0 : 1)
    }

    func reply(_ id: RequestID, _ result: some Encodable) {
        cancellations.answered(id)
        send(JSONRPC.response(id: id, result: result))
    }

    /// Sends a notification or a request of our own to the client.
    func notify<N: NotificationType>(_ type: N.Type, _ params: N.Params) {
        do {
            send(try JSONRPC.notification(type, params))
        } catch {
            logger.error("cannot encode \(N.method): \(error)")
        }
    }

    func request<R: RequestType>(_ type: R.Type, id: RequestID, _ params: R.Params) {
        do {
            send(try JSONRPC.request(type, id: id, params))
        } catch {
            logger.error("cannot encode \(R.method): \(error)")
        }
    }
    private func fail(_ id: RequestID, _ error: ResponseError) {
        cancellations.answered(id)
        send(JSONRPC.errorResponse(id: id, error: error))
    }

    private func handleRequest(id: RequestID, method: String, params: JSONValue?) async {
        if phase == .uninitialized && method != InitializeRequest.method {
            return fail(id, .serverNotInitialized)
        }
        if phase == .shutDown {
            return fail(id, ResponseError(code: .invalidRequest, message: "the server is shutting down"))
        }
        do throws(ResponseError) {
            switch method {
            case InitializeRequest.method:
                try initialize(id: id, params: InitializeRequest.decodeParams(params))
            case ShutdownRequest.method:
                // Answer what is in flight first (cancelled requests get -32800), then the shutdown itself.
                // A running adaptation stops at its next minibatch and stores nothing.
                phase = .shutDown
                adaptJob?.cancel.set()
                let running = Array(inFlight.values)
                for task in running { task.cancel() }
                for task in running { await task.value }
                reply(id, NullResponse())
            case CompletionRequest.method:
                let p = try CompletionRequest.decodeParams(params)
                try await startCompletion(id: id, uri: p.textDocument.uri, position: p.position) { ctx, predictor in
                    let (items, samples) = CompletionService.completionItems(context: ctx, predictor: predictor)
                    return (CompletionList(isIncomplete: true, items: items), samples)
                }
            case InlineCompletionRequest.method:
                let p = try InlineCompletionRequest.decodeParams(params)
                let automatic = p.context.triggerKind == .automatic
                try await startCompletion(id: id, uri: p.textDocument.uri, position: p.position) { ctx, predictor in
                    let (items, samples) = CompletionService.inlineItems(
                        context: ctx, predictor: predictor, count: automatic ? 1 : 3)
                    return (InlineCompletionList(items: items), samples)
                }
            case RecurCompleteRequest.method:
                try await recurComplete(id: id, params: RecurCompleteRequest.decodeParams(params))
            case RecurStatusRequest.method:
                reply(id, await status())
            case RecurAdaptRequest.method:
                try await startAdaptation(id: id, params: RecurAdaptRequest.decodeParams(params))
            case RecurCancelAdaptRequest.method:
                let p = try RecurCancelAdaptRequest.decodeParams(params)
                guard let job = adaptJob, job.id == p.jobId else {
                    throw ResponseError.invalidParams("jobId: no adaptation job '\(p.jobId)' is running")
                }
                job.cancel.set()
                reply(id, NullResponse())
            case RecurSetProfileRequest.method:
                let p = try RecurSetProfileRequest.decodeParams(params)
                guard !p.profile.isEmpty else { throw ResponseError.invalidParams("profile: must not be empty") }
                profile = p.profile
                reloadEngine()
                _ = try? await engineTask.value
                reply(
                    id,
                    RecurSetProfileResult(
                        profile: profile, adapterId: activeAdapterID,
                        warnings: storeWarnings.isEmpty ? nil : storeWarnings))
            default:
                fail(id, .methodNotFound(method))
            }
        } catch {
            fail(id, error)
        }
    }

    private func handleNotification(method: String, params: JSONValue?) async {
        if method == ExitNotification.method {
            terminate(phase == .shutDown ? 0 : 1)
            return
        }
        guard phase != .uninitialized else { return }  // dropped before initialize, as the spec says
        do {
            switch method {
            case InitializedNotification.method:
                break
            case DidOpenTextDocumentNotification.method:
                let p = try DidOpenTextDocumentNotification.decodeParams(params)
                let item = p.textDocument
                if documents[item.uri] != nil {
                    warnClient("didOpen for \(item.uri), which is already open: its text replaced")
                }
                documents[item.uri] = OpenDocument(
                    document: Document(
                        uri: item.uri, languageId: item.languageId, version: item.version, text: item.text),
                    checkpoints: HiddenStateCheckpoints(window: window))
                if item.text.utf8.count > 1 << 16 { Self.returnFreedMemory() }
            case DidChangeTextDocumentNotification.method:
                let p = try DidChangeTextDocumentNotification.decodeParams(params)
                try change(p)
            case DidCloseTextDocumentNotification.method:
                let p = try DidCloseTextDocumentNotification.decodeParams(params)
                if documents.removeValue(forKey: p.textDocument.uri) == nil {
                    warnClient("didClose for \(p.textDocument.uri), which is not open: ignored")
                }
            case CancelRequestNotification.method:
                let p = try CancelRequestNotification.decodeParams(params)
                inFlight[p.id]?.cancel()
                if let job = adaptJob, job.requestID == p.id { job.cancel.set() }
            case WorkDoneProgressCancelNotification.method:
                let p = try WorkDoneProgressCancelNotification.decodeParams(params)
                if let job = adaptJob, job.token == p.token { job.cancel.set() }
            default:
                if !method.hasPrefix("$/") { logger.debug("ignoring notification \(method)") }
            }
        } catch {
            warnClient("\(method) ignored: \(error)", type: LogMessageParams.error)
        }
    }

    /// Logs `message` and sends it to the client as `window/logMessage`: notifications have no response to carry
    /// an error, and the user should learn that the server ignored one.
    func warnClient(_ message: String, type: Int = LogMessageParams.warning) {
        if type == LogMessageParams.error { logger.error("\(message)") } else { logger.warning("\(message)") }
        notify(LogMessageNotification.self, LogMessageParams(type: type, message: message))
    }

    // MARK: Lifecycle

    private func initialize(id: RequestID, params: InitializeParams) throws(ResponseError) {
        guard phase == .uninitialized else {
            throw ResponseError(code: .invalidRequest, message: "initialize may be sent only once")
        }
        encoding = params.capabilities.positionEncodings.contains(.utf8) ? .utf8 : .utf16
        clientSupportsProgress = params.capabilities.supportsWorkDoneProgress
        workspaceFolders = (params.workspaceFolders?.map(\.uri) ?? params.rootUri.map { [$0] } ?? [])
            .compactMap(Self.filePath(uri:))
        profile = profileFromCommandLine ?? workspaceFolders.first ?? "default"
        if let options = params.initializationOptions { applyInitializationOptions(options) }
        reloadEngine()
        phase = .running
        let capabilities = ServerCapabilities(
            positionEncoding: encoding == .utf8 ? .utf8 : .utf16,
            textDocumentSync: TextDocumentSyncOptions(openClose: true, change: .incremental),
            completionProvider: CompletionOptions(triggerCharacters: [".", "_", " "], resolveProvider: false),
            inlineCompletionProvider: .options(InlineCompletionOptions()))
        reply(id, InitializeResult(capabilities: capabilities, serverInfo: ServerInfo(name: "recur", version: "0.1.0")))
    }

    /// `initializationOptions`: `n`, `temperature`, `topK`, `topP`, `maxChars` set the sampling defaults,
    /// `checkpointBudget` the number of hidden states kept, `model` a model file to use instead, `profile` and
    /// `store` the profile and the store of adapted models, and `allowAnyPath` lets `recur/adapt` read any file.
    private func applyInitializationOptions(_ options: JSONValue) {
        if let path = options["model"]?.stringValue {
            modelName = path
            baseModelTask = Task.detached(priority: .userInitiated) {
                BLASThreads.set(1)
                return try LanguageModel<Float>(contentsOf: URL(fileURLWithPath: path))
            }
        }
        if let name = options["profile"]?.stringValue, !name.isEmpty { profile = name }
        if let path = options["store"]?.stringValue, !path.isEmpty { storePath = path }
        if options["allowAnyPath"]?.boolValue == true { allowAnyPath = true }
        if let n = options["n"]?.intValue, (1...100).contains(n) { defaults.count = n }
        if let t = options["temperature"]?.doubleValue, t >= 0, t.isFinite { defaults.temperature = Float(t) }
        if let k = options["topK"]?.intValue, k >= 0 { defaults.topK = k == 0 ? nil : k }
        if let p = options["topP"]?.doubleValue, p > 0, p <= 1 { defaults.topP = Float(p) }
        if let m = options["maxChars"]?.intValue, (1...1000).contains(m) { defaults.maxBytes = m }
        if let b = options["checkpointBudget"]?.intValue, b >= 8 { checkpointBudget = b }
    }

    // MARK: Documents

    private func change(_ p: DidChangeTextDocumentParams) throws {
        let uri = p.textDocument.uri
        guard documents[uri] != nil else {
            warnClient("didChange for \(p.textDocument.uri), which is not open: ignored")
            return
        }
        let changes = p.contentChanges.map { event -> TextChange in
            switch event {
            case .full(let text): return .full(text)
            case .incremental(let range, _, let text):
                return .replace(
                    range: TextRange(
                        start: TextPosition(line: range.start.line, character: range.start.character),
                        end: TextPosition(line: range.end.line, character: range.end.character)), text: text)
            }
        }
        do {
            // Mutate in place: a copy of the entry would copy the whole text on every keystroke.
            let effects = try documents[uri]!.document.apply(
                changes, version: p.textDocument.version, encoding: encoding)
            if effects.contains(where: \.wasAdjusted) {
                logger.debug("didChange \(uri): positions clamped to the document")
            }
            if let first = effects.firstChangedOffset {
                documents[uri]!.checkpoints.invalidate(after: first)
                reuseAcceptedCandidate(uri: uri, firstChanged: first)
            }
        } catch {
            warnClient(
                "didChange \(p.textDocument.uri) rejected, document unchanged: \(error)", type: LogMessageParams.error)
        }
    }

    /// When an edit left the text before the last completion's offset alone and put one of its continuations
    /// right there (the user accepted it), that continuation's state is already known: record it. (With the
    /// half-precision kernels a batched row is bit-identical to a single-row run, so nothing changes but speed.)
    private func reuseAcceptedCandidate(uri: DocumentURI, firstChanged: Int) {
        guard let open = documents[uri], !open.candidates.isEmpty,
            statePredictor?.engine.usesHalfPrecision == true
        else { return }
        documents[uri]!.candidates = []
        let offset = open.candidatesOffset
        guard firstChanged >= offset else { return }
        let bytes = open.document.buffer.bytes
        let chain = window.resetPoint(offset)
        for candidate in open.candidates {
            let end = offset + candidate.bytes.count
            guard end <= bytes.count, window.resetPoint(end) == chain,
                bytes[offset..<end].elementsEqual(candidate.bytes)
            else { continue }
            documents[uri]!.checkpoints.record(candidate.state, chain: chain, at: end)
            logger.debug("accepted completion at \(offset): state reused for \(candidate.bytes.count) bytes")
            return
        }
    }

    // MARK: Completions

    /// What a completion task needs, and nothing that refers to the document's storage: holding that while the
    /// next keystroke arrives would copy the whole text.
    struct Context: Sendable {
        /// The bytes of the word being typed, before the cursor.
        var prefix: [UInt8]
        /// Where the word starts and where the cursor is, in the connection's position encoding.
        var wordStart: Position
        var cursor: Position
        var state: RecurrentState
        var options: SamplingOptions
        /// The words around the cursor (32 KB before, 8 KB after), offered beside the model's endings.
        var cache: WordFrequencies
    }

    /// Resolves the position and computes the document's state there on the actor (usually a step or two, thanks
    /// to the checkpoints), then samples in a task of its own, kept by id for cancellation.
    private func startCompletion<R: Encodable & Sendable>(
        id: RequestID, uri: DocumentURI, position: Position,
        compute: @escaping @Sendable (Context, Predictor) -> (R, [Completion])
    ) async throws(ResponseError) {
        guard documents[uri] != nil else {
            throw ResponseError(code: .invalidParams, message: "invalid params: textDocument.uri: \(uri) is not open")
        }
        // Cancelled while it waited behind other messages: no state is advanced for it.
        if cancellations.isCancelled(id) { throw .requestCancelled }
        let started = DispatchTime.now().uptimeNanoseconds
        var engine: InferenceEngine
        do {
            // If the weights were swapped while waiting, wait for the new ones.
            var generation: Int
            repeat {
                generation = engineGeneration
                engine = try await engineTask.value
            } while generation != engineGeneration
        } catch {
            logger.error("the model could not be loaded: \(error)")
            throw .requestFailed("the model could not be loaded: \(error)")
        }
        if statePredictor == nil { statePredictor = Predictor(engine: engine) }
        guard let open = documents[uri] else {
            throw ResponseError(code: .invalidParams, message: "invalid params: textDocument.uri: \(uri) is not open")
        }
        let buffer = open.document.buffer
        let cursor: Int
        do {
            cursor = try buffer.offset(line: position.line, character: position.character, encoding: encoding).offset
        } catch {
            throw ResponseError(code: .invalidParams, message: "invalid params: position: \(error)")
        }
        let state = documents[uri]!.checkpoints.state(at: cursor, in: buffer.bytes, predictor: statePredictor!)
        useCounter += 1
        documents[uri]!.lastUsed = useCounter
        enforceCheckpointBudget(keeping: uri)
        let word = buffer.wordPrefix(endingAt: cursor)
        let version = open.document.version
        let generation = engineGeneration
        let context = Context(
            prefix: Array(buffer[word]),
            wordStart: CompletionService.position(buffer.position(ofOffset: word.lowerBound, encoding: encoding)),
            cursor: CompletionService.position(buffer.position(ofOffset: cursor, encoding: encoding)), state: state,
            options: nextOptions(),
            cache: WordFrequencies(
                scanning: buffer.bytes[max(0, cursor - 32_768)..<min(buffer.count, cursor + 8192)],
                prefix: Array(buffer[word])))
        let workers = self.workers
        let cancellations = self.cancellations
        inFlight[id] = Task { [weak self] in
            let result = await workers.run(
                engine: engine, generation: generation, skipIf: { cancellations.isCancelled(id) }
            ) { compute(context, $0) }
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            await self?.finish(
                id: id, uri: uri, version: version, offset: cursor, generation: generation,
                milliseconds: milliseconds, result: Task.isCancelled || cancellations.isCancelled(id) ? nil : result)
        }
    }

    /// Drops whole documents' checkpoints, least recently used first, until the total fits the budget.
    private func enforceCheckpointBudget(keeping current: DocumentURI) {
        var total = documents.values.reduce(0) { $0 + $1.checkpoints.count }
        guard total > checkpointBudget else { return }
        let byAge = documents.filter { $0.key != current && $0.value.checkpoints.count > 0 }
            .sorted { $0.value.lastUsed < $1.value.lastUsed }
        for (uri, open) in byAge where total > checkpointBudget {
            total -= open.checkpoints.count
            documents[uri]!.checkpoints.removeAll()
        }
    }

    private func finish<R: Encodable & Sendable>(
        id: RequestID, uri: DocumentURI, version: Int, offset: Int, generation: Int,
        milliseconds: Double, result: (R, [Completion])?
    ) {
        // Sampled states of replaced weights are dropped, never mixed with the new ones.
        let current = generation == engineGeneration
        inFlight[id] = nil
        guard let (response, candidates) = result else { return fail(id, .requestCancelled) }
        if adaptJob != nil { latenciesDuringAdaptation.record(milliseconds: milliseconds) }
        if current && documents[uri]?.document.version == version {
            documents[uri]!.candidates = candidates
            documents[uri]!.candidatesOffset = offset
        }
        latencies.record(milliseconds: milliseconds)
        reply(id, response)
    }

    private func finish(id: RequestID, error: ResponseError) {
        inFlight[id] = nil
        fail(id, error)
    }

    /// Each request gets its own seed, so repeated requests at one position offer fresh samples.
    private var requestCounter: UInt64 = 0
    private func nextOptions() -> SamplingOptions {
        requestCounter &+= 1
        var options = defaults
        options.seed = requestCounter
        return options
    }

    private func recurComplete(id: RequestID, params p: RecurCompleteParams) async throws(ResponseError) {
        var options = nextOptions()
        if let n = p.n {
            guard (1...1000).contains(n) else { throw .invalidParams("n: must be between 1 and 1000") }
            options.count = n
        }
        if let t = p.temperature {
            guard t >= 0, t.isFinite else { throw .invalidParams("temperature: must be 0 or more") }
            options.temperature = Float(t)
        }
        if let k = p.topK {
            guard k >= 0 else { throw .invalidParams("topK: must not be negative") }
            options.topK = k == 0 ? nil : k
        }
        if let tp = p.topP {
            guard tp > 0, tp <= 1 else { throw .invalidParams("topP: must be in (0, 1]") }
            options.topP = Float(tp)
        }
        if let m = p.maxChars {
            guard (1...100_000).contains(m) else { throw .invalidParams("maxChars: must be between 1 and 100000") }
            options.maxBytes = m
        }
        if let stop = p.stop {
            guard let rule = StopRule(rawValue: stop) else { throw .invalidParams("stop: must be word, line or none") }
            options.stop = rule
        }
        if let seed = p.seed { options.seed = seed }
        let finalOptions = options
        let toResult: @Sendable (Context, Predictor) -> (RecurCompleteResult, [Completion]) = { ctx, predictor in
            let samples = Sampler.sample(predictor, from: ctx.state, options: finalOptions)
            let result = RecurCompleteResult(
                completions: samples.map {
                    RecurCompletion(text: $0.text, logprob: $0.logprob, probability: $0.probability)
                })
            return (result, samples)
        }
        if let text = p.text {
            // A text of its own: a scratch document that is never stored.
            let uri = "recur-scratch:\(id)"
            let buffer = TextBuffer(text)
            documents[uri] = OpenDocument(
                document: Document(uri: uri, languageId: "text", version: 0, text: text),
                checkpoints: HiddenStateCheckpoints(window: window))
            defer { documents[uri] = nil }
            let end = buffer.position(ofOffset: buffer.count, encoding: encoding)
            try await startCompletion(
                id: id, uri: uri, position: Position(line: end.line, character: end.character), compute: toResult)
        } else if let document = p.textDocument, let position = p.position {
            try await startCompletion(id: id, uri: document.uri, position: position, compute: toResult)
        } else {
            throw .invalidParams("give either text, or textDocument and position")
        }
    }

    // MARK: Status

    private func status() async -> RecurStatus {
        var loadError: String?
        let engine: InferenceEngine?
        do {
            engine = try await engineTask.value
        } catch {
            engine = nil
            loadError = String(describing: error)
        }
        let model = engine.map { e in
            RecurStatus.Model(
                name: modelName, architecture: e.config.description, parameters: e.model.parameters.count,
                sha256: e.model.sourceSHA256, precision: e.usesHalfPrecision ? "float16 weights" : "float32")
        }
        var status = RecurStatus(
            model: model, openDocuments: documents.count,
            hiddenStates: documents.values.reduce(0) { $0 + $1.checkpoints.count },
            stateSteps: documents.values.reduce(0) { $0 + $1.checkpoints.steps },
            residentMemoryBytes: Self.residentMemory(),
            completionLatency: RecurStatus.Latency(
                count: latencies.total, p50Milliseconds: latencies.percentile(50),
                p95Milliseconds: latencies.percentile(95), p99Milliseconds: latencies.percentile(99)),
            positionEncoding: encoding.rawValue)
        status.modelError = loadError
        status.profile = profile
        status.adapterId = activeAdapterID
        status.store = storePath
        status.storeWarnings = storeWarnings.isEmpty ? nil : storeWarnings
        status.adaptation = adaptJob.map {
            RecurStatus.Job(
                jobId: $0.id, profile: $0.profile, step: $0.step, totalSteps: $0.totalSteps, message: $0.message)
        }
        if latenciesDuringAdaptation.total > 0 {
            let l = latenciesDuringAdaptation
            status.completionLatencyDuringAdaptation = RecurStatus.Latency(
                count: l.total, p50Milliseconds: l.percentile(50), p95Milliseconds: l.percentile(95),
                p99Milliseconds: l.percentile(99))
        }
        status.onlineLearning = false
        return status
    }

    /// Hands freed heap pages back to the system. Parsing a large `didOpen` leaves megabytes of freed JSON that
    /// glibc's allocator would otherwise keep.
    static func returnFreedMemory() {
        #if canImport(Glibc)
            _ = glibcMallocTrim(0)
        #endif
    }

    static func residentMemory() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Hands a `Predictor` (scratch buffers, not thread-safe) to one completion at a time. Safe because a box is
/// either in the workers' idle pool or owned by exactly one running completion, never both.
struct PredictorBox: @unchecked Sendable {
    let predictor: Predictor
}

#if canImport(Glibc)
    /// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export).
    @_silgen_name("malloc_trim")
    private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
