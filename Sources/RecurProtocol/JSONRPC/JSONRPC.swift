import Foundation

/// Writes outgoing JSON-RPC 2.0 bodies: compact JSON, keys sorted (deterministic output), `"jsonrpc": "2.0"`,
/// slashes unescaped (URIs stay readable). Frame the result with `MessageFramer.frame`.
package enum JSONRPC {
    package static let version = "2.0"

    /// A response. Never fails: a result that cannot be encoded (a non-finite double) becomes an internal-error
    /// response for the same id, so the client is always answered.
    package static func response(id: RequestID, result: some Encodable) -> [UInt8] {
        do {
            return try encode(ResponseEnvelope(id: id, result: result))
        } catch {
            return errorResponse(id: id, error: .internalError("the result could not be encoded: \(error)"))
        }
    }

    /// An error response; `id` nil is sent as `"id": null` (for bodies whose id could not be read). Never fails:
    /// `data` that cannot be encoded is dropped.
    package static func errorResponse(id: RequestID?, error: ResponseError) -> [UInt8] {
        if let bytes = try? encode(ErrorEnvelope(id: id, error: error)) { return bytes }
        var plain = error
        plain.data = nil
        if let bytes = try? encode(ErrorEnvelope(id: id, error: plain)) { return bytes }
        return Array(#"{"error":{"code":-32603,"message":"internal error"},"id":null,"jsonrpc":"2.0"}"#.utf8)
    }

    /// A notification; `params` nil omits the member.
    package static func notification(method: String, params: (some Encodable)?) throws -> [UInt8] {
        try encode(NotificationEnvelope(method: method, params: params))
    }

    /// A notification without params.
    package static func notification(method: String) throws -> [UInt8] {
        try notification(method: method, params: JSONValue?.none)
    }

    /// A request from this side (e.g. `window/workDoneProgress/create`); `params` nil omits the member.
    package static func request(id: RequestID, method: String, params: (some Encodable)?) throws -> [UInt8] {
        try encode(RequestEnvelope(id: id, method: method, params: params))
    }

    /// A typed notification: `JSONRPC.notification(ProgressNotification.self, params)`.
    package static func notification<N: NotificationType>(_ type: N.Type, _ params: N.Params) throws -> [UInt8] {
        try notification(method: N.method, params: params)
    }

    /// A typed request: `JSONRPC.request(CreateWorkDoneProgressRequest.self, id: 1, params)`.
    package static func request<R: RequestType>(_ type: R.Type, id: RequestID, _ params: R.Params) throws -> [UInt8] {
        try request(id: id, method: R.method, params: params)
    }

    /// The encoder every outgoing body uses.
    package static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try makeEncoder().encode(value))
    }
}

private enum EnvelopeKeys: String, CodingKey {
    case jsonrpc, id, method, params, result, error
}

private struct ResponseEnvelope<Result: Encodable>: Encodable {
    let id: RequestID
    let result: Result

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKeys.self)
        try container.encode(JSONRPC.version, forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        try container.encode(result, forKey: .result)  // Always present: `"result": null` for a void response.
    }
}

private struct ErrorEnvelope: Encodable {
    let id: RequestID?
    let error: ResponseError

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKeys.self)
        try container.encode(JSONRPC.version, forKey: .jsonrpc)
        try container.encode(id, forKey: .id)  // Always present: `"id": null` when unknown.
        try container.encode(error, forKey: .error)
    }
}

private struct NotificationEnvelope<Params: Encodable>: Encodable {
    let method: String
    let params: Params?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKeys.self)
        try container.encode(JSONRPC.version, forKey: .jsonrpc)
        try container.encode(method, forKey: .method)
        try container.encodeIfPresent(params, forKey: .params)
    }
}

private struct RequestEnvelope<Params: Encodable>: Encodable {
    let id: RequestID
    let method: String
    let params: Params?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKeys.self)
        try container.encode(JSONRPC.version, forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        try container.encode(method, forKey: .method)
        try container.encodeIfPresent(params, forKey: .params)
    }
}
