/// Makes a message body that JSON parsers refuse only for its text encoding readable, the way editors' own strings
/// would read it: bytes that are not UTF-8 become U+FFFD, and so do `\uD800`-`\uDFFF` escapes that are not a
/// high surrogate followed by a low one. (JavaScript strings may hold lone surrogates, and `JSON.stringify` writes
/// them as such escapes; a file read with the wrong encoding gives invalid UTF-8. Foundation rejects both.)
///
/// Only string contents can change; everything else is copied byte for byte, so a body that is broken in other
/// ways stays broken and is still answered with a parse error.
package enum JSONRepair {
    /// The repaired body, or nil when there is nothing to repair.
    package static func repairingTextEncoding(_ body: some Collection<UInt8>) -> [UInt8]? {
        let bytes = Array(body)
        var output: [UInt8] = []
        var changed = false
        let utf8 = bytes.withUnsafeBufferPointer { buffer -> [UInt8] in
            // Invalid UTF-8 first: String's decoder replaces each maximal invalid subpart with U+FFFD.
            if String(validating: buffer, as: UTF8.self) != nil { return bytes }
            changed = true
            return Array(String(decoding: buffer, as: UTF8.self).utf8)
        }
        output.reserveCapacity(utf8.count)
        var inString = false
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if !inString {
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
                i += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = false
                output.append(byte)
                i += 1
            case UInt8(ascii: "\\"):
                guard i + 1 < utf8.count else {
                    output.append(byte)
                    i += 1
                    continue
                }
                guard utf8[i + 1] == UInt8(ascii: "u"), let unit = hexUnit(utf8, at: i + 2) else {
                    output.append(contentsOf: utf8[i...(i + 1)])
                    i += 2
                    continue
                }
                switch unit {
                case 0xD800...0xDBFF:
                    if i + 12 <= utf8.count, utf8[i + 6] == UInt8(ascii: "\\"), utf8[i + 7] == UInt8(ascii: "u"),
                        let low = hexUnit(utf8, at: i + 8), (0xDC00...0xDFFF).contains(low)
                    {
                        output.append(contentsOf: utf8[i..<(i + 12)])
                        i += 12
                    } else {
                        output.append(contentsOf: replacementEscape)
                        changed = true
                        i += 6
                    }
                case 0xDC00...0xDFFF:
                    output.append(contentsOf: replacementEscape)
                    changed = true
                    i += 6
                default:
                    output.append(contentsOf: utf8[i..<(i + 6)])
                    i += 6
                }
            default:
                output.append(byte)
                i += 1
            }
        }
        return changed ? output : nil
    }

    private static let replacementEscape = Array("\\uFFFD".utf8)

    /// The four hex digits at `i`, if there are four.
    private static func hexUnit(_ bytes: [UInt8], at i: Int) -> UInt16? {
        guard i + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for k in i..<(i + 4) {
            let digit: UInt8
            switch bytes[k] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = bytes[k] - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = bytes[k] - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = bytes[k] - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }
}
