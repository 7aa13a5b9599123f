/// A method, described once so dispatch is a table lookup on `method`, not string matching spread through the
/// server. `Params` are `Codable` both ways, so the same types serve the server and a test client, and messages the
/// server sends itself.
package protocol MessageType: Sendable {
    static var method: String { get }
    associatedtype Params: Codable & Sendable
}

/// A request method; `Response` is what it answers.
package protocol RequestType: MessageType {
    associatedtype Response: Codable & Sendable
}

/// A notification method: no id, no answer.
package protocol NotificationType: MessageType {}

extension MessageType {
    /// Decodes this method's params; on failure, an `invalidParams` error naming the offending field.
    package static func decodeParams(_ params: JSONValue?) throws(ResponseError) -> Params {
        try decodeMessageParams(Params.self, from: params)
    }
}

/// Absent params decode as null, which only `EmptyParams` (and optionals) accept.
private func decodeMessageParams<P: Decodable>(_ type: P.Type, from params: JSONValue?) throws(ResponseError) -> P {
    do {
        return try JSONValueDecoder().decode(type, from: params ?? .null)
    } catch {
        if params == nil { throw .invalidParams("missing params") }
        throw .invalidParams(decodingError: error)
    }
}

/// Params of methods that take none (`shutdown`, `exit`, `initialized`). Accepts anything, encodes as `{}`.
package struct EmptyParams: Codable, Sendable, Hashable {
    package init() {}
    package init(from decoder: any Decoder) throws {}
    package func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: JSONCodingKey.self)
    }
}

/// The result of methods that answer `null` (`shutdown`, `window/workDoneProgress/create`).
package struct NullResponse: Codable, Sendable, Hashable {
    package init() {}
    package init(from decoder: any Decoder) throws {}
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}

/// Every message type this module knows, by method name, for the server's dispatch table.
package enum MessageRegistry {
    package static let requests: [String: any RequestType.Type] = Dictionary(
        uniqueKeysWithValues: ([
            InitializeRequest.self, ShutdownRequest.self, CompletionRequest.self, InlineCompletionRequest.self,
            CreateWorkDoneProgressRequest.self, RecurCompleteRequest.self, RecurStatusRequest.self,
            RecurAdaptRequest.self, RecurCancelAdaptRequest.self, RecurSetProfileRequest.self,
            RecurSetOnlineLearningRequest.self, RecurSyncOnlineLearningRequest.self,
        ] as [any RequestType.Type]).map { ($0.method, $0) })

    package static let notifications: [String: any NotificationType.Type] = Dictionary(
        uniqueKeysWithValues: ([
            InitializedNotification.self, ExitNotification.self, DidOpenTextDocumentNotification.self,
            DidChangeTextDocumentNotification.self, DidCloseTextDocumentNotification.self,
            CancelRequestNotification.self, ProgressNotification.self, RecurAdaptFinishedNotification.self,
            WorkDoneProgressCancelNotification.self, LogMessageNotification.self, ShowMessageNotification.self,
        ] as [any NotificationType.Type]).map { ($0.method, $0) })
}
