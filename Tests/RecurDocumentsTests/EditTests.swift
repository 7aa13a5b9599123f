import RecurDocuments
import Testing

/// Applying `didChange` content changes.
@Suite struct EditTests {
    /// A buffer after `changes`, checked against a from-scratch rebuild of its line index.
    static func applying(_ changes: [TextChange], to text: String, encoding: PositionEncoding = .utf16) throws
        -> (TextBuffer, [EditEffect])
    {
        var buffer = TextBuffer(text)
        let effects = try buffer.applyAll(changes, encoding: encoding)
        #expect(buffer.lineStarts == TextBuffer(bytes: buffer.bytes).lineStarts, "line index drifted")
        return (buffer, effects)
    }

    @Test func insert() throws {
        let (buffer, effects) = try Self.applying([.replace(range: TextRange(0, 3, 0, 3), text: " big")], to: "the dog")
        #expect(buffer.text == "the big dog")
        #expect(effects == [EditEffect(replacedRange: 3..<3, insertedCount: 4, firstChangedOffset: 3, adjustments: [])])
        #expect(effects[0].insertedRange == 3..<7)
        #expect(effects[0].delta == 4)
    }

    @Test func delete() throws {
        let (buffer, effects) = try Self.applying([.replace(range: TextRange(0, 3, 1, 1), text: "")], to: "abc\ndef")
        #expect(buffer.text == "abcef")
        #expect(buffer.lineCount == 1)
        #expect(effects[0].replacedRange == 3..<5)
        #expect(effects[0].insertedCount == 0)
        #expect(effects[0].delta == -2)
    }

    @Test func replaceAcrossLines() throws {
        let text = "first\nsecond 🦊 line\r\nthird\rfourth"
        // UTF-16: "second " is 7 units and the fox is 2, so character 9 is right after it.
        let (buffer, effects) = try Self.applying(
            [.replace(range: TextRange(1, 9, 3, 2), text: "é\nnew\r\n")], to: text)
        #expect(buffer.text == "first\nsecond 🦊é\nnew\r\nurth")
        #expect(buffer.lineCount == 4)
        #expect(effects[0].replacedRange == 17..<32)
    }

    @Test func editsAtTheStartAndEnd() throws {
        let text = "ab\ncd"
        var (buffer, _) = try Self.applying([.replace(range: TextRange(0, 0, 0, 0), text: "//\n")], to: text)
        #expect(buffer.text == "//\nab\ncd")
        try buffer.apply(.replace(range: TextRange(2, 2, 2, 2), text: "\nend"), encoding: .utf16)
        #expect(buffer.text == "//\nab\ncd\nend")
        // A range ending past the last line reaches the end of the document.
        let effect = try buffer.apply(.replace(range: TextRange(3, 0, 9, 0), text: "last"), encoding: .utf8)
        #expect(buffer.text == "//\nab\ncd\nlast")
        #expect(effect.adjustments == .lineClamped)
        try buffer.apply(.replace(range: TextRange(0, 0, 1, 0), text: ""), encoding: .utf32)
        #expect(buffer.text == "ab\ncd\nlast")
        #expect(buffer.lineStarts == [0, 3, 6])
    }

    @Test func fullReplacement() throws {
        let (buffer, effects) = try Self.applying([.full("let x = 1\nlet y = 2\n")], to: "let x = 1\nold")
        #expect(buffer.text == "let x = 1\nlet y = 2\n")
        #expect(buffer.lineStarts == [0, 10, 20])
        #expect(effects[0].replacedRange == 0..<13)
        #expect(effects[0].insertedCount == 20)
        // The common prefix keeps the checkpoints before it.
        #expect(effects[0].firstChangedOffset == 10)
    }

    @Test func anUnchangedTextInvalidatesNothing() throws {
        var buffer = TextBuffer("same\ntext")
        let effect = try buffer.apply(.full("same\ntext"), encoding: .utf16)
        #expect(effect.firstChangedOffset == 9)
        let replaceWithItself = try buffer.apply(.replace(range: TextRange(0, 1, 0, 3), text: "am"), encoding: .utf16)
        #expect(replaceWithItself.firstChangedOffset == 9)
        #expect(buffer.text == "same\ntext")
    }

    @Test func firstChangedOffsetSkipsTheCommonPrefix() throws {
        var buffer = TextBuffer("value = 10")
        let effect = try buffer.apply(.replace(range: TextRange(0, 0, 0, 10), text: "value = 12"), encoding: .utf8)
        #expect(effect.replacedRange == 0..<10)
        #expect(effect.firstChangedOffset == 9)
    }

    /// eglot sends a batch like this when several edits happen before it flushes: each range refers to the
    /// text after the previous change.
    @Test func severalChangesApplyInOrder() throws {
        let changes: [TextChange] = [
            .replace(range: TextRange(0, 4, 0, 4), text: "é"),  // "fn f" + é
            .replace(range: TextRange(0, 5, 0, 5), text: "()"),  // é is 1 UTF-16 unit
            .replace(range: TextRange(0, 7, 0, 7), text: " {\n    🦊\n}"),
            .replace(range: TextRange(1, 6, 1, 6), text: "!"),  // after the fox: 4 spaces + 2 units
            .replace(range: TextRange(0, 0, 0, 2), text: "func"),
        ]
        let (buffer, effects) = try Self.applying(changes, to: "fn f")
        #expect(buffer.text == "func fé() {\n    🦊!\n}")
        #expect(effects.map(\.replacedRange.lowerBound) == [4, 6, 8, 19, 0])
        #expect(effects.firstChangedOffset == 1)  // "fn" became "func"
        #expect([EditEffect]().firstChangedOffset == nil)
    }

