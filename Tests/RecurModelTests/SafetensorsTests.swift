import Foundation
import RecurKernels
import RecurModel
import Testing

// MARK: - Helpers

/// The production generator (SplitMix64), so fuzz runs are reproducible.
private typealias SplitMix64 = SeededGenerator

/// A raw file: little-endian header length, the header text, then `data`.
private func rawFile(header: String, data: [UInt8] = []) -> [UInt8] {
    rawFile(headerBytes: Array(header.utf8), data: data)
}

private func rawFile(headerBytes: [UInt8], data: [UInt8] = [], claimedLength: UInt64? = nil) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (claimedLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
    return bytes + headerBytes + data
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// The error thrown when parsing `bytes`, or nil if parsing succeeds.
private func parseError(_ bytes: [UInt8]) -> SafetensorsFile.Error? {
    do {
        _ = try SafetensorsFile(bytes: bytes)
        return nil
    } catch {
        return error
    }
}

private func isInvalidHeader(_ error: SafetensorsFile.Error?) -> Bool {
    if case .invalidHeader = error { return true }
    return false
}

/// One `"name":{...}` header entry with the given fields.
private func entry(_ name: String, dtype: String = "F32", shape: String, offsets: String) -> String {
    #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

/// A header with a single tensor entry "a" and the given fields.
private func singleTensorHeader(dtype: String = "F32", shape: String, offsets: String) -> String {
    "{" + entry("a", dtype: dtype, shape: shape, offsets: offsets) + "}"
}

private func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

private func sampleFile() -> SafetensorsFile {
    SafetensorsFile(
        metadata: ["format": "pt", "note": "ünïcode \"quoted\" \\ back\nslash\u{1}"],
        tensors: [
            "rnn.weight": SafetensorsTensor(shape: [2, 3], values: [1, -2, 0.5, 0.25, 3, -0.0]),
            "rnn.bias": SafetensorsTensor(shape: [3], values: [0.125, -1, 1024]),
            "scalar": SafetensorsTensor(shape: [], values: [3.5]),
            "empty": SafetensorsTensor(shape: [0], values: []),
            "empty.3d": SafetensorsTensor(shape: [2, 0, 3], values: []),
            "naïve \"name\"/\t": SafetensorsTensor(shape: [1, 1], values: [7]),
        ])
}

// MARK: - Round trips

@Suite struct SafetensorsRoundTripTests {
    @Test func roundTripF32() throws {
        let file = sampleFile()
        let bytes = try file.encoded(as: .f32)
        let loaded = try SafetensorsFile(bytes: bytes)
        #expect(loaded.metadata == file.metadata)
        #expect(loaded.tensors == file.tensors)
        #expect(loaded.tensors["scalar"]?.shape == [])
        #expect(loaded.tensors["empty.3d"]?.shape == [2, 0, 3])
        // Bit-exact, including the sign of -0.
        #expect(
            loaded.tensors["rnn.weight"]?.values.map(\.bitPattern)
                == file.tensors["rnn.weight"]?.values.map(\.bitPattern))
    }

    @Test func layoutIsAlignedAndDeterministic() throws {
        let bytes = try sampleFile().encoded()
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
        #expect(bytes[8] == UInt8(ascii: "{"))
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"format":"pt","#))
        // Tensors appear in name order and are contiguous from offset 0.
        #expect(header.contains(#""empty":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"#))
        #expect(header.contains(#""rnn.bias":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}"#))
        #expect(header.contains(#""rnn.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}"#))
        #expect(bytes.count == 8 + headerLength + 4 * (3 + 6 + 1 + 1))
        #expect(try sampleFile().encoded() == bytes)
    }

    @Test func roundTripF16() throws {
        // All exactly representable in binary16.
        let values: [Float] = [0, -0.0, 1, -2, 0.5, 65504, -65504, 0x1p-14, 0x1p-24, 0x3FFp-24, 0.099975586]
        let file = SafetensorsFile(
            metadata: ["k": "v"],
            tensors: [
                "w": SafetensorsTensor(shape: [values.count], values: values),
                "s": SafetensorsTensor(shape: [], values: [-1.5]),
                "z": SafetensorsTensor(shape: [0, 4], values: []),
            ])
        let loaded = try SafetensorsFile(bytes: file.encoded(as: .f16))
        #expect(loaded.metadata == ["k": "v"])
        #expect(loaded.tensors["w"]?.values.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(loaded.tensors["w"]?.sourceDType == .f16)
        #expect(loaded.tensors["s"] == SafetensorsTensor(shape: [], values: [-1.5], sourceDType: .f16))
        #expect(loaded.tensors["z"] == SafetensorsTensor(shape: [0, 4], values: [], sourceDType: .f16))
    }

    @Test func f16WritingRoundsToNearest() throws {
        let file = SafetensorsFile(tensors: ["t": SafetensorsTensor(shape: [3], values: [0.1, 1 + 0x1p-11, 1e-9])])
        let loaded = try SafetensorsFile(bytes: file.encoded(as: .f16))
        #expect(loaded.tensors["t"]?.values == [0.099975586, 1, 0])
    }

    @Test func roundTripBF16AndF64() throws {
        let values: [Float] = [1, -3.5, 0x1p-126, 1e30, -0.0]
        let file = SafetensorsFile(tensors: ["t": SafetensorsTensor(shape: [5], values: values)])
        let bf16 = try SafetensorsFile(bytes: file.encoded(as: .bf16))
        #expect(bf16.tensors["t"]?.values == values.map { Float(bitsBF16: UInt16(bf16BitsRounding: $0)) })
        #expect(bf16.tensors["t"]?.sourceDType == .bf16)
        let f64 = try SafetensorsFile(bytes: file.encoded(as: .f64))
        #expect(f64.tensors["t"]?.values.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(f64.tensors["t"]?.sourceDType == .f64)
    }

    @Test func emptyFileRoundTrips() throws {
        let bytes = try SafetensorsFile().encoded()
        let loaded = try SafetensorsFile(bytes: bytes)
        #expect(loaded.tensors.isEmpty && loaded.metadata.isEmpty)
    }

    @Test func acceptsAnyByteCollection() throws {
        let bytes = try sampleFile().encoded()
        let expected = sampleFile().tensors
        #expect(try SafetensorsFile(bytes: Data(bytes)).tensors == expected)
        #expect(try SafetensorsFile(bytes: bytes.lazy.map { $0 }).tensors == expected)
        // A slice that does not start at index 0.
        let shifted = [0xAA, 0xBB, 0xCC] + bytes
        #expect(try SafetensorsFile(bytes: shifted[3...]).tensors == expected)
    }

    @Test func writeReplacesExistingFileAtomically() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")

        let large = SafetensorsFile(
            metadata: ["size": "large"],
            tensors: ["big": SafetensorsTensor(shape: [1000], values: (0..<1000).map(Float.init))])
        try large.write(to: url)
        #expect(try SafetensorsFile(contentsOf: url).tensors == large.tensors)

        let small = SafetensorsFile(
            metadata: ["size": "small"], tensors: ["s": SafetensorsTensor(shape: [2], values: [1, 2])])
        try small.write(to: url, as: .f16)
        let smallBytes = try small.encoded(as: .f16)
        #expect(try Data(contentsOf: url) == Data(smallBytes))
        let reloaded = try SafetensorsFile(contentsOf: url)
        #expect(reloaded.metadata == ["size": "small"])
        #expect(reloaded.tensors["s"]?.values == [1, 2])
        #expect(reloaded.tensors["big"] == nil)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
    }
}

