import RecurDocuments
import Testing

/// Text from `init(bytes:)` may be anything. Each byte outside a well-formed sequence is a code point of its own.
@Suite struct InvalidUTF8Tests {
    /// 'a', FF, 'b', a lone continuation, a truncated → (E2 82), then € (E2 82 AC, well formed), then an overlong
    /// '/' (C0 AF), a surrogate (ED A0 80), and a truncated emoji at the very end (F0 9F A6).
    static let bytes: [UInt8] = [
        0x61, 0xFF, 0x62, 0x80, 0xE2, 0x82, 0x0A,
        0xE2, 0x82, 0xAC, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0x0D, 0x0A,
        0xF0, 0x9F, 0xA6,
    ]

    @Test(arguments: PositionEncoding.allCases)
    func invalidBytesCountAsOneUnitEach(encoding: PositionEncoding) throws {
        let buffer = TextBuffer(bytes: Self.bytes)
        #expect(buffer.lineStarts == [0, 7, 17])
        // Line 0: six code points, one byte each.
        for character in 0...6 {
            let resolved = try buffer.offset(line: 0, character: character, encoding: encoding)
            #expect(resolved == ResolvedOffset(offset: character))
            #expect(
                buffer.position(ofOffset: character, encoding: encoding) == TextPosition(line: 0, character: character))
        }
        // Line 1: € then six one-byte code points.
        let lineOne = [7, 10, 11, 12, 13, 14, 15]
        let characters = encoding == .utf8 ? [0, 3, 4, 5, 6, 7, 8] : [0, 1, 2, 3, 4, 5, 6]
        for (offset, character) in zip(lineOne, characters) {
            #expect(
                try buffer.offset(line: 1, character: character, encoding: encoding) == ResolvedOffset(offset: offset))
            #expect(
                buffer.position(ofOffset: offset, encoding: encoding) == TextPosition(line: 1, character: character))
        }
        // Line 2: the truncated emoji is three code points, not one with two units.
        for character in 0...3 {
            #expect(try buffer.offset(line: 2, character: character, encoding: encoding).offset == 17 + character)
        }
        #expect(try buffer.offset(line: 2, character: 4, encoding: encoding).adjustments == .characterClamped)
    }

    @Test func aWellFormedSequenceStillSnapsInUTF8() throws {
        let buffer = TextBuffer(bytes: Self.bytes)
        #expect(try buffer.offset(line: 1, character: 1, encoding: .utf8).offset == 7)
        #expect(try buffer.offset(line: 1, character: 2, encoding: .utf8).adjustments == .snappedToCodePointStart)
        #expect(buffer.position(ofOffset: 9, encoding: .utf16) == TextPosition(line: 1, character: 0))
    }

    /// Random byte soup, biased towards lead bytes, continuations and terminators: nothing crashes, a resolved
    /// offset is a fixed point of the round trip, and every offset maps to a position at or before it.
    @Test func randomBytesNeverCrashAndRoundTrip() throws {
        let alphabet: [UInt8] = [
            0x61, 0x0A, 0x0D, 0x80, 0x9F, 0xA6, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
        ]
        var rng = SplitMix64(seed: 7)
        for _ in 0..<400 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let buffer = TextBuffer(bytes: bytes)
            #expect(buffer.lineStarts == TextBuffer(bytes: bytes).lineStarts)
            for encoding in PositionEncoding.allCases {
                for offset in 0...bytes.count {
                    let position = buffer.position(ofOffset: offset, encoding: encoding)
                    let back = try buffer.offset(of: position, encoding: encoding).offset
                    #expect(back <= offset)
                    #expect(buffer.position(ofOffset: back, encoding: encoding) == position)
                }
                for _ in 0..<10 {
                    let position = TextPosition(
                        line: Int.random(in: 0...buffer.lineCount, using: &rng),
                        character: Int.random(in: 0...45, using: &rng))
                    let offset = try buffer.offset(of: position, encoding: encoding).offset
                    let again = try buffer.offset(
                        of: buffer.position(ofOffset: offset, encoding: encoding), encoding: encoding)
                    #expect(again == ResolvedOffset(offset: offset), "\(bytes) \(position) \(encoding)")
                }
            }
        }
    }

    @Test func editsKeepInvalidBytesAroundThem() throws {
        var buffer = TextBuffer(bytes: [0xFF, 0x0D, 0x80, 0x0A, 0xE2])
        #expect(buffer.lineStarts == [0, 2, 4])
        try buffer.apply(.replace(range: TextRange(1, 1, 2, 0), text: "é"), encoding: .utf16)
        #expect(buffer.bytes == [0xFF, 0x0D, 0x80, 0xC3, 0xA9, 0xE2])
        #expect(buffer.lineStarts == [0, 2])
        #expect(buffer.text == "\u{FFFD}\r\u{FFFD}é\u{FFFD}")
    }
}