    @Test(arguments: PositionEncoding.allCases)
    func reversedRangeIsRejectedAndTheBufferUnchanged(encoding: PositionEncoding) {
        var buffer = TextBuffer("abc\ndef")
        let before = buffer
        for range in [TextRange(1, 0, 0, 2), TextRange(0, 2, 0, 1)] {
            #expect(throws: TextBuffer.Error.reversedRange(range)) {
                try buffer.apply(.replace(range: range, text: "x"), encoding: encoding)
            }
            #expect(buffer == before)
        }
        #expect(throws: TextBuffer.Error.negativePosition(TextPosition(line: 0, character: -1))) {
            try buffer.apply(.replace(range: TextRange(0, -1, 0, 1), text: "x"), encoding: encoding)
        }
        #expect(buffer == before)
    }

    /// A reversed range whose ends both clamp to the same offset is still reversed: the check is on what the
    /// client sent.
    @Test func reversedRangeIsRejectedEvenWhenBothEndsClamp() {
        var buffer = TextBuffer("ab")
        #expect(throws: TextBuffer.Error.self) {
            try buffer.apply(.replace(range: TextRange(9, 0, 7, 0), text: "x"), encoding: .utf16)
        }
        #expect(buffer.text == "ab")
    }

    @Test func applyAllIsAllOrNothing() {
        var buffer = TextBuffer("one\ntwo\nthree")
        let before = buffer
        let changes: [TextChange] = [
            .replace(range: TextRange(0, 0, 0, 3), text: "ONE"),
            .full("replaced"),
            .replace(range: TextRange(0, 3, 0, 1), text: "bad"),
            .replace(range: TextRange(0, 0, 0, 0), text: "never"),
        ]
        #expect(throws: TextBuffer.Error.reversedRange(TextRange(0, 3, 0, 1))) {
            try buffer.applyAll(changes, encoding: .utf16)
        }
        #expect(buffer == before)
    }

    @Test func clampingIsReported() throws {
        var buffer = TextBuffer("a🦊\nb")
        let effect = try buffer.apply(.replace(range: TextRange(0, 2, 0, 40), text: "!"), encoding: .utf16)
        #expect(effect.adjustments == [.snappedToCodePointStart, .characterClamped])
        #expect(effect.replacedRange == 1..<5)
        #expect(buffer.text == "a!\nb")
    }

    /// Whether an offset starts a line depends on the byte before and the byte at it, so edits can join or split
    /// a \r\n pair without touching either byte.
    @Test func editsThatJoinOrSplitCarriageReturnLineFeedPairs() throws {
        var buffer = TextBuffer("a\rb\nc")
        #expect(buffer.lineStarts == [0, 2, 4])
        // Deleting "b" joins \r and \n into one terminator.
        try buffer.apply(.replace(range: TextRange(1, 0, 1, 1), text: ""), encoding: .utf16)
        #expect(buffer.text == "a\r\nc")
        #expect(buffer.lineStarts == [0, 3])
        // Inserting at the start of the next line, after a lone \r, joins too.
        buffer = TextBuffer("x\ry")
        try buffer.apply(.replace(range: TextRange(1, 0, 1, 0), text: "\nz"), encoding: .utf16)
        #expect(buffer.text == "x\r\nzy")
        #expect(buffer.lineStarts == [0, 3])
        // Replacing the bytes between splits a pair that the text inserted creates.
        var raw = TextBuffer("p\r\nq")
        raw.replaceBytes(in: 2..<2, with: Array("mid".utf8))
        #expect(raw.lineStarts == [0, 2, 6])
        raw.replaceBytes(in: 2..<5, with: [])
        #expect(raw.lineStarts == [0, 3])
        // A \r at the very end starts an empty last line, and a following \n then joins it.
        buffer = TextBuffer("end\r")
        #expect(buffer.lineStarts == [0, 4])
        try buffer.apply(.replace(range: TextRange(1, 0, 1, 0), text: "\n"), encoding: .utf8)
        #expect(buffer.lineStarts == [0, 5])
        #expect(buffer.lineCount == 2)
    }

    @Test func documentTakesTheVersionAsSentAndOnlyOnSuccess() throws {
        var document = Document(uri: "file:///tmp/a.swift", languageId: "swift", version: 1, text: "let a = 1")
        try document.apply([.replace(range: TextRange(0, 8, 0, 9), text: "2")], version: 7, encoding: .utf16)
        #expect(document.version == 7)
        #expect(document.buffer.text == "let a = 2")
        let before = document
        #expect(throws: TextBuffer.Error.self) {
            try document.apply([.replace(range: TextRange(0, 5, 0, 4), text: "")], version: 8, encoding: .utf16)
        }
        #expect(document == before)
    }
}
