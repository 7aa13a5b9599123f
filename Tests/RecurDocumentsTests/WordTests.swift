import RecurDocuments
import Testing

@Suite struct WordTests {
    @Test func wordPrefixCoversTheWordBeforeTheCursor() {
        let buffer = TextBuffer("let fooBar_2 = naïve.日本語\r\nx")
        #expect(buffer.wordPrefix(endingAt: 12) == 4..<12)  // "fooBar_2"
        #expect(buffer.wordPrefix(endingAt: 7) == 4..<7)  // "foo", mid-word
        #expect(buffer.wordPrefix(endingAt: 13).isEmpty)  // after a space
        #expect(buffer.wordPrefix(endingAt: 21) == 15..<21)  // "naïve", with ï as two word bytes
        #expect(buffer.wordPrefix(endingAt: 31) == 22..<31)  // "日本語"
        #expect(buffer.wordPrefix(endingAt: 34) == 33..<34)  // "x", not across the line break
        #expect(buffer.wordPrefix(endingAt: 0) == 0..<0)
        #expect(buffer.wordPrefix(endingAt: 3) == 0..<3)
        #expect(buffer.wordPrefix(endingAt: 999) == 33..<34)
        #expect(buffer.wordPrefix(endingAt: -4) == 0..<0)
    }

    @Test func wordBytes() {
        let words = (0...255).filter { TextBuffer.isWordByte(UInt8($0)) }.map { UInt8($0) }
        let ascii = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)
        #expect(words == ascii + (0x80...0xFF).map { UInt8($0) })
    }

    @Test func lineEndStopsBeforeTheTerminator() {
        let buffer = TextBuffer("ab\r\ncd\ref\n")
        #expect(buffer.lineEnd(after: 0) == 2)
        #expect(buffer.lineEnd(after: 2) == 2)
        #expect(buffer.lineEnd(after: 3) == 3)  // between \r and \n: never before the offset
        #expect(buffer.lineEnd(after: 4) == 6)
        #expect(buffer.lineEnd(after: 7) == 9)
        #expect(buffer.lineEnd(after: 10) == 10)
        #expect(buffer.lineEnd(after: 50) == 10)
        #expect(TextBuffer("").lineEnd(after: 0) == 0)
    }
}
