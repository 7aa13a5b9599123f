import Foundation

// Reading safetensors files (https://huggingface.co/docs/safetensors).
//
// Layout: an 8-byte little-endian UInt64 header length N, then N bytes of UTF-8
// JSON (possibly padded with trailing spaces), then the data buffer. The JSON
// object maps each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]}, with offsets relative to the start of the data buffer, plus an
// optional "__metadata__" object of string → string.
//
// Nothing in a file is trusted: every size is computed with overflow checks
// and every read is bounds-checked, so malformed input produces a
// `SafetensorsFile.Error` rather than a crash or an out-of-bounds read.

/// The element types Recur can read. Integer, boolean and 8-bit float dtypes
/// are rejected with `SafetensorsFile.Error.unknownDType`.
package enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"

    /// Bytes per element.
    package var byteSize: Int {
        switch self {
        case .f64: 8
        case .f32: 4
        case .f16, .bf16: 2
        }
    }
}

/// One tensor, decoded to Float32 in row-major order.
package struct SafetensorsTensor: Sendable, Equatable {
    package var shape: [Int]
    package var values: [Float]
    /// The dtype the tensor was stored as (informational; writing picks its own).
    package var sourceDType: SafetensorsDType

    /// `values.count` should equal the product of `shape` (1 for a scalar,
    /// shape `[]`); `SafetensorsFile.encoded(as:)` reports a mismatch.
    package init(shape: [Int], values: [Float], sourceDType: SafetensorsDType = .f32) {
        self.shape = shape
        self.values = values
        self.sourceDType = sourceDType
    }
}

/// An in-memory safetensors file: string metadata plus named tensors.
package struct SafetensorsFile: Sendable {
    package var metadata: [String: String]
    package var tensors: [String: SafetensorsTensor]

    /// Headers longer than this are refused before anything is allocated.
    package static let maximumHeaderLength = 100_000_000

    /// The key reserved for the metadata block in the JSON header.
    package static let metadataKey = "__metadata__"

    package init(metadata: [String: String] = [:], tensors: [String: SafetensorsTensor] = [:]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    /// Reads and parses the file at `url`.
    package init(contentsOf url: URL) throws(Error) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let path = url.path(percentEncoded: false)
            throw .fileUnreadable(path: path, reason: Self.readFailureReason(path: path, error: error))
        }
        let result = data.withUnsafeBytes { buffer in
            Result { () throws(Error) in try Self.parse(buffer) }
        }
        self = try result.get()
    }

    /// Parses a complete safetensors file held in memory.
    package init(bytes: some Collection<UInt8>) throws(Error) {
        let contiguous = bytes.withContiguousStorageIfAvailable { storage in
            Result { () throws(Error) in try Self.parse(UnsafeRawBufferPointer(storage)) }
        }
        if let contiguous {
            self = try contiguous.get()
            return
        }
        let copy = Array(bytes)
        let result = copy.withUnsafeBytes { buffer in
            Result { () throws(Error) in try Self.parse(buffer) }
        }
        self = try result.get()
    }

    /// The name of the first tensor, in name order, that contains a NaN or an
    /// infinity; nil when every value is finite.
    package func firstNonFinite() -> String? {
        tensors.keys.sorted().first { name in
            tensors[name]!.values.contains { !$0.isFinite }
        }
    }
}

// MARK: - Errors

extension SafetensorsFile {
    /// Everything that can go wrong reading or writing a safetensors file.
    /// `description` says what is wrong and what to do about it.
    package enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// The file could not be read at all.
        case fileUnreadable(path: String, reason: String)
        /// Fewer than the 8 bytes needed for the header length.
        case fileTooSmall(byteCount: Int)
        /// The header length says more bytes than the file holds after it.
        case truncatedHeader(headerLength: UInt64, available: Int)
        /// The header length exceeds `maximumHeaderLength`.
        case headerTooLarge(headerLength: UInt64, limit: Int)
        /// The JSON header is malformed; the reason names the problem.
        case invalidHeader(String)
        /// A tensor uses a dtype other than F64, F32, F16 or BF16.
        case unknownDType(tensor: String, dtype: String)
        /// The element or byte count of a tensor's shape overflows `Int`.
        case shapeOverflow(tensor: String, shape: [Int])
        /// A tensor's data range ends beyond the data buffer.
        case offsetsOutOfRange(tensor: String, begin: Int, end: Int, available: Int)
        /// A tensor's data range length disagrees with its shape and dtype.
        case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
        /// Two tensors' data ranges overlap.
        case overlappingTensors(String, String)
        /// Writing: a shape has a negative dimension.
        case invalidShape(tensor: String, shape: [Int])
        /// Writing: the number of values does not match the shape.
        case valueCountMismatch(tensor: String, expected: Int, actual: Int)
        /// Writing: the tensor name is reserved ("__metadata__").
        case reservedTensorName(String)
        /// Writing: a finite value is outside the range of the target dtype.
        case notRepresentable(tensor: String, dtype: SafetensorsDType, value: Float)
        /// Writing: the file system refused the write.
        case writeFailed(path: String, reason: String)