// MARK: - Float16 / BFloat16 conversion

/// (value, expected binary16 bits) pairs covering zeros, rounding ties,
/// subnormals, the overflow boundary and infinities.
private let f16EncodingCases: [(Float, UInt16)] = [
    (0, 0x0000),
    (-0.0, 0x8000),
    (1, 0x3C00),
    (-2, 0xC000),
    (65504, 0x7BFF),
    (-65504, 0xFBFF),
    (65519.996, 0x7BFF),  // just below the rounding boundary
    (65520, 0x7C00),  // ties to even → overflows to infinity
    (6e-8, 0x0001),  // nearest to the smallest subnormal 2^-24 ≈ 5.96e-8
    (0x1p-24, 0x0001),
    (0x1p-25, 0x0000),  // tie between 0 and 2^-24 → even (0)
    (0x1.8p-24, 0x0002),  // tie between 1 and 2 ulps → even (2)
    (0x1.4p-24, 0x0001),  // below the tie
    (0x3FFp-24, 0x03FF),  // largest subnormal
    (0x1p-14, 0x0400),  // smallest normal
    (0x1.FFFp-15, 0x0400),  // rounds up from subnormal into the normal range
    (1 + 0x1p-11, 0x3C00),  // tie → even mantissa (0)
    (1 + 0x3p-11, 0x3C02),  // tie → even mantissa (2)
    (1 + 0x1.2p-11, 0x3C01),  // just above the tie
    (1e-30, 0x0000),
    (-1e-30, 0x8000),
    (Float.leastNonzeroMagnitude, 0x0000),
    (Float.infinity, 0x7C00),
    (-Float.infinity, 0xFC00),
    (1e10, 0x7C00),
]

