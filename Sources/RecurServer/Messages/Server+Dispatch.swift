import RecurProtocol

/// Dispatch: one table entry per message type of `MessageRegistry` that the server handles, keyed by the type's
/// `method`. The params arrive decoded into the type's `Params` (`DecodedMessage`, on the reading thread); params
/// that did not fit are answered with the `invalidParams` error that names the field.
extension Server {
    typealias RequestHandler = @Sendable (isolated Server, RequestID, DecodedParams) async throws -> Void
    typealias NotificationHandler = @Sendable (isolated Server, DecodedParams) async throws -> Void

    private static func on<R: RequestType>(
        _ type: R.Type, _ handle: @escaping @Sendable (isolated Server, RequestID, R.Params) async throws -> Void
    ) -> (String, RequestHandler) {
        precondition(
            MessageRegistry.requests[R.method].map(ObjectIdentifier.init) == ObjectIdentifier(R.self),
            "\(R.method) is not in MessageRegistry")
        return (R.method, { server, id, params in try await handle(server, id, try params.get(R.Params.self)) })
    }

    private static func on<N: NotificationType>(
        _ type: N.Type, _ handle: @escaping @Sendable (isolated Server, N.Params) async throws -> Void
    ) -> (String, NotificationHandler) {
        precondition(
            MessageRegistry.notifications[N.method].map(ObjectIdentifier.init) == ObjectIdentifier(N.self),
            "\(N.method) is not in MessageRegistry")
        return (N.method, { server, params in try await handle(server, try params.get(N.Params.self)) })
    }

    static let requestHandlers: [String: RequestHandler] = Dictionary(uniqueKeysWithValues: [
        on(InitializeRequest.self) { server, id, params in try server.initialize(id: id, params: params) },
        on(ShutdownRequest.self) { server, id, _ in await server.shutdown(id: id) },
        on(CompletionRequest.self) { server, id, params in try await server.completionList(id: id, params) },
        on(InlineCompletionRequest.self) { server, id, params in try await server.inlineCompletion(id: id, params) },
        on(RecurCompleteRequest.self) { server, id, params in try await server.recurComplete(id: id, params) },
        on(RecurStatusRequest.self) { server, id, _ in server.reply(id, await server.status()) },
        on(RecurAdaptRequest.self) { server, id, params in try await server.startAdaptation(id: id, params: params) },
        on(RecurCancelAdaptRequest.self) { server, id, params in try server.cancelAdaptation(id: id, params) },
        on(RecurSetProfileRequest.self) { server, id, params in try await server.setProfile(id: id, params) },
        on(RecurSetOnlineLearningRequest.self) { server, id, params in
            server.reply(id, server.setOnlineLearning(enabled: params.enabled))
        },
        on(RecurSyncOnlineLearningRequest.self) { server, id, _ in
            server.reply(id, await server.syncOnlineLearning())
        },
    ])

    static let notificationHandlers: [String: NotificationHandler] = Dictionary(uniqueKeysWithValues: [
        on(InitializedNotification.self) { _, _ in },
        on(ExitNotification.self) { server, _ in await server.exit() },
        on(DidOpenTextDocumentNotification.self) { server, params in server.didOpen(params) },
        on(DidChangeTextDocumentNotification.self) { server, params in server.didChange(params) },
        on(DidCloseTextDocumentNotification.self) { server, params in server.didClose(params) },
        on(CancelRequestNotification.self) { server, params in server.cancelRequest(params.id) },
        on(WorkDoneProgressCancelNotification.self) { server, params in server.cancelProgress(params.token) },
    ])

    package func handle(_ message: DecodedMessage) async {
        switch message {
        case .request(let id, let method, let params):
            await handleRequest(id: id, method: method, params: params)
        case .notification(let method, let params):
            await handleNotification(method: method, params: params)
        case .response(let id):
            progressCreationAnswered(id: id, accepted: true)
        case .errorResponse(let id, _):
            if let id { progressCreationAnswered(id: id, accepted: false) }
        }
    }

    private func handleRequest(id: RequestID, method: String, params: DecodedParams) async {
        if phase == .uninitialized && method != InitializeRequest.method {
            return fail(id, .serverNotInitialized)
        }
        if phase == .shutDown {
            return fail(id, ResponseError(code: .invalidRequest, message: "the server is shutting down"))
        }
        guard let handler = Self.requestHandlers[method] else { return fail(id, .methodNotFound(method)) }
        do {
            try await handler(self, id, params)
        } catch let error as ResponseError {
            fail(id, error)
        } catch {
            fail(id, .requestFailed("\(error)"))
        }
    }

    private func handleNotification(method: String, params: DecodedParams) async {
        // Only `exit` counts before `initialize`; the spec says to drop the others.
        guard phase != .uninitialized || method == ExitNotification.method else { return }
        guard let handler = Self.notificationHandlers[method] else {
            if !method.hasPrefix("$/") { logger.debug("ignoring notification \(method)") }
            return
        }
        do {
            try await handler(self, params)
        } catch {
            warnClient("\(method) ignored: \(error)", type: LogMessageParams.error)
        }
    }

    /// `$/cancelRequest`: a completion in flight answers -32800; an adaptation started by that request stops.
    func cancelRequest(_ id: RequestID) {
        inFlight[id]?.cancel()
        if let job = adaptJob, job.requestID == id { job.cancel.set() }
    }
}
