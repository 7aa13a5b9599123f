import RecurDocuments
import Testing

@Suite struct LineTests {
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
