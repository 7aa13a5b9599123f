import Foundation

/// One message from the peer with its params already in the `Params` type that `MessageRegistry` names for its
/// method: the server's input. A well-formed message is decoded once, from its bytes straight into those types
/// (`JSONDecoder`); only a message with something to complain about, or with invalid UTF-8 or a lone surrogate
/// escape, takes the way through `JSONValue` (`IncomingMessage`), whose errors name the field and what was found.
package enum DecodedMessage: Sendable {
    case request(id: RequestID, method: String, params: DecodedParams)
    case notification(method: String, params: DecodedParams)
    case response(id: RequestID)
    /// `id` is nil when the peer could not read the id of the request it answers.
    case errorResponse(id: RequestID?, error: ResponseError)
}

/// A request's or notification's params.
package enum DecodedParams: Sendable {
    /// The method's `Params`, decoded.
    case value(any Sendable)
    /// The params do not fit the method's `Params`: an `invalidParams` error that names the field.
    case invalid(ResponseError)
    /// A method that `MessageRegistry` does not know: its params are not read.
    case unregistered

    /// The params as `P`; the error to answer with when they did not decode (or are not a `P`).
    package func get<P>(_ type: P.Type) throws(ResponseError) -> P {
        switch self {
        case .value(let value as P): return value
        case .invalid(let error): throw error
        case .value, .unregistered: throw .internalError("params of an unexpected type (expected \(P.self))")
        }
    }

    /// Decodes `params` as the `Params` of `type` (nil: not a registered method).
    static func decode(_ params: JSONValue?, as type: (any MessageType.Type)?) -> DecodedParams {
        guard let type else { return .unregistered }
        do throws(ResponseError) {
            return .value(try type.decodeParams(params))
        } catch {
            return .invalid(error)
        }
    }
}

extension DecodedMessage {
    /// Decodes one frame's body; a body that is not a usable JSON-RPC message throws as `IncomingMessage.decode`
    /// does, with the same error. `repaired` says that invalid UTF-8 or a lone surrogate escape was read as U+FFFD.
    package static func decode(
        _ body: some Collection<UInt8>
    ) throws(MessageDecodingError) -> (message: DecodedMessage, repaired: Bool) {
        if let message = decodeInOnePass(body) { return (message, false) }
        let (message, repaired) = try IncomingMessage.decodeRepairingTextEncoding(body)
        return (DecodedMessage(message), repaired)
    }

    /// The one-pass decode alone: nil for a message it leaves to the careful way (see `TypedEnvelope`).
    package static func decodeInOnePass(_ body: some Collection<UInt8>) -> DecodedMessage? {
        (try? JSONDecoder().decode(TypedEnvelope.self, from: Data(body)))?.message
    }

    /// The same message, its params decoded through `JSONValueDecoder`.
    package init(_ message: IncomingMessage) {
        switch message {
        case .request(let id, let method, let params):
            self = .request(id: id, method: method, params: .decode(params, as: MessageRegistry.requests[method]))
        case .notification(let method, let params):
            self = .notification(method: method, params: .decode(params, as: MessageRegistry.notifications[method]))
        case .response(let id, _):
            self = .response(id: id)
        case .errorResponse(let id, let error):
            self = .errorResponse(id: id, error: error)
        }
    }
}

/// The one-pass decode of a well-formed message: a request or notification of a registered method with params
/// that fit its type, or a response with a result. `message` is nil for everything else (no `"jsonrpc": "2.0"`,
/// an id of the wrong kind, absent or ill-fitting params, a method the registry does not know, an error
/// response), which is decoded again the careful way: for its error message, or because it is rare.
private struct TypedEnvelope: Decodable {
    let message: DecodedMessage?

    private enum Key: String, CodingKey { case jsonrpc, id, method, params, result, error }

    init(from decoder: any Decoder) throws {
        message = try? Self.read(try decoder.container(keyedBy: Key.self))
    }

    private struct Refused: Error {}

    private static func read(_ container: KeyedDecodingContainer<Key>) throws -> DecodedMessage {
        guard try container.decode(String.self, forKey: .jsonrpc) == "2.0" else { throw Refused() }
        let id = try container.decodeIfPresent(RequestID.self, forKey: .id)
        if container.contains(.id) && id == nil { throw Refused() }  // "id": null
        guard container.contains(.method) else {
            guard let id, container.contains(.result), !container.contains(.error) else { throw Refused() }
            return .response(id: id)
        }
        let method = try container.decode(String.self, forKey: .method)
        let registered: (any MessageType.Type)? =
            id == nil ? MessageRegistry.notifications[method] : MessageRegistry.requests[method]
        guard let type = registered, try container.decodeNil(forKey: .params) == false else { throw Refused() }
        let params = DecodedParams.value(try decodeParams(type, from: container))
        if let id { return .request(id: id, method: method, params: params) }
        return .notification(method: method, params: params)
    }

    private static func decodeParams<M: MessageType>(_ type: M.Type, from container: KeyedDecodingContainer<Key>)
        throws -> M.Params
    {
        try container.decode(M.Params.self, forKey: .params)
    }
}

extension DecodedMessage {
    /// The message as canonical text (params re-encoded with sorted keys), to check that the one-pass decode and
    /// the careful one agree.
    package var canonicalDescription: String {
        switch self {
        case .request(let id, let method, let params): "request \(id) \(method) \(params.canonicalDescription)"
        case .notification(let method, let params): "notification \(method) \(params.canonicalDescription)"
        case .response(let id): "response \(id)"
        case .errorResponse(let id, let error): "error \(id.map { "\($0)" } ?? "null") \(error)"
        }
    }
}

extension DecodedParams {
    package var canonicalDescription: String {
        switch self {
        case .value(let value):
            guard let value = value as? any Encodable, let text = try? JSONRPC.makeEncoder().encode(value) else {
                return "unencodable \(type(of: value))"
            }
            return String(decoding: text, as: UTF8.self)
        case .invalid(let error): return "invalid \(error.message)"
        case .unregistered: return "unregistered"
        }
    }
}