        package var description: String {
            switch self {
            case .fileUnreadable(let path, let reason):
                return "cannot read safetensors file '\(path)': \(reason). "
                    + "Check that the path exists and is a readable file."
            case .fileTooSmall(let byteCount):
                return "file is \(byteCount) bytes, too small to be safetensors "
                    + "(it needs at least an 8-byte header length). "
                    + "The file is empty or truncated; re-export or re-download it."
            case .truncatedHeader(let headerLength, let available):
                return "the header length field claims \(headerLength) bytes of JSON header, "
                    + "but only \(available) bytes follow it. "
                    + "The file is truncated or is not a safetensors file."
            case .headerTooLarge(let headerLength, let limit):
                return "the header length field claims \(headerLength) bytes, more than the "
                    + "\(limit)-byte limit, so it was not read. "
                    + "The file is corrupt or is not a safetensors file."
            case .invalidHeader(let reason):
                return "invalid safetensors header: \(reason). "
                    + "The file is corrupt or was not written by a safetensors writer."
            case .unknownDType(let tensor, let dtype):
                return "tensor '\(tensor)' has dtype '\(dtype)', which is unknown or unsupported; "
                    + "only F64, F32, F16 and BF16 can be loaded. "
                    + "Convert the tensor to a floating-point type before saving."
            case .shapeOverflow(let tensor, let shape):
                return "tensor '\(tensor)' has shape \(shape), whose element or byte count "
                    + "overflows; the shape is corrupt."
            case .offsetsOutOfRange(let tensor, let begin, let end, let available):
                return "tensor '\(tensor)' claims data bytes \(begin)..<\(end), but the data buffer "
                    + "holds only \(available) bytes. The file is truncated or corrupt."
            case .sizeMismatch(let tensor, let expectedBytes, let actualBytes):
                return "tensor '\(tensor)' needs \(expectedBytes) bytes for its shape and dtype, "
                    + "but its data_offsets span \(actualBytes) bytes; the header is inconsistent."
            case .overlappingTensors(let first, let second):
                return "tensors '\(first)' and '\(second)' have overlapping data ranges; "
                    + "the file is corrupt."
            case .invalidShape(let tensor, let shape):
                return "tensor '\(tensor)' has shape \(shape) with a negative dimension; "
                    + "dimensions must be zero or positive."
            case .valueCountMismatch(let tensor, let expected, let actual):
                return "tensor '\(tensor)' has \(actual) values but its shape needs \(expected); "
                    + "fix the shape or the values before saving."
            case .reservedTensorName(let name):
                return "'\(name)' cannot be used as a tensor name: it is reserved for the "
                    + "safetensors metadata block. Rename the tensor."
            case .notRepresentable(let tensor, let dtype, let value):
                return "tensor '\(tensor)' holds the value \(value), which is outside the finite "
                    + "range of \(dtype.rawValue). Save as F32 instead, or rescale the tensor."
            case .writeFailed(let path, let reason):
                return "cannot write safetensors file '\(path)': \(reason). "
                    + "Check that the directory exists, is writable and has free space."
            }
        }
    }

    /// A short human-readable reason for a Foundation error, without the
    /// generic "could not be completed" preamble or a trailing period.
    static func reason(for error: any Swift.Error) -> String {
        let nsError = error as NSError
        var text = nsError.localizedDescription
        if let debug = nsError.userInfo[NSDebugDescriptionErrorKey] as? String, !debug.isEmpty {
            text = debug
        }
        let preamble = "The operation could not be completed. "
        if text.hasPrefix(preamble) { text.removeFirst(preamble.count) }
        while text.hasSuffix(".") { text.removeLast() }
        return text.isEmpty ? String(describing: error) : text
    }

    /// Why reading `path` failed, preferring a precise file-system diagnosis.
    static func readFailureReason(path: String, error: any Swift.Error) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return "no such file"
        }
        if isDirectory.boolValue { return "it is a directory, not a file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return reason(for: error)
    }

    /// Why writing `url` failed, preferring a precise file-system diagnosis.
    static func writeFailureReason(url: URL, error: any Swift.Error) -> String {
        var directory = url.deletingLastPathComponent().path(percentEncoded: false)
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            return "the directory '\(directory)' does not exist"
        }
        if !isDirectory.boolValue { return "'\(directory)' is not a directory" }
        if !FileManager.default.isWritableFile(atPath: directory) {
            return "the directory '\(directory)' is not writable"
        }
        let path = url.path(percentEncoded: false)
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "a directory already exists at that path"
        }
        return reason(for: error)
    }
}

