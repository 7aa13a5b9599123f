import Foundation
import RecurModel
import RecurProtocol
import RecurServer
import Synchronization

/// A client connected to a `Server` in this process: messages go through the same decoding as the stdio
/// transport (`DecodedMessage.decode`) and the same early-cancellation board, and
/// everything the server sends is collected, parsed, for `response(to:)` and `next(where:)`. No process, no
/// polling: a waiting test is resumed by the message it waits for.
package final class LocalConnection: Sendable {
    package let server: Server
    private let inbox = Inbox()
    private let exitCode = ExitCode()
    private let nextID = Mutex(1000)

    package init(
        model: LanguageModel<Float> = TinyModels.lstm(), storePath: String? = nil, profile: String? = nil,
        allowAnyPath: Bool = false, window: ContextWindow = ContextWindow(interval: 256), checkpointBudget: Int = 2048,
        onlineLearning: Bool = true, learningSaveInterval: TimeInterval = 300,
        precision: InferencePrecision = .standard
    ) {
        let inbox = self.inbox, exitCode = self.exitCode
        server = Server(
            modelName: "tiny", loadModel: { model }, storePath: storePath, profile: profile,
            allowAnyPath: allowAnyPath, window: window, checkpointBudget: checkpointBudget,
            onlineLearning: onlineLearning, learningSaveInterval: learningSaveInterval, precision: precision,
            send: { body in
                guard let message = try? JSONValue(parsing: body) else {
                    preconditionFailure("the server sent a body that is not JSON")
                }
                inbox.deliver(message)
            },
            terminate: { code in exitCode.value.withLock { $0 = code } })
    }

    /// The exit status the server asked for, if it did.
    package var terminated: Int32? { exitCode.value.withLock { $0 } }

    /// Sends one message, as the stdio transport would hand it over, and waits until the server has handled it
    /// (its answer may still be computing).
    package func send(_ message: JSONValue) async throws {
        let body = try JSONEncoder().encode(message)
        let (incoming, _) = try DecodedMessage.decode([UInt8](body))
        server.cancellations.observe(incoming)
        await server.handle(incoming)
    }

    package func notify(_ method: String, _ params: JSONValue) async throws {
        try await send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// Sends a request with a fresh id (or `id`), without waiting for its answer; returns the id.
    @discardableResult
    package func sendRequest(_ method: String, _ params: JSONValue? = nil, id: JSONValue? = nil) async throws
        -> JSONValue
    {
        let id =
            id
            ?? .int(
                nextID.withLock {
                    $0 += 1; return $0
                })
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { message["params"] = params }
        try await send(.object(message))
        return id
    }

    /// Sends a request and waits for its answer (the whole response: `result` or `error`).
    package func request(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let id = try await sendRequest(method, params)
        return await response(to: id)
    }

    /// The response to request `id`.
    package func response(to id: JSONValue) async -> JSONValue {
        await next { $0["id"] == id && $0["method"] == nil }
    }

    /// The first message the server sent (and no test took yet) that satisfies `predicate`, waiting for it.
    package func next(where predicate: @escaping @Sendable (JSONValue) -> Bool) async -> JSONValue {
        await inbox.take(where: predicate)
    }

    /// Messages received and not taken yet that satisfy `predicate`, taken now, without waiting.
    package func taken(where predicate: @escaping @Sendable (JSONValue) -> Bool) -> [JSONValue] {
        inbox.takeAll(where: predicate)
    }

    /// `initialize` (with `initializationOptions` when given) and `initialized`; returns the initialize result.
    @discardableResult
    package func initialize(options: JSONValue? = nil, encodings: [String]? = nil, rootUri: String? = nil)
        async throws -> JSONValue
    {
        var capabilities: [String: JSONValue] = [:]
        if let encodings { capabilities["general"] = ["positionEncodings": .array(encodings.map { .string($0) })] }
        var params: [String: JSONValue] = ["capabilities": .object(capabilities)]
        if let options { params["initializationOptions"] = options }
        if let rootUri { params["rootUri"] = .string(rootUri) }
        let response = try await request("initialize", .object(params))
        try await notify("initialized", [:])
        return response
    }

    package func open(_ uri: String, _ text: String, version: Int = 1) async throws {
        try await notify(
            "textDocument/didOpen",
            [
                "textDocument": [
                    "uri": .string(uri), "languageId": "plaintext", "version": .int(version), "text": .string(text),
                ]
            ])
    }

    /// Inserts `text` at (`line`, `character`).
    package func insert(_ uri: String, _ text: String, line: Int, character: Int, version: Int) async throws {
        let at: JSONValue = ["line": .int(line), "character": .int(character)]
        try await notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": .string(uri), "version": .int(version)],
                "contentChanges": [["range": ["start": at, "end": at], "text": .string(text)]],
            ])
    }

    /// Sends `textDocument/completion` at (`line`, `character`); returns the id.
    package func requestCompletion(_ uri: String, line: Int, character: Int) async throws -> JSONValue {
        try await sendRequest(
            "textDocument/completion",
            ["textDocument": ["uri": .string(uri)], "position": ["line": .int(line), "character": .int(character)]])
    }
}

/// The exit status the server asked for.
private final class ExitCode: Sendable {
    let value = Mutex<Int32?>(nil)
}

/// What the server sent, and the tests waiting for some of it.
private final class Inbox: Sendable {
    private struct Waiter {
        let predicate: @Sendable (JSONValue) -> Bool
        let continuation: CheckedContinuation<JSONValue, Never>
    }

    private let state = Mutex<(messages: [JSONValue], waiters: [Waiter])>(([], []))

    func deliver(_ message: JSONValue) {
        let waiter = state.withLock { s -> Waiter? in
            if let i = s.waiters.firstIndex(where: { $0.predicate(message) }) { return s.waiters.remove(at: i) }
            s.messages.append(message)
            return nil
        }
        waiter?.continuation.resume(returning: message)
    }

    func take(where predicate: @escaping @Sendable (JSONValue) -> Bool) async -> JSONValue {
        await withCheckedContinuation { continuation in
            let found = state.withLock { s -> JSONValue? in
                if let i = s.messages.firstIndex(where: predicate) { return s.messages.remove(at: i) }
                s.waiters.append(Waiter(predicate: predicate, continuation: continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    func takeAll(where predicate: (JSONValue) -> Bool) -> [JSONValue] {
        state.withLock { s in
            let matching = s.messages.filter(predicate)
            s.messages.removeAll(where: predicate)
            return matching
        }
    }
}
