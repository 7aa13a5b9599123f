import Foundation
import RecurDocuments
import RecurModel
import RecurProtocol

/// Completion requests: on the actor, only the bookkeeping (the position, the word being typed, and a copy of the
/// few bytes the work needs); the state, the search and the sampling run on the `CompletionScheduler`, and the
/// answer is merged back by document version.
extension Server {
    /// What a completion's work needs, and nothing that refers to the document's storage: holding that while the
    /// next keystroke arrives would copy the whole text.
    struct Context: Sendable {
        /// The bytes of the word being typed, before the cursor.
        var prefix: [UInt8]
        /// Where the word starts and where the cursor is, in the connection's position encoding.
        var wordStart: Position
        var cursor: Position
        var state: RecurrentState
        var options: SamplingOptions
        /// The words around the cursor, offered beside the model's endings.
        var cache: WordFrequencies
        /// The last `SuggestionFilter.contextBytes` bytes before the cursor, and what the filter leaves out.
        var before: [UInt8]
        var filter: SuggestionFilter
    }

    /// The text before and after the cursor whose words are offered beside the model's.
    static let cacheBefore = 32_768
    static let cacheAfter = 8192

    func completionList(id: RequestID, _ p: CompletionParams) async throws(ResponseError) {
        try await startCompletion(id: id, uri: p.textDocument.uri, position: p.position) { context, predictor in
            let (items, samples) = CompletionService.completionItems(context: context, predictor: predictor)
            return (CompletionList(isIncomplete: true, items: items), samples)
        }
    }

    func inlineCompletion(id: RequestID, _ p: InlineCompletionParams) async throws(ResponseError) {
        let count = p.context.triggerKind == .automatic ? 1 : 3
        var options = nextOptions()
        options.minimumProbability = settings.inlineMinProbability
        try await startCompletion(
            id: id, source: .document(p.textDocument.uri), position: p.position, options: options
        ) { context, predictor in
            let (items, samples) = CompletionService.inlineItems(context: context, predictor: predictor, count: count)
            return (InlineCompletionList(items: items), samples)
        }
    }

    func recurComplete(id: RequestID, _ p: RecurCompleteParams) async throws(ResponseError) {
        let options: SamplingOptions
        do throws(InvalidSetting) {
            options = try nextOptions().setting(
                n: p.n, temperature: p.temperature, topK: p.topK, topP: p.topP, maxChars: p.maxChars, stop: p.stop,
                seed: p.seed)
        } catch {
            throw .invalidParams(error.description)
        }
        let compute: @Sendable (Context, Predictor) -> (RecurCompleteResult, [Completion]) = { context, predictor in
            let samples = context.filter.apply(
                Sampler.sample(predictor, from: context.state, options: context.options), before: context.before[...])
            let result = RecurCompleteResult(
                completions: samples.map {
                    RecurCompletion(text: $0.text, logprob: $0.logprob, probability: $0.probability)
                })
            return (result, samples)
        }
        if let text = p.text {
            // A text of its own: a scratch document that is never stored.
            let buffer = TextBuffer(text)
            let end = buffer.position(ofOffset: buffer.count, encoding: encoding)
            try await startCompletion(
                id: id, source: .scratch(uri: "recur-scratch:\(id)", buffer: buffer),
                position: Position(line: end.line, character: end.character), options: options, compute: compute)
        } else if let document = p.textDocument, let position = p.position {
            try await startCompletion(
                id: id, source: .document(document.uri), position: position, options: options, compute: compute)
        } else {
            throw .invalidParams("give either text, or textDocument and position")
        }
    }

    /// The sampling defaults, with a seed of the request's own.
    func nextOptions() -> SamplingOptions {
        requestCounter &+= 1
        var options = settings.sampling
        options.seed = requestCounter
        return options
    }

    /// The engine of the current weights, waiting through a swap that happens meanwhile, with its generation and
    /// epoch.
    func currentEngine() async throws(ResponseError) -> (InferenceEngine, generation: Int, epoch: Int) {
        do {
            var generation: Int
            var engine: InferenceEngine
            repeat {
                generation = engineHost.generation
                engine = try await engineHost.engine.value
            } while generation != engineHost.generation
            rowsAreIndependent = engine.rowsAreIndependent
            return (engine, generation, engineHost.epoch)
        } catch {
            logger.error("the model could not be loaded: \(error)")
            throw .requestFailed("the model could not be loaded: \(error)")
        }
    }

    enum CompletionSource {
        case document(DocumentURI)
        case scratch(uri: String, buffer: TextBuffer)
    }

    private func startCompletion<R: Encodable & Sendable>(
        id: RequestID, uri: DocumentURI, position: Position,
        compute: @escaping @Sendable (Context, Predictor) -> (R, [Completion])
    ) async throws(ResponseError) {
        try await startCompletion(
            id: id, source: .document(uri), position: position, options: nextOptions(), compute: compute)
    }

