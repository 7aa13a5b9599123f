import Foundation

// Writing safetensors files. Output is deterministic and loadable by the
// reference implementation (Python `safetensors`): tensors are laid out
// contiguously in name order, the metadata block (when non-empty) comes first
// in the header, and the header is padded with spaces so the data buffer
// starts at a multiple of 8 bytes. Since every tensor in one file shares one
// dtype, each tensor's data is then aligned to its element size.

extension SafetensorsFile {
    /// The complete file contents with every tensor stored as `dtype`.
    ///
    /// Throws `.reservedTensorName`, `.invalidShape`, `.shapeOverflow` or
    /// `.valueCountMismatch` for a malformed tensor, and `.notRepresentable`
    /// when a finite value would become infinite in `dtype` (F16 tops out at
    /// 65504). NaN and infinities are written as they are.
    package func encoded(as dtype: SafetensorsDType = .f32) throws(Error) -> [UInt8] {
        let names = tensors.keys.sorted()

        // Lay out the data buffer and check every tensor before writing.
        var offsets: [(begin: Int, end: Int)] = []
        offsets.reserveCapacity(names.count)
        var dataLength = 0
        for name in names {
            let tensor = tensors[name]!
            guard name != Self.metadataKey else { throw .reservedTensorName(name) }
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidShape(tensor: name, shape: tensor.shape)
            }
            guard let count = Self.elementCount(tensor.shape) else {
                throw .shapeOverflow(tensor: name, shape: tensor.shape)
            }
            guard count == tensor.values.count else {
                throw .valueCountMismatch(tensor: name, expected: count, actual: tensor.values.count)
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            let (end, endOverflow) = dataLength.addingReportingOverflow(byteCount)
            guard !overflow, !endOverflow else { throw .shapeOverflow(tensor: name, shape: tensor.shape) }
            offsets.append((dataLength, end))
            dataLength = end
        }

        var header = headerJSON(names: names, offsets: offsets, dtype: dtype)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        guard header.count <= Self.maximumHeaderLength else {
            throw .headerTooLarge(headerLength: UInt64(header.count), limit: Self.maximumHeaderLength)
        }

        var output: [UInt8] = []
        output.reserveCapacity(8 + header.count + dataLength)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: header)
        for name in names {
            try Self.appendValues(of: tensors[name]!, named: name, as: dtype, to: &output)
        }
        return output
    }

    /// Encodes the file and writes it to `url` atomically: the bytes go to a
    /// temporary file in the same directory, which then replaces `url`, so
    /// readers see either the old file or the complete new one.
    package func write(to url: URL, as dtype: SafetensorsDType = .f32) throws(Error) {
        let bytes = try encoded(as: dtype)
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            let path = url.path(percentEncoded: false)
            throw .writeFailed(path: path, reason: Self.writeFailureReason(url: url, error: error))
        }
    }

    /// The unpadded JSON header: metadata first (if any), then tensors in
    /// the given order.
    private func headerJSON(names: [String], offsets: [(begin: Int, end: Int)], dtype: SafetensorsDType) -> [UInt8] {
        var json = "{"
        var needsComma = false
        if !metadata.isEmpty {
            json += Self.jsonString(Self.metadataKey) + ":{"
            json += metadata.keys.sorted()
                .map { Self.jsonString($0) + ":" + Self.jsonString(metadata[$0]!) }
                .joined(separator: ",")
            json += "}"
            needsComma = true
        }
        for (name, range) in zip(names, offsets) {
            if needsComma { json += "," }
            needsComma = true
            let shape = tensors[name]!.shape.map(String.init).joined(separator: ",")
            json +=
                Self.jsonString(name)
                + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(range.begin),\(range.end)]}"
        }
        json += "}"
        return Array(json.utf8)
    }

    /// `string` as a JSON string literal.
    private static func jsonString(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Appends the little-endian encoding of every value of `tensor`.
    private static func appendValues(
        of tensor: SafetensorsTensor, named name: String, as dtype: SafetensorsDType, to output: inout [UInt8]
    ) throws(Error) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: tensor.values.count * dtype.byteSize))
        var unrepresentable: Float?
        output.withUnsafeMutableBytes { buffer in
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[start...])
            switch dtype {
            case .f64:
                for (index, value) in tensor.values.enumerated() {
                    bytes.storeBytes(
                        of: Double(value).bitPattern.littleEndian, toByteOffset: index * 8, as: UInt64.self)
                }
            case .f32:
                for (index, value) in tensor.values.enumerated() {
                    bytes.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
                }
            case .f16:
                for (index, value) in tensor.values.enumerated() {
                    let bits = UInt16(f16BitsRounding: value)
                    if bits.isInfiniteF16 && value.isFinite {
                        unrepresentable = value
                        return
                    }
                    bytes.storeBytes(of: bits.littleEndian, toByteOffset: index * 2, as: UInt16.self)
                }
            case .bf16:
                for (index, value) in tensor.values.enumerated() {
                    let bits = UInt16(bf16BitsRounding: value)
                    if bits.isInfiniteBF16 && value.isFinite {
                        unrepresentable = value
                        return
                    }
                    bytes.storeBytes(of: bits.littleEndian, toByteOffset: index * 2, as: UInt16.self)
                }
            }
        }
        if let unrepresentable {
            throw .notRepresentable(tensor: name, dtype: dtype, value: unrepresentable)
        }
    }
}