// MARK: - Parsing

extension SafetensorsFile {
    /// A tensor entry from the header whose data range has been validated.
    private struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var count: Int
        var begin: Int
        var end: Int
    }

    static func parse(_ buffer: UnsafeRawBufferPointer) throws(Error) -> SafetensorsFile {
        guard buffer.count >= 8 else { throw .fileTooSmall(byteCount: buffer.count) }
        var headerLength: UInt64 = 0
        for index in 0..<8 {
            headerLength |= UInt64(buffer[index]) << UInt64(8 * index)
        }
        let afterLength = buffer.count - 8
        guard headerLength <= UInt64(maximumHeaderLength) else {
            throw .headerTooLarge(headerLength: headerLength, limit: maximumHeaderLength)
        }
        guard headerLength <= UInt64(afterLength) else {
            throw .truncatedHeader(headerLength: headerLength, available: afterLength)
        }
        let headerEnd = 8 + Int(headerLength)
        let header = UnsafeRawBufferPointer(rebasing: buffer[8..<headerEnd])
        let data = UnsafeRawBufferPointer(rebasing: buffer[headerEnd...])

        let object = try parseHeaderJSON(header)
        var file = SafetensorsFile()
        if let rawMetadata = object[metadataKey] {
            file.metadata = try parseMetadata(rawMetadata)
        }

        var entries: [Entry] = []
        for name in object.keys.sorted() where name != metadataKey {
            entries.append(try parseEntry(name: name, object[name]!, available: data.count))
        }
        try checkOverlaps(entries)

        for entry in entries {
            let values = decode(entry, from: data)
            file.tensors[entry.name] = SafetensorsTensor(
                shape: entry.shape, values: values, sourceDType: entry.dtype)
        }
        return file
    }

    /// Validates UTF-8 and parses the header as a JSON object.
    private static func parseHeaderJSON(_ header: UnsafeRawBufferPointer) throws(Error) -> [String: Any] {
        guard let first = header.first else {
            throw .invalidHeader("the JSON header is empty")
        }
        guard first == UInt8(ascii: "{") else {
            throw .invalidHeader("the JSON header must start with '{' but starts with byte \(first)")
        }
        // JSONSerialization would also accept UTF-16/32; the format demands UTF-8.
        guard String(decoding: header, as: UTF8.self).utf8.elementsEqual(header) else {
            throw .invalidHeader("the JSON header is not valid UTF-8")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(header))
        } catch {
            throw .invalidHeader("the header is not valid JSON (\(reason(for: error)))")
        }
        guard let object = parsed as? [String: Any] else {
            throw .invalidHeader("the header JSON is not an object")
        }
        return object
    }

    private static func parseMetadata(_ raw: Any) throws(Error) -> [String: String] {
        guard let dictionary = raw as? [String: Any] else {
            throw .invalidHeader("'\(metadataKey)' must be an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, value) in dictionary {
            guard let string = value as? String else {
                throw .invalidHeader("metadata value for key '\(key)' is not a string")
            }
            metadata[key] = string
        }
        return metadata
    }

    private static func parseEntry(name: String, _ raw: Any, available: Int) throws(Error) -> Entry {
        guard let fields = raw as? [String: Any] else {
            throw .invalidHeader("the entry for tensor '\(name)' is not an object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw .invalidHeader("tensor '\(name)' has no string 'dtype'")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(tensor: name, dtype: dtypeName)
        }
        guard let rawShape = fields["shape"] as? [Any] else {
            throw .invalidHeader("tensor '\(name)' has no 'shape' array")
        }
        var shape: [Int] = []
        shape.reserveCapacity(rawShape.count)
        for rawDimension in rawShape {
            guard let dimension = nonNegativeInteger(rawDimension) else {
                throw .invalidHeader(
                    "tensor '\(name)' has shape entry \(rawDimension), which is not a non-negative integer")
            }
            shape.append(dimension)
        }
        guard let rawOffsets = fields["data_offsets"] as? [Any], rawOffsets.count == 2 else {
            throw .invalidHeader("tensor '\(name)' has no 'data_offsets' array of two integers")
        }
        guard let begin = nonNegativeInteger(rawOffsets[0]),
            let end = nonNegativeInteger(rawOffsets[1])
        else {
            throw .invalidHeader(
                "tensor '\(name)' has data_offsets \(rawOffsets), which are not non-negative integers")
        }
        guard begin <= end else {
            throw .invalidHeader("tensor '\(name)' has data_offsets [\(begin), \(end)] with begin after end")
        }

        guard let count = elementCount(shape) else {
            throw .shapeOverflow(tensor: name, shape: shape)
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw .shapeOverflow(tensor: name, shape: shape) }
        guard end <= available else {
            throw .offsetsOutOfRange(tensor: name, begin: begin, end: end, available: available)
        }
        guard byteCount == end - begin else {
            throw .sizeMismatch(tensor: name, expectedBytes: byteCount, actualBytes: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end)
    }

    /// Rejects any two non-empty data ranges that share a byte. Gaps between
    /// tensors and unused trailing bytes are tolerated.
    private static func checkOverlaps(_ entries: [Entry]) throws(Error) {
        let nonEmpty = entries.filter { $0.begin < $0.end }
            .sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }
        guard var furthest = nonEmpty.first else { return }
        for entry in nonEmpty.dropFirst() {
            if entry.begin < furthest.end {
                throw .overlappingTensors(furthest.name, entry.name)
            }
            if entry.end > furthest.end { furthest = entry }
        }
    }

    /// Decodes a validated entry; `entry.begin..<entry.end` lies inside `data`.
    private static func decode(_ entry: Entry, from data: UnsafeRawBufferPointer) -> [Float] {
        let bytes = UnsafeRawBufferPointer(rebasing: data[entry.begin..<entry.end])
        assert(bytes.count == entry.count * entry.dtype.byteSize)
        return [Float](unsafeUninitializedCapacity: entry.count) { values, initialized in
            switch entry.dtype {
            case .f64:
                for index in 0..<entry.count {
                    let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
                    values[index] = Float(Double(bitPattern: bits))
                }
            case .f32:
                for index in 0..<entry.count {
                    let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                    values[index] = Float(bitPattern: bits)
                }
            case .f16:
                for index in 0..<entry.count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                    values[index] = Float(bitsF16: bits)
                }
            case .bf16:
                for index in 0..<entry.count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                    values[index] = Float(bitsBF16: bits)
                }
            }
            initialized = entry.count
        }
    }

    /// The product of `shape` (1 for a scalar), or nil if it overflows `Int`.
    /// Negative dimensions also give nil.
    package static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// A JSON number that is a non-negative integer representable as `Int`.
    /// Booleans and non-integral numbers are rejected; integral doubles such
    /// as `2.0` are accepted.
    private static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let integer: Int?
        switch UInt8(bitPattern: number.objCType.pointee) {
        case UInt8(ascii: "c"), UInt8(ascii: "B"):
            return nil  // JSON true/false
        case UInt8(ascii: "f"), UInt8(ascii: "d"):
            integer = Int(exactly: number.doubleValue)
        case UInt8(ascii: "Q"), UInt8(ascii: "L"), UInt8(ascii: "I"), UInt8(ascii: "S"), UInt8(ascii: "C"):
            integer = Int(exactly: number.uint64Value)
        default:
            integer = Int(exactly: number.int64Value)
        }
        guard let integer, integer >= 0 else { return nil }
        return integer
    }
}
