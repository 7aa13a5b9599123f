import Foundation

/// Any JSON value, for the parts of messages whose shape is open (params before dispatch, `initializationOptions`,
/// client capabilities, error data).
///
/// Integers are kept apart from doubles so ids and positions survive exactly: a JSON number whose value is an integer
/// that fits in `Int` becomes `.int` (`1.0` and `1e2` included, as `JSONDecoder` reads them); every other number is
/// `.double`. `.int(1)` and `.double(1)` are therefore different values.
package enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// Parses JSON text. Throws on anything that is not exactly one JSON value.
    package init(parsing bytes: some Collection<UInt8>) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// Converts any `Encodable` into its JSON shape (by a round trip through `JSONEncoder`).
    package init(encoding value: some Encodable) throws {
        let data = try JSONRPC.makeEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Compact JSON text with sorted keys. Throws only for non-finite doubles.
    package func serialized() throws -> [UInt8] {
        Array(try JSONRPC.makeEncoder().encode(self))
    }

    /// Decodes a `Decodable` from this value directly, without re-serialising; errors carry the coding path.
    package func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONValueDecoder().decode(type, from: self)
    }
}