    /// Resolves the position and copies what the work needs (the bytes from the state's reset point, the words
    /// around the cursor), then runs the work on the scheduler in a task of its own, kept by id for cancellation.
    /// `options` are the request's, its seed drawn once (`nextOptions`).
    private func startCompletion<R: Encodable & Sendable>(
        id: RequestID, source: CompletionSource, position: Position, options: SamplingOptions,
        compute: @escaping @Sendable (Context, Predictor) -> (R, [Completion])
    ) async throws(ResponseError) {
        if case .document(let uri) = source, documents[uri] == nil { throw Self.notOpen(uri) }
        // Cancelled while it waited behind other messages: no work is queued for it.
        if cancellations.isCancelled(id) { throw .requestCancelled }
        let started = DispatchTime.now().uptimeNanoseconds
        let (engine, generation, epoch) = try await currentEngine()
        let uri: String, buffer: TextBuffer, states: DocumentStates, version: Int
        switch source {
        case .document(let documentURI):
            guard let entry = documents[documentURI] else { throw Self.notOpen(documentURI) }
            (uri, buffer, states, version) = (documentURI, entry.document.buffer, entry.states, entry.document.version)
            documents.touch(uri)
        case .scratch(let scratchURI, let scratchBuffer):
            (uri, buffer, version) = (scratchURI, scratchBuffer, 0)
            states = DocumentStates(window: documents.window, epoch: epoch)
        }
        let resolved: ResolvedOffset
        do {
            resolved = try buffer.offset(line: position.line, character: position.character, encoding: encoding)
        } catch {
            throw ResponseError(code: .invalidParams, message: "invalid params: position: \(error)")
        }
        let cursor = resolved.offset
        if case .document(let documentURI) = source { cursorAt(documentURI, offset: cursor) }
        let bytes = buffer.bytes
        let word = WordCompletion.typedWord(in: bytes, endingAt: cursor)
        let prefix = Array(bytes[word])
        let cursorPosition =
            resolved.wasAdjusted ? Self.position(buffer.position(ofOffset: cursor, encoding: encoding)) : position
        let wordStart = Position(
            line: cursorPosition.line, character: cursorPosition.character - Self.units(of: prefix, in: encoding))
        // The first byte of `cacheBytes` is the byte before the window (if any), so that a word cut by the
        // window's start is recognised as cut and left out.
        let cacheStart = max(0, cursor - Self.cacheBefore - 1)
        let cacheBytes = Array(bytes[cacheStart..<min(bytes.count, cursor + Self.cacheAfter)])
        let cacheFrom = cacheStart == 0 ? 0 : 1
        let before = Array(bytes[max(0, cursor - SuggestionFilter.contextBytes)..<cursor])
        let filter = self.filter
        let tail = TextTail(of: bytes, before: cursor, window: documents.window)
        let serial = states.serial
        let scheduler = self.scheduler, cancellations = self.cancellations
        inFlight[id] = Task { [weak self] in
            let result = await scheduler.run(
                document: uri, engine: engine, generation: generation, isCancelled: { cancellations.isCancelled(id) }
            ) { predictor in
                let state = states.state(
                    at: cursor, tail: tail, serial: serial, epoch: epoch, predictor: predictor)
                let context = Context(
                    prefix: prefix, wordStart: wordStart, cursor: cursorPosition, state: state, options: options,
                    cache: WordFrequencies(scanning: cacheBytes[cacheFrom...], prefix: prefix), before: before,
                    filter: filter)
                return compute(context, predictor)
            }
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            await self?.finish(
                id: id, uri: uri, version: version, offset: cursor, epoch: epoch,
                milliseconds: milliseconds, result: Task.isCancelled || cancellations.isCancelled(id) ? nil : result)
        }
    }

    private func finish<R: Encodable & Sendable>(
        id: RequestID, uri: DocumentURI, version: Int, offset: Int, epoch: Int,
        milliseconds: Double, result: (R, [Completion])?
    ) {
        inFlight[id] = nil
        guard let (response, candidates) = result else { return fail(id, .requestCancelled) }
        if adaptJob != nil { latenciesDuringAdaptation.record(milliseconds: milliseconds) }
        // Sampled states of reloaded weights are dropped, never mixed with the new ones.
        if epoch == engineHost.epoch {
            documents.offered(candidates, uri: uri, version: version, offset: offset)
        }
        documents.enforceCheckpointBudget(keeping: uri)
        latencies.record(milliseconds: milliseconds)
        reply(id, response)
    }

    static func notOpen(_ uri: DocumentURI) -> ResponseError {
        ResponseError(code: .invalidParams, message: "invalid params: textDocument.uri: \(uri) is not open")
    }

    static func position(_ p: TextPosition) -> Position { Position(line: p.line, character: p.character) }

    /// How many code units of `encoding` the whole code points of `bytes` take.
    static func units(of bytes: [UInt8], in encoding: PositionEncoding) -> Int {
        switch encoding {
        case .utf8: return bytes.count
        case .utf16: return String(decoding: bytes, as: UTF8.self).utf16.count
        case .utf32: return String(decoding: bytes, as: UTF8.self).unicodeScalars.count
        }
    }
}