@Suite struct HalfPrecisionConversionTests {
    @Test(arguments: f16EncodingCases)
    func floatToF16(value: Float, expected: UInt16) {
        #expect(UInt16(f16BitsRounding: value) == expected)
    }

    @Test func nanStaysNaN() {
        let bits = UInt16(f16BitsRounding: .nan)
        #expect(bits & 0x7C00 == 0x7C00 && bits & 0x03FF != 0)
        #expect(Float(bitsF16: bits).isNaN)
        // Payloads that live only in the low Float32 bits still give a NaN.
        #expect(Float(bitsF16: UInt16(f16BitsRounding: Float(bitPattern: 0x7F80_0001))).isNaN)
        #expect(Float(bitsBF16: UInt16(bf16BitsRounding: Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    @Test func f16Decoding() {
        #expect(Float(bitsF16: 0x0000).bitPattern == Float(0).bitPattern)
        #expect(Float(bitsF16: 0x8000).bitPattern == Float(-0.0).bitPattern)
        #expect(Float(bitsF16: 0x3C00) == 1)
        #expect(Float(bitsF16: 0x7BFF) == 65504)
        #expect(Float(bitsF16: 0x0001) == 0x1p-24)
        #expect(Float(bitsF16: 0x8001) == -0x1p-24)
        #expect(Float(bitsF16: 0x03FF) == 0x3FFp-24)
        #expect(Float(bitsF16: 0x0400) == 0x1p-14)
        #expect(Float(bitsF16: 0x7C00) == .infinity)
        #expect(Float(bitsF16: 0xFC00) == -.infinity)
        #expect(Float(bitsF16: 0x7E00).isNaN)
    }

    @Test func f16RoundTripsEveryBitPattern() {
        for bits in UInt16.min...UInt16.max {
            let value = Float(bitsF16: bits)
            if value.isNaN { continue }
            #expect(UInt16(f16BitsRounding: value) == bits, "bits \(bits)")
        }
    }

    #if !(os(macOS) && arch(x86_64))
        @Test func matchesSwiftFloat16() {
            for bits in UInt16.min...UInt16.max {
                let ours = Float(bitsF16: bits)
                let swift = Float(Float16(bitPattern: bits))
                #expect(ours.bitPattern == swift.bitPattern || (ours.isNaN && swift.isNaN), "decode \(bits)")
            }
            var generator = SplitMix64(seed: 16)
            for _ in 0..<200_000 {
                let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
                let ours = UInt16(f16BitsRounding: value)
                let swift = Float16(value).bitPattern
                #expect(ours == swift || (value.isNaN && Float(bitsF16: ours).isNaN), "encode \(value)")
            }
            // Every midpoint between adjacent binary16 values, and its neighbours.
            for bits in UInt16(0)..<0x7C00 {
                let midpoint = (Float(bitsF16: bits) + Float(bitsF16: bits + 1)) / 2
                for value in [midpoint.nextDown, midpoint, midpoint.nextUp, -midpoint] {
                    #expect(UInt16(f16BitsRounding: value) == Float16(value).bitPattern, "encode \(value)")
                }
            }
        }
    #endif

    @Test func bf16Conversion() {
        #expect(Float(bitsBF16: 0x3F80) == 1)
        #expect(Float(bitsBF16: 0xC040) == -3)
        #expect(UInt16(bf16BitsRounding: 1) == 0x3F80)
        #expect(UInt16(bf16BitsRounding: Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(UInt16(bf16BitsRounding: Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even
        #expect(UInt16(bf16BitsRounding: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(UInt16(bf16BitsRounding: .greatestFiniteMagnitude).isInfiniteBF16)
        #expect(UInt16(bf16BitsRounding: -.infinity) == 0xFF80)
    }

