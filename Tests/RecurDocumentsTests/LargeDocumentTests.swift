import RecurDocuments
import Testing

/// Not a benchmark: a 10 MB document must take a thousand keystrokes near its end without trouble (each costs a
/// memmove of the tail and a splice of the line index, never a rescan).
@Suite struct LargeDocumentTests {
    @Test func thousandInsertsNearTheEndOfTenMegabytes() throws {
        let line = "let value = compute(42) // some text é → 🦊\n"
        let lineCount = 10_000_000 / line.utf8.count + 1
        var buffer = TextBuffer(String(repeating: line, count: lineCount))
        #expect(buffer.count >= 10_000_000)
        #expect(buffer.lineCount == lineCount + 1)
        let target = lineCount - 3
        for i in 0..<1_000 {
            let position = TextPosition(line: target, character: 43 + i % 3)  // past the fox, in UTF-16
            try buffer.apply(.replace(range: TextRange(start: position, end: position), text: "x"), encoding: .utf16)
        }
        #expect(buffer.count == lineCount * line.utf8.count + 1_000)
        #expect(buffer.lineCount == lineCount + 1)
        #expect(buffer.lineStart(target + 1) == (target + 1) * line.utf8.count + 1_000)
        #expect(
            buffer.position(ofOffset: buffer.count, encoding: .utf16) == TextPosition(line: lineCount, character: 0))
    }
}
