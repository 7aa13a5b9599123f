import RecurDocuments
import Testing

/// Conversion between LSP positions and byte offsets, on text whose code points take every width there is.
@Suite struct PositionTests {
    /// Byte offsets: a 0, é 1 (2 bytes), → 3 (3 bytes), 🦊 6 (4 bytes), b 10, end 11.
    static let mixedLine = "aé→🦊b"
    static let boundaries = [0, 1, 3, 6, 10, 11]
    static let characters: [PositionEncoding: [Int]] = [
        .utf8: [0, 1, 3, 6, 10, 11],
        .utf16: [0, 1, 2, 3, 5, 6],
        .utf32: [0, 1, 2, 3, 4, 5],
    ]

    @Test(arguments: PositionEncoding.allCases)
    func everyBoundaryOfAMixedLine(encoding: PositionEncoding) throws {
        let buffer = TextBuffer(Self.mixedLine)
        #expect(buffer.count == 11)
        for (offset, character) in zip(Self.boundaries, Self.characters[encoding]!) {
            let resolved = try buffer.offset(line: 0, character: character, encoding: encoding)
            #expect(resolved == ResolvedOffset(offset: offset), "character \(character)")
            #expect(
                buffer.position(ofOffset: offset, encoding: encoding) == TextPosition(line: 0, character: character))
        }
    }

    @Test(arguments: PositionEncoding.allCases)
    func roundTripsEveryCodePointBoundary(encoding: PositionEncoding) throws {
        let text = "aé→🦊b\r\n\t中文🦊🦊\rx\n\né\n🦊"
        let buffer = TextBuffer(text)
        var offset = 0
        var boundaries: [Int] = []
        for scalar in text.unicodeScalars {
            boundaries.append(offset)
            offset += scalar.utf8.count
        }
        boundaries.append(offset)
        for boundary in boundaries {
            let position = buffer.position(ofOffset: boundary, encoding: encoding)
            let isInsideTerminator =
                boundary > 0 && boundary < buffer.count && buffer.bytes[boundary - 1] == 0x0D
                && buffer.bytes[boundary] == 0x0A
            let back = try buffer.offset(of: position, encoding: encoding)
            if isInsideTerminator {
                #expect(back.offset == boundary - 1, "offset between \\r and \\n moves to the line's end")
            } else {
                #expect(back == ResolvedOffset(offset: boundary), "offset \(boundary) via \(position)")
            }
        }
    }

    @Test func utf16BetweenSurrogatesSnapsToTheEmojiStart() throws {
        let buffer = TextBuffer(Self.mixedLine)
        let resolved = try buffer.offset(line: 0, character: 4, encoding: .utf16)
        #expect(resolved == ResolvedOffset(offset: 6, adjustments: .snappedToCodePointStart))
        #expect(resolved.wasAdjusted)
    }

    @Test func utf8InsideASequenceSnapsToItsStart() throws {
        let buffer = TextBuffer(Self.mixedLine)
        for (character, start) in [(2, 1), (4, 3), (5, 3), (7, 6), (8, 6), (9, 6)] {
            let resolved = try buffer.offset(line: 0, character: character, encoding: .utf8)
            #expect(resolved == ResolvedOffset(offset: start, adjustments: .snappedToCodePointStart))
        }
        // The inverse snaps the same way.
        #expect(buffer.position(ofOffset: 8, encoding: .utf8) == TextPosition(line: 0, character: 6))
        #expect(buffer.position(ofOffset: 8, encoding: .utf16) == TextPosition(line: 0, character: 3))
    }

    @Test func lineTerminatorsFollowLSP() throws {
        // Lines: "ab" (\r\n), "cd" (\r), "ef" (\n), "" (\r\r: two lone \r), "", "g".
        let buffer = TextBuffer("ab\r\ncd\ref\n\r\rg")
        #expect(buffer.lineStarts == [0, 4, 7, 10, 11, 12])
        #expect(buffer.lineCount == 6)
        #expect((0..<6).map(buffer.lineContentEnd) == [2, 6, 9, 10, 11, 13])
        for encoding in PositionEncoding.allCases {
            #expect(try buffer.offset(line: 1, character: 1, encoding: encoding).offset == 5)
            #expect(try buffer.offset(line: 5, character: 1, encoding: encoding).offset == 13)
            #expect(buffer.position(ofOffset: 8, encoding: encoding) == TextPosition(line: 2, character: 1))
            // Between \r and \n: the end of the line that the pair ends.
            #expect(buffer.position(ofOffset: 3, encoding: encoding) == TextPosition(line: 0, character: 2))
        }
        #expect(buffer.line(containing: 3) == 0)
        #expect(buffer.line(containing: 4) == 1)
        #expect(TextBuffer("\r\n").lineStarts == [0, 2])
        #expect(TextBuffer("\n\r").lineStarts == [0, 1, 2])
        #expect(TextBuffer("\r\r\n").lineStarts == [0, 1, 3])
        #expect(TextBuffer("a\n").lineCount == 2)
        #expect(TextBuffer("").lineCount == 1)
    }

    @Test(arguments: PositionEncoding.allCases)
    func characterPastTheLineEndClampsBeforeTheTerminator(encoding: PositionEncoding) throws {
        let buffer = TextBuffer("aé→🦊b\r\nxy\rz")
        for character in [12, 100, Int.max] {
            let resolved = try buffer.offset(line: 0, character: character, encoding: encoding)
            #expect(resolved == ResolvedOffset(offset: 11, adjustments: .characterClamped), "character \(character)")
        }
        #expect(
            try buffer.offset(line: 1, character: 3, encoding: encoding)
                == ResolvedOffset(offset: 15, adjustments: .characterClamped))
        #expect(
            try buffer.offset(line: 2, character: 2, encoding: encoding)
                == ResolvedOffset(offset: 17, adjustments: .characterClamped))
        // The exact line end is not clamped.
        #expect(try buffer.offset(line: 1, character: 2, encoding: encoding) == ResolvedOffset(offset: 15))
    }

    @Test(arguments: PositionEncoding.allCases)
    func linePastTheEndClampsToTheDocumentEnd(encoding: PositionEncoding) throws {
        let buffer = TextBuffer("one\ntwo\n")
        #expect(buffer.lineCount == 3)
        #expect(try buffer.offset(line: 2, character: 0, encoding: encoding) == ResolvedOffset(offset: 8))
        for line in [3, 4, Int.max] {
            let resolved = try buffer.offset(line: line, character: 0, encoding: encoding)
            #expect(resolved == ResolvedOffset(offset: 8, adjustments: .lineClamped))
        }
        let empty = TextBuffer()
        #expect(try empty.offset(line: 0, character: 0, encoding: encoding) == ResolvedOffset(offset: 0))
        #expect(try empty.offset(line: 0, character: 3, encoding: encoding).adjustments == .characterClamped)
        #expect(try empty.offset(line: 1, character: 0, encoding: encoding).adjustments == .lineClamped)
    }

    @Test func negativeValuesAreRejected() {
        let buffer = TextBuffer("abc")
        for (line, character) in [(-1, 0), (0, -1), (-5, -5), (Int.min, 0)] {
            #expect(throws: TextBuffer.Error.negativePosition(TextPosition(line: line, character: character))) {
                try buffer.offset(line: line, character: character, encoding: .utf16)
            }
        }
    }

    @Test func offsetsOutsideTheDocumentClampInPositionOfOffset() {
        let buffer = TextBuffer("ab\ncd")
        #expect(buffer.position(ofOffset: -3, encoding: .utf16) == TextPosition(line: 0, character: 0))
        #expect(buffer.position(ofOffset: 99, encoding: .utf16) == TextPosition(line: 1, character: 2))
    }

    @Test func encodingNegotiation() {
        #expect(PositionEncoding(rawValue: "utf-16") == .utf16)
        #expect(PositionEncoding.negotiate(offered: nil) == .utf16)
        #expect(PositionEncoding.negotiate(offered: ["utf-32", "utf-16"]) == .utf16)
        #expect(PositionEncoding.negotiate(offered: ["utf-16", "utf-8"]) == .utf8)
    }
}