    @Test func f16OverflowIsAnError() throws {
        for value: Float in [65520, -1e5, .greatestFiniteMagnitude] {
            let file = SafetensorsFile(tensors: ["t": SafetensorsTensor(shape: [2], values: [1, value])])
            #expect(throws: SafetensorsFile.Error.notRepresentable(tensor: "t", dtype: .f16, value: value)) {
                try file.encoded(as: .f16)
            }
        }
        // Infinities and NaN are not overflow: they are stored as they are.
        let special = SafetensorsFile(
            tensors: ["t": SafetensorsTensor(shape: [3], values: [.infinity, -.infinity, .nan])])
        let loaded = try SafetensorsFile(bytes: special.encoded(as: .f16))
        let values = try #require(loaded.tensors["t"]?.values)
        #expect(values[0] == .infinity && values[1] == -.infinity && values[2].isNaN)
    }

    @Test func bf16OverflowIsAnError() {
        let file = SafetensorsFile(tensors: ["t": SafetensorsTensor(shape: [], values: [.greatestFiniteMagnitude])])
        #expect(
            throws: SafetensorsFile.Error.notRepresentable(tensor: "t", dtype: .bf16, value: .greatestFiniteMagnitude)
        ) {
            try file.encoded(as: .bf16)
        }
    }
}

// MARK: - Hand-encoded dtypes

@Suite struct SafetensorsDecodingTests {
    @Test func decodesF64() throws {
        let doubles: [Double] = [1.5, -2.25, 1e-3, 1e300]
        let data = littleEndianBytes(doubles.map(\.bitPattern))
        let bytes = rawFile(header: singleTensorHeader(dtype: "F64", shape: "[2,2]", offsets: "[0,32]"), data: data)
        let tensor = try #require(try SafetensorsFile(bytes: bytes).tensors["a"])
        #expect(tensor.shape == [2, 2])
        #expect(tensor.sourceDType == .f64)
        #expect(tensor.values == [1.5, -2.25, Float(1e-3), .infinity])
    }

    @Test func decodesBF16() throws {
        let data = littleEndianBytes([UInt16(0x3F80), 0xC040, 0x3E00, 0x0000, 0x8000, 0x7F80])
        let bytes = rawFile(header: singleTensorHeader(dtype: "BF16", shape: "[3,2]", offsets: "[0,12]"), data: data)
        let tensor = try #require(try SafetensorsFile(bytes: bytes).tensors["a"])
        #expect(tensor.sourceDType == .bf16)
        #expect(tensor.values.map(\.bitPattern) == [Float(1), -3, 0.125, 0, -0.0, .infinity].map(\.bitPattern))
    }

    @Test func decodesF16AtUnalignedOffset() throws {
        // One byte of padding in the data buffer puts the tensor at an odd address.
        let data = [0xEE] + littleEndianBytes([UInt16(0x3C00), 0xC000, 0x0001])
        let bytes = rawFile(header: singleTensorHeader(dtype: "F16", shape: "[3]", offsets: "[1,7]"), data: data)
        let tensor = try #require(try SafetensorsFile(bytes: bytes).tensors["a"])
        #expect(tensor.values == [1, -2, 0x1p-24])
    }

    @Test func toleratesPaddingGapsAndIntegralDoubles() throws {
        let data = littleEndianBytes([Float(1).bitPattern, 0xDEAD_BEEF, Float(2).bitPattern, 0])
        let header =
            "{" + entry("b", shape: "[1.0]", offsets: "[8,12]") + ","
            + entry("a", shape: "[1]", offsets: "[0,4]") + #","__metadata__":{}}"#
            + String(repeating: " ", count: 13)
        let file = try SafetensorsFile(bytes: rawFile(header: header, data: data))
        #expect(file.tensors["a"]?.values == [1])
        #expect(file.tensors["b"]?.values == [2])
        #expect(file.metadata.isEmpty)
    }

    @Test func firstNonFinite() {
        var file = SafetensorsFile(tensors: [
            "a": SafetensorsTensor(shape: [2], values: [1, 2]),
            "c": SafetensorsTensor(shape: [1], values: [.infinity]),
            "d": SafetensorsTensor(shape: [0], values: []),
        ])
        #expect(file.firstNonFinite() == "c")
        file.tensors["b"] = SafetensorsTensor(shape: [2], values: [0, .nan])
        #expect(file.firstNonFinite() == "b")
        file.tensors["b"] = nil
        file.tensors["c"] = nil
        #expect(file.firstNonFinite() == nil)
    }
}

