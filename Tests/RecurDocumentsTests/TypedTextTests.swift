import RecurDocuments
import Testing

/// Typed text: pending while the cursor is on its line, followed through edits, settled when the cursor leaves.
@Suite struct TypedTextTests {
    /// Types `text` one byte at a time at the end of `buffer`, following it in `typed`; returns what settled.
    static func type(_ text: String, into buffer: inout TextBuffer, _ typed: inout TypedText) throws -> [Range<Int>] {
        var settled: [Range<Int>] = []
        for byte in text.utf8 {
            let end = buffer.position(ofOffset: buffer.count, encoding: .utf8)
            let effects = try buffer.applyAll(
                [.replace(range: TextRange(start: end, end: end), text: String(UnicodeScalar(byte)))], encoding: .utf8)
            for effect in effects { typed.apply(effect) }
            settled += typed.settle(outside: buffer.lineRange(containing: effects.last!.insertedRange.upperBound))
        }
        return settled
    }

    @Test func theLineBeingTypedStaysPendingUntilTheCursorLeavesIt() throws {
        var buffer = TextBuffer("")
        var typed = TypedText()
        #expect(try Self.type("let x = 1", into: &buffer, &typed).isEmpty)
        #expect(typed.pending == [0..<9])
        // The newline moves the cursor to the next line: the first line, with its newline, settles.
        #expect(try Self.type("\nlet", into: &buffer, &typed) == [0..<10])
        #expect(typed.pending == [10..<13])
    }

    @Test func textDeletedBeforeItSettlesIsNeverHandedOn() throws {
        var buffer = TextBuffer("")
        var typed = TypedText()
        _ = try Self.type("pasword", into: &buffer, &typed)
        // Backspace over "word" and retype: only what stands at the end is pending.
        let effects = try buffer.applyAll([.replace(range: TextRange(0, 3, 0, 7), text: "")], encoding: .utf8)
        typed.apply(effects[0])
        #expect(typed.pending == [0..<3])
        #expect(try Self.type("sword\n", into: &buffer, &typed) == [0..<9])
        #expect(typed.pending.isEmpty)
        #expect(buffer.text == "password\n")
    }

    @Test func editsBeforePendingTextMoveItAndEditsInsideCutIt() {
        var typed = TypedText()
        typed.apply(replaced: 10..<10, insertedCount: 6)  // typed 10..<16
        typed.apply(replaced: 0..<3, insertedCount: 0)  // earlier text shrinks by 3
        #expect(typed.pending == [7..<13])
        typed.apply(replaced: 9..<11, insertedCount: 0)  // two pending bytes deleted
        #expect(typed.pending == [7..<11])
        typed.apply(replaced: 20..<25, insertedCount: 2)  // elsewhere: a second range
        #expect(typed.pending == [7..<11, 20..<22])
        typed.apply(replaced: 11..<20, insertedCount: 0)  // what separated them goes: they merge
        #expect(typed.pending == [7..<13])
        typed.apply(replaced: 0..<30, insertedCount: 3)  // all replaced: only the new text is pending
        #expect(typed.pending == [0..<3])
    }

    @Test func movingUpSettlesTheLinesBelow() {
        let buffer = TextBuffer("one\ntwo\nthree\n")
        var typed = TypedText()
        typed.apply(replaced: 4..<4, insertedCount: 0)
        typed.apply(replaced: 14..<14, insertedCount: 0)
        typed.apply(replaced: 4..<8, insertedCount: 4)  // "two\n" counted as typed
        typed.apply(replaced: 8..<14, insertedCount: 6)  // "three\n" too: one range 4..<14
        #expect(typed.pending == [4..<14])
        // The cursor on line 1 ("two\n"): "three\n" settles, "two\n" stays.
        #expect(typed.settle(outside: buffer.lineRange(containing: 5)) == [8..<14])
        #expect(typed.settleAll() == [4..<8])
        #expect(typed.pendingBytes == 0)
    }
}
