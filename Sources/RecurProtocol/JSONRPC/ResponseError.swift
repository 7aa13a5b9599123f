/// The `error` member of a JSON-RPC response. Handlers throw it; the server sends it as is.
package struct ResponseError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    package var code: ErrorCode
    package var message: String
    package var data: JSONValue?

    package init(code: ErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    package var description: String { "\(message) (\(code.rawValue))" }

    /// A JSON-RPC or LSP error code. Open-ended: peers may send codes not listed here.
    package struct ErrorCode: RawRepresentable, Codable, Sendable, Hashable {
        package var rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }

        // JSON-RPC 2.0.
        /// The body is not JSON.
        package static let parseError = ErrorCode(rawValue: -32700)
        /// JSON, but not a valid JSON-RPC 2.0 message.
        package static let invalidRequest = ErrorCode(rawValue: -32600)
        package static let methodNotFound = ErrorCode(rawValue: -32601)
        package static let invalidParams = ErrorCode(rawValue: -32602)
        package static let internalError = ErrorCode(rawValue: -32603)
        // LSP.
        /// A request other than `initialize` arrived before it.
        package static let serverNotInitialized = ErrorCode(rawValue: -32002)
        package static let unknownErrorCode = ErrorCode(rawValue: -32001)
        /// Answer to a request the client cancelled with `$/cancelRequest`.
        package static let requestCancelled = ErrorCode(rawValue: -32800)
        /// The document changed under the request, so its result would be stale.
        package static let contentModified = ErrorCode(rawValue: -32801)
        package static let serverCancelled = ErrorCode(rawValue: -32802)
        /// A well-formed request the server could not fulfil.
        package static let requestFailed = ErrorCode(rawValue: -32803)
    }
}

extension ResponseError {
    package static func parseError(_ detail: String) -> ResponseError {
        ResponseError(code: .parseError, message: "parse error: \(detail)")
    }

    package static func invalidRequest(_ detail: String) -> ResponseError {
        ResponseError(code: .invalidRequest, message: "invalid request: \(detail)")
    }

    package static func methodNotFound(_ method: String) -> ResponseError {
        ResponseError(code: .methodNotFound, message: "method not found: \(method)")
    }

    package static func invalidParams(_ detail: String) -> ResponseError {
        ResponseError(code: .invalidParams, message: "invalid params: \(detail)")
    }

    package static func internalError(_ detail: String) -> ResponseError {
        ResponseError(code: .internalError, message: "internal error: \(detail)")
    }

    package static let serverNotInitialized = ResponseError(
        code: .serverNotInitialized, message: "server not initialized: send 'initialize' first")

    package static let requestCancelled = ResponseError(code: .requestCancelled, message: "request cancelled")

    package static let contentModified = ResponseError(
        code: .contentModified, message: "content modified: the document changed while the request ran")

    package static func requestFailed(_ detail: String) -> ResponseError {
        ResponseError(code: .requestFailed, message: "request failed: \(detail)")
    }

    /// `invalidParams` from a decoding failure, naming the offending field by its path, e.g.
    /// "invalid params: position.line: expected a non-negative integer".
    package static func invalidParams(decodingError error: any Error) -> ResponseError {
        invalidParams(describe(decodingError: error))
    }

    /// "field.path: what was wrong", from a `DecodingError`; other errors as they describe themselves.
    package static func describe(decodingError error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        let path: [any CodingKey]
        let detail: String
        switch error {
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            detail = "missing required field"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
            detail = context.debugDescription
        @unknown default:
            return String(describing: error)
        }
        var field = ""
        for key in path {
            if let index = key.intValue {
                field += "[\(index)]"
            } else {
                field += field.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return field.isEmpty ? detail : "\(field): \(detail)"
    }
}
