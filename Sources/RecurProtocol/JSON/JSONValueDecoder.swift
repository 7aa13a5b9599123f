/// Decodes `Decodable` types straight from a `JSONValue`.
///
/// Why not re-serialise and use `JSONDecoder`: params are already parsed once into `JSONValue` to read the envelope,
/// and a `didChange` may carry a whole file. Errors are the standard `DecodingError`s with full coding paths and
/// messages written for a client's log ("expected a string, found a number"). Integers accept integral doubles;
/// doubles accept integers; nothing else is converted.
package struct JSONValueDecoder: Sendable {
    package init() {}

    package func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONValueUnboxing.unbox(value, as: type, codingPath: [])
    }
}

/// A coding key for array elements, and for arbitrary string keys.
package struct JSONCodingKey: CodingKey, Sendable {
    package let stringValue: String
    package let intValue: Int?

    package init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    package init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

/// Conversions from one `JSONValue` to a requested type, shared by the three container kinds.
private enum JSONValueUnboxing {
    static func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, codingPath: [any CodingKey]) throws -> T {
        if T.self == JSONValue.self, let value = value as? T { return value }
        return try T(from: JSONValueDecoding(value: value, codingPath: codingPath))
    }

    static func unbox(_ value: JSONValue, as type: Bool.Type, codingPath: [any CodingKey]) throws -> Bool {
        guard case .bool(let result) = value else { throw mismatch(type, "a boolean", value, codingPath) }
        return result
    }

    static func unbox(_ value: JSONValue, as type: String.Type, codingPath: [any CodingKey]) throws -> String {
        guard case .string(let result) = value else { throw mismatch(type, "a string", value, codingPath) }
        return result
    }

    static func unboxInteger<T: FixedWidthInteger>(_ value: JSONValue, as type: T.Type, codingPath: [any CodingKey])
        throws -> T
    {
        switch value {
        case .int(let int):
            if let result = T(exactly: int) { return result }
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "number \(int) does not fit in \(T.self)"))
        case .double(let double) where double.rounded(.towardZero) == double:
            if let result = T(exactly: double) { return result }
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "number \(double) does not fit in \(T.self)"))
        case .double(let double):
            throw DecodingError.typeMismatch(
                T.self, .init(codingPath: codingPath, debugDescription: "expected an integer, found \(double)"))
        default:
            throw mismatch(type, "an integer", value, codingPath)
        }
    }

    static func unboxFloatingPoint<T: BinaryFloatingPoint>(
        _ value: JSONValue, as type: T.Type, codingPath: [any CodingKey]
    ) throws -> T {
        switch value {
        case .int(let int): return T(int)
        case .double(let double):
            let result = T(double)
            guard result.isFinite || !double.isFinite else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "number \(double) does not fit in \(T.self)"))
            }
            return result
        default:
            throw mismatch(type, "a number", value, codingPath)
        }
    }

    /// `valueNotFound` for null (so optionals read as absent), `typeMismatch` for any other wrong kind.
    static func mismatch(_ type: Any.Type, _ expected: String, _ value: JSONValue, _ codingPath: [any CodingKey])
        -> DecodingError
    {
        let context = DecodingError.Context(
            codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kindDescription)")
        return value == .null ? .valueNotFound(type, context) : .typeMismatch(type, context)
    }
}

private struct JSONValueDecoding: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw JSONValueUnboxing.mismatch([String: JSONValue].self, "an object", value, codingPath)
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else {
            throw JSONValueUnboxing.mismatch([JSONValue].self, "an array", value, codingPath)
        }
        return UnkeyedContainer(array: array, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func value(for key: Key) throws -> JSONValue {
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "missing required field '\(key.stringValue)'"))
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool { try value(for: key) == .null }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try JSONValueUnboxing.unbox(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try JSONValueUnboxing.unbox(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try JSONValueUnboxing.unboxFloatingPoint(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try JSONValueUnboxing.unboxFloatingPoint(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try JSONValueUnboxing.unboxInteger(value(for: key), as: type, codingPath: path(key))
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try JSONValueUnboxing.unbox(value(for: key), as: type, codingPath: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try JSONValueDecoding(value: value(for: key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoding(value: value(for: key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = JSONCodingKey(stringValue: "super")
        return JSONValueDecoding(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoding(value: object[key.stringValue] ?? .null, codingPath: path(key))
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let array: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(array: [JSONValue], codingPath: [any CodingKey]) {
        self.array = array
        self.codingPath = codingPath
    }

    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    /// The next element and its coding path; advances only after a successful decode, as the protocol requires.
    private func peek(_ type: Any.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [JSONCodingKey(intValue: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: path, debugDescription: "expected another element, found the end of the array"))
        }
        return (array[currentIndex], path)
    }

    private mutating func next<T>(_ type: T.Type, _ unbox: (JSONValue, [any CodingKey]) throws -> T) throws -> T {
        let (value, path) = try peek(type)
        let result = try unbox(value, path)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        let (value, _) = try peek(JSONValue.self)
        guard value == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try next(type) { try JSONValueUnboxing.unbox($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: String.Type) throws -> String {
        try next(type) { try JSONValueUnboxing.unbox($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        try next(type) { try JSONValueUnboxing.unboxFloatingPoint($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Float.Type) throws -> Float {
        try next(type) { try JSONValueUnboxing.unboxFloatingPoint($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Int.Type) throws -> Int {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Int8.Type) throws -> Int8 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: UInt.Type) throws -> UInt {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        try next(type) { try JSONValueUnboxing.unboxInteger($0, as: type, codingPath: $1) }
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next(type) { try JSONValueUnboxing.unbox($0, as: type, codingPath: $1) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next(KeyedDecodingContainer<NestedKey>.self) {
            try JSONValueDecoding(value: $0, codingPath: $1).container(keyedBy: type)
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next((any UnkeyedDecodingContainer).self) {
            try JSONValueDecoding(value: $0, codingPath: $1).unkeyedContainer()
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next((any Decoder).self) { JSONValueDecoding(value: $0, codingPath: $1) }
    }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        try JSONValueUnboxing.unbox(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: String.Type) throws -> String {
        try JSONValueUnboxing.unbox(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Double.Type) throws -> Double {
        try JSONValueUnboxing.unboxFloatingPoint(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Float.Type) throws -> Float {
        try JSONValueUnboxing.unboxFloatingPoint(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Int.Type) throws -> Int {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Int8.Type) throws -> Int8 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Int16.Type) throws -> Int16 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Int32.Type) throws -> Int32 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: Int64.Type) throws -> Int64 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: UInt.Type) throws -> UInt {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: UInt8.Type) throws -> UInt8 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: UInt16.Type) throws -> UInt16 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: UInt32.Type) throws -> UInt32 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode(_ type: UInt64.Type) throws -> UInt64 {
        try JSONValueUnboxing.unboxInteger(value, as: type, codingPath: codingPath)
    }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONValueUnboxing.unbox(value, as: type, codingPath: codingPath)
    }
}
