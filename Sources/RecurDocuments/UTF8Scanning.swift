/// How the buffer splits bytes into code points: a well-formed UTF-8 sequence (Unicode 15, table 3-7: no
/// overlong forms, no surrogates, nothing above U+10FFFF) is one code point; any other byte is a code point on
/// its own. So a truncated sequence such as `E2 82` counts as two code points, where `String` would decode one
/// U+FFFD. Only text from `init(bytes:)` can hold such bytes; text that came as a `String` decodes the same
/// either way.
enum UTF8Scanning {
    /// Whether the bytes of `range` are all ASCII, read eight at a time.
    static func isASCII(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty, let address = b.baseAddress else { return true }
        let base = UnsafeRawPointer(address)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < range.upperBound {
            if b[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D

    /// Whether `byte` is a continuation byte (10xxxxxx).
    @inline(__always)
    static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// The length (1 to 4) of the code point that starts at `i`, which must be `< bytes.count`.
    @inline(__always)
    static func codePointLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = bytes[i]
        if lead < 0x80 { return 1 }
        let available = bytes.count - i
        @inline(__always) func continues(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            k < available && range.contains(bytes[i + k])
        }
        switch lead {
        case 0xC2...0xDF:
            return continues(1) ? 2 : 1
        case 0xE0...0xEF:
            let second: ClosedRange<UInt8> =
                switch lead {
                case 0xE0: 0xA0...0xBF  // no overlong forms
                case 0xED: 0x80...0x9F  // no surrogates
                default: 0x80...0xBF
                }
            return continues(1, second) && continues(2) ? 3 : 1
        case 0xF0...0xF4:
            let second: ClosedRange<UInt8> =
                switch lead {
                case 0xF0: 0x90...0xBF  // no overlong forms
                case 0xF4: 0x80...0x8F  // nothing above U+10FFFF
                default: 0x80...0xBF
                }
            return continues(1, second) && continues(2) && continues(3) ? 4 : 1
        default:
            return 1  // a stray continuation byte, C0, C1 or F5...FF
        }
    }

    /// How many units of `encoding` a code point of `length` bytes takes.
    @inline(__always)
    static func units(ofCodePointLength length: Int, in encoding: PositionEncoding) -> Int {
        switch encoding {
        case .utf8: length
        case .utf16: length == 4 ? 2 : 1
        case .utf32: 1
        }
    }

    /// The start of the code point that contains byte offset `p` (`p` itself when it is a boundary or
    /// `bytes.count`). Looks back at most three bytes.
    static func codePointStart(_ bytes: UnsafeBufferPointer<UInt8>, containing p: Int) -> Int {
        guard p < bytes.count, isContinuation(bytes[p]) else { return p }
        var j = p - 1
        while j >= max(0, p - 3) {
            if !isContinuation(bytes[j]) {
                return j + codePointLength(bytes, at: j) > p ? j : p
            }
            j -= 1
        }
        return p  // only continuation bytes before p: each is a code point of its own
    }
}