// MARK: - Errors

@Suite struct SafetensorsErrorTests {
    @Test func tooSmall() {
        #expect(parseError([]) == .fileTooSmall(byteCount: 0))
        #expect(parseError([1, 0, 0]) == .fileTooSmall(byteCount: 3))
    }

    @Test func truncatedHeader() {
        let bytes = rawFile(headerBytes: Array("{}".utf8), claimedLength: 100)
        #expect(parseError(bytes) == .truncatedHeader(headerLength: 100, available: 2))
        #expect(
            parseError(rawFile(headerBytes: [], claimedLength: 1)) == .truncatedHeader(headerLength: 1, available: 0))
    }

    @Test func headerTooLarge() {
        let limit = SafetensorsFile.maximumHeaderLength
        for claimed in [UInt64(1) << 62, .max, UInt64(limit) + 1] {
            let bytes = rawFile(headerBytes: Array("{}".utf8), claimedLength: claimed)
            #expect(parseError(bytes) == .headerTooLarge(headerLength: claimed, limit: limit))
        }
    }

    @Test(arguments: [
        "",  // empty header
        "{not json}",
        "{\"a\":",
        "[1, 2]",  // not starting with '{'
        " {}",  // leading whitespace is not allowed by the format
        #"{"a":5}"#,  // entry not an object
        #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#,  // missing dtype
        #"{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#,  // missing shape
        #"{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,  // negative shape
        #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#,
        #"{"a":{"dtype":"F32","shape":[1]}}"#,  // missing offsets
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}"#,
        #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,  // begin after end
        #"{"__metadata__":{"k":1}}"#,  // metadata value not a string
        #"{"__metadata__":["k"]}"#,
        #"{"__metadata__":{"k":null}}"#,
    ])
    func invalidHeader(header: String) {
        let error = parseError(rawFile(header: header, data: [0, 0, 0, 0]))
        #expect(isInvalidHeader(error), "\(header) gave \(String(describing: error))")
    }

    @Test func invalidEncodings() {
        // Invalid UTF-8 inside a string.
        var bytes = Array(#"{"__metadata__":{"k":"xx"}}"#.utf8)
        bytes[22] = 0xFF
        #expect(isInvalidHeader(parseError(rawFile(headerBytes: bytes))))
        // UTF-16 with a byte-order mark, which JSONSerialization alone would accept.
        let utf16: [UInt8] =
            [0xFF, 0xFE] + "{}".utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        #expect(isInvalidHeader(parseError(rawFile(headerBytes: utf16))))
        // NUL padding instead of spaces.
        #expect(isInvalidHeader(parseError(rawFile(headerBytes: Array("{}".utf8) + [0, 0]))))
        // Deeply nested JSON is rejected, not a stack overflow.
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000)
        #expect(isInvalidHeader(parseError(rawFile(header: deep))))
    }

    @Test func unknownDType() {
        for dtype in ["Q7", "I64", "U8", "BOOL", "F8_E4M3", "f32"] {
            let bytes = rawFile(
                header: singleTensorHeader(dtype: dtype, shape: "[1]", offsets: "[0,8]"), data: zeros(8))
            #expect(parseError(bytes) == .unknownDType(tensor: "a", dtype: dtype))
        }
    }

    @Test func offsetsOutOfRange() {
        let bytes = rawFile(header: singleTensorHeader(shape: "[4]", offsets: "[0,16]"), data: zeros(8))
        #expect(parseError(bytes) == .offsetsOutOfRange(tensor: "a", begin: 0, end: 16, available: 8))
        let far = rawFile(
            header: singleTensorHeader(shape: "[0]", offsets: "[9223372036854775807,9223372036854775807]"))
        #expect(parseError(far) == .offsetsOutOfRange(tensor: "a", begin: .max, end: .max, available: 0))
    }

    @Test func sizeMismatch() {
        let bytes = rawFile(header: singleTensorHeader(shape: "[3]", offsets: "[0,8]"), data: zeros(16))
        #expect(parseError(bytes) == .sizeMismatch(tensor: "a", expectedBytes: 12, actualBytes: 8))
        let scalar = rawFile(
            header: singleTensorHeader(dtype: "F16", shape: "[]", offsets: "[0,4]"), data: [0, 0, 0, 0])
        #expect(parseError(scalar) == .sizeMismatch(tensor: "a", expectedBytes: 2, actualBytes: 4))
    }

    @Test func shapeOverflow() {
        let elements = rawFile(
            header: singleTensorHeader(shape: "[1099511627776,1099511627776]", offsets: "[0,4]"), data: zeros(4))
        #expect(parseError(elements) == .shapeOverflow(tensor: "a", shape: [1 << 40, 1 << 40]))
        let bytes = rawFile(
            header: singleTensorHeader(dtype: "F64", shape: "[4611686018427387904]", offsets: "[0,8]"), data: zeros(8))
        #expect(parseError(bytes) == .shapeOverflow(tensor: "a", shape: [1 << 62]))
    }

    @Test func overlappingTensors() {
        let header =
            "{" + entry("a", shape: "[2]", offsets: "[0,8]") + ","
            + entry("b", shape: "[1]", offsets: "[4,8]") + ","
            + entry("c", shape: "[0]", offsets: "[4,4]") + "}"
        #expect(parseError(rawFile(header: header, data: zeros(8))) == .overlappingTensors("a", "b"))
        // "b" lies inside "a"; "c" touches neither of them.
        let nested =
            "{" + entry("a", shape: "[4]", offsets: "[0,16]") + ","
            + entry("b", shape: "[1]", offsets: "[4,8]") + ","
            + entry("c", shape: "[1]", offsets: "[16,20]") + "}"
        #expect(parseError(rawFile(header: nested, data: zeros(20))) == .overlappingTensors("a", "b"))
        // Adjacent ranges are fine.
        let adjacent =
            "{" + entry("a", shape: "[2]", offsets: "[0,8]") + ","
            + entry("b", shape: "[1]", offsets: "[8,12]") + "}"
        #expect(parseError(rawFile(header: adjacent, data: zeros(12))) == nil)
    }

    @Test func unreadableFile() {
        let missing = FileManager.default.temporaryDirectory
            .appendingPathComponent("no-such-dir-\(UUID().uuidString)/model.safetensors")
        #expect {
            try SafetensorsFile(contentsOf: missing)
        } throws: { error in
            guard case .fileUnreadable(let path, let reason) = error as? SafetensorsFile.Error else { return false }
            return path == missing.path && !reason.isEmpty
        }
        #expect {
            try SafetensorsFile(contentsOf: FileManager.default.temporaryDirectory)
        } throws: { error in
            if case .fileUnreadable = error as? SafetensorsFile.Error { return true }
            return false
        }
    }

    @Test func writeErrors() {
        let reserved = SafetensorsFile(tensors: ["__metadata__": SafetensorsTensor(shape: [], values: [1])])
        #expect(throws: SafetensorsFile.Error.reservedTensorName("__metadata__")) { try reserved.encoded() }
        let negative = SafetensorsFile(tensors: ["n": SafetensorsTensor(shape: [2, -1], values: [])])
        #expect(throws: SafetensorsFile.Error.invalidShape(tensor: "n", shape: [2, -1])) { try negative.encoded() }
        let mismatch = SafetensorsFile(tensors: ["m": SafetensorsTensor(shape: [2, 2], values: [1, 2, 3])])
        #expect(throws: SafetensorsFile.Error.valueCountMismatch(tensor: "m", expected: 4, actual: 3)) {
            try mismatch.encoded()
        }
        let overflow = SafetensorsFile(tensors: ["o": SafetensorsTensor(shape: [1 << 62, 4], values: [])])
        #expect(throws: SafetensorsFile.Error.shapeOverflow(tensor: "o", shape: [1 << 62, 4])) {
            try overflow.encoded()
        }
        let bytesOverflow = SafetensorsFile(tensors: ["o": SafetensorsTensor(shape: [1 << 62], values: [])])
        #expect(throws: SafetensorsFile.Error.valueCountMismatch(tensor: "o", expected: 1 << 62, actual: 0)) {
            try bytesOverflow.encoded()
        }

        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("no-such-dir-\(UUID().uuidString)/model.safetensors")
        #expect {
            try SafetensorsFile().write(to: url)
        } throws: { error in
            guard case .writeFailed(let path, let reason) = error as? SafetensorsFile.Error else { return false }
            return path == url.path && !reason.isEmpty
        }
    }

    @Test func descriptionsNameTheProblem() {
        let errors: [SafetensorsFile.Error] = [
            .fileUnreadable(path: "/x/m.safetensors", reason: "No such file"),
            .fileTooSmall(byteCount: 3),
            .truncatedHeader(headerLength: 100, available: 2),
            .headerTooLarge(headerLength: 1 << 62, limit: 100_000_000),
            .invalidHeader("the header is not valid JSON"),
            .unknownDType(tensor: "emb", dtype: "Q7"),
            .shapeOverflow(tensor: "emb", shape: [1 << 40, 1 << 40]),
            .offsetsOutOfRange(tensor: "emb", begin: 0, end: 16, available: 8),
            .sizeMismatch(tensor: "emb", expectedBytes: 12, actualBytes: 8),
            .overlappingTensors("emb", "out"),
            .invalidShape(tensor: "emb", shape: [-1]),
            .valueCountMismatch(tensor: "emb", expected: 4, actual: 3),
            .reservedTensorName("__metadata__"),
            .notRepresentable(tensor: "emb", dtype: .f16, value: 1e5),
            .writeFailed(path: "/x/m.safetensors", reason: "Permission denied"),
        ]
        for error in errors {
            #expect(error.description.count > 40)
        }
        #expect(errors[0].description.contains("/x/m.safetensors"))
        #expect(errors[0].description.contains("No such file"))
        #expect(errors[5].description.contains("emb") && errors[5].description.contains("Q7"))
        #expect(errors[7].description.contains("16") && errors[7].description.contains("8 bytes"))
        #expect(errors[13].description.contains("F16"))
    }
}

