/// One JSON-RPC 2.0 message received from the peer, with its envelope checked and its params left open for the
/// handler (see `RequestType.decodeParams`).
package enum IncomingMessage: Sendable, Hashable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case response(id: RequestID, result: JSONValue)
    /// `id` is nil when the peer could not read the id of the request it answers.
    case errorResponse(id: RequestID?, error: ResponseError)
}

/// Why a body is not a usable JSON-RPC message, split the way JSON-RPC answers it.
package enum MessageDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not JSON at all: answer -32700 with id null.
    case parseError(String)
    /// JSON, but not a valid JSON-RPC 2.0 message: answer -32600, with `id` when it could be read.
    case invalidRequest(id: RequestID?, String)

    /// The id to answer with; nil means answer with id null.
    package var id: RequestID? {
        guard case .invalidRequest(let id, _) = self else { return nil }
        return id
    }

    /// The error to send back.
    package var responseError: ResponseError {
        switch self {
        case .parseError(let detail): .parseError(detail)
        case .invalidRequest(_, let detail): .invalidRequest(detail)
        }
    }

    package var description: String { responseError.message }
}

extension IncomingMessage {
    /// Decodes one frame's body. Unknown members are ignored; `params` may be an object, an array, null or absent
    /// (null reads as absent). A member `method` makes it a request (with `id`) or a notification (without);
    /// otherwise it must be a response carrying exactly one of `result` and `error`.
    package static func decode(_ body: some Collection<UInt8>) throws(MessageDecodingError) -> IncomingMessage {
        try decodeRepairingTextEncoding(body).message
    }

    /// `decode`, except that a body JSON parsers refuse only for invalid UTF-8 or lone surrogate escapes is read
    /// with those replaced by U+FFFD (see `JSONRepair`); `repaired` says so, for a warning.
    package static func decodeRepairingTextEncoding(
        _ body: some Collection<UInt8>
    ) throws(MessageDecodingError) -> (message: IncomingMessage, repaired: Bool) {
        let json: JSONValue
        var repaired = false
        do {
            json = try JSONValue(parsing: body)
        } catch {
            guard let fixed = JSONRepair.repairingTextEncoding(body), let value = try? JSONValue(parsing: fixed) else {
                throw .parseError(body.isEmpty ? "empty message body" : "the message body is not valid JSON")
            }
            json = value
            repaired = true
        }
        return (try decode(json: json), repaired)
    }

    private static func decode(json: JSONValue) throws(MessageDecodingError) -> IncomingMessage {
        guard case .object(let message) = json else {
            throw .invalidRequest(
                id: nil,
                json.arrayValue != nil
                    ? "batches are not supported" : "expected a JSON object, found \(json.kindDescription)")
        }

        // Read the id first, so every later complaint can be answered.
        let id: RequestID?
        switch message["id"] {
        case nil, .null?:
            id = nil
        case .int(let value)?:
            id = .int(value)
        case .string(let value)?:
            id = .string(value)
        case let value?:
            let found = value.doubleValue.map { "the number \($0)" } ?? value.kindDescription
            throw .invalidRequest(id: nil, "id must be an integer or a string, found \(found)")
        }

        guard message["jsonrpc"] == .string("2.0") else {
            let found = message["jsonrpc"].map { $0.stringValue.map { "'\($0)'" } ?? $0.kindDescription } ?? "nothing"
            throw .invalidRequest(id: id, "expected \"jsonrpc\": \"2.0\", found \(found)")
        }

        if let method = message["method"] {
            guard case .string(let name) = method else {
                throw .invalidRequest(id: id, "method must be a string, found \(method.kindDescription)")
            }
            let params: JSONValue?
            switch message["params"] {
            case nil, .null?: params = nil
            case let value? where value.objectValue != nil || value.arrayValue != nil: params = value
            case let value?:
                throw .invalidRequest(id: id, "params must be an object or an array, found \(value.kindDescription)")
            }
            if message["id"] == .null {
                throw .invalidRequest(id: nil, "a request id must not be null")
            }
            if let id { return .request(id: id, method: name, params: params) }
            return .notification(method: name, params: params)
        }

        // Some peers send `"error": null` beside a result; read it as absent.
        let error = message["error"] == .null ? nil : message["error"]
        switch (message["result"], error) {
        case (let result?, nil):
            guard let id else { throw .invalidRequest(id: nil, "a response needs an id") }
            return .response(id: id, result: result)
        case (nil, let error?):
            do {
                return .errorResponse(id: id, error: try error.decode(ResponseError.self))
            } catch {
                throw .invalidRequest(id: id, "malformed error object: \(ResponseError.describe(decodingError: error))")
            }
        case (_?, _?):
            throw .invalidRequest(id: id, "a response must not have both result and error")
        case (nil, nil):
            throw .invalidRequest(id: id, "expected a method, a result or an error")
        }
    }
}