// MARK: - Fuzzing

@Suite struct SafetensorsFuzzTests {
    /// Parses `bytes`, which must either succeed or throw a `SafetensorsFile.Error`
    /// (typed throws makes any other error impossible); returns whether it succeeded.
    private func parses(_ bytes: [UInt8]) -> Bool {
        do {
            let file = try SafetensorsFile(bytes: bytes)
            // Whatever parses must also be internally consistent.
            for tensor in file.tensors.values {
                #expect(SafetensorsFile.elementCount(tensor.shape) == tensor.values.count)
            }
            return true
        } catch {
            #expect(!error.description.isEmpty)
            return false
        }
    }

    @Test func truncationsNeverCrash() throws {
        let bytes = try sampleFile().encoded(as: .f16)
        var failures = 0
        for length in 0..<bytes.count {
            if !parses(Array(bytes.prefix(length))) { failures += 1 }
        }
        // Every truncation that cuts into the header or the last tensor's data fails.
        #expect(failures >= bytes.count - 8)
        #expect(parses(bytes))
    }

    @Test func seededMutationsNeverCrash() throws {
        let original = try sampleFile().encoded(as: .f32)
        let headerEnd = 8 + original[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let digitPositions = original.indices.filter { $0 >= 8 && $0 < headerEnd && (48...57).contains(original[$0]) }
        var generator = SplitMix64(seed: 0x5AFE_7E45)
        var successes = 0
        var failures = 0
        for round in 0..<4000 {
            var bytes = original
            switch round % 4 {
            case 0:
                // Random byte overwrites anywhere, biased towards the header.
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let limit = Bool.random(using: &generator) ? headerEnd : bytes.count
                    bytes[Int.random(in: 0..<limit, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            case 1:
                // Single bit flips.
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            case 2:
                // Rewrite numbers in the header (shapes and offsets).
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    let index = digitPositions.randomElement(using: &generator)!
                    bytes[index] = UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator)
                }
                if Bool.random(using: &generator) {
                    let index = digitPositions.randomElement(using: &generator)!
                    bytes[index] = Array("-.e9 ,\"]".utf8).randomElement(using: &generator)!
                }
            default:
                // Mutate, then truncate or extend.
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
                if Bool.random(using: &generator) {
                    bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
                } else {
                    for _ in 0..<Int.random(in: 1...16, using: &generator) {
                        bytes.append(UInt8.random(in: 0...255, using: &generator))
                    }
                }
            }
            if parses(bytes) { successes += 1 } else { failures += 1 }
        }
        #expect(successes + failures == 4000)
        #expect(successes > 0 && failures > 0)
    }
}
