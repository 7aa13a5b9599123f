import RecurModel

extension TextBuffer {
    /// Whether `byte` belongs to a word for completion: an ASCII letter, digit or `_`, or any byte of a
    /// non-ASCII code point (>= 0x80), so that words in any script count without decoding.
    package static func isWordByte(_ byte: UInt8) -> Bool { ByteVocabulary.isWordByte(byte) }

    /// The word bytes just before `offset` (clamped into `0...count`): what the user has typed of the word at
    /// the cursor, and so the start of a completion's `textEdit`. Empty when the byte before is not a word byte.
    package func wordPrefix(endingAt offset: Int) -> Range<Int> {
        let end = min(max(offset, 0), bytes.count)
        var start = end
        while start > 0, Self.isWordByte(bytes[start - 1]) { start -= 1 }
        return start..<end
    }

    /// The end of the line that holds `offset` (clamped into `0...count`), before its terminator: the limit of
    /// the text after the cursor that a completion may look at or replace. Never before `offset`.
    package func lineEnd(after offset: Int) -> Int {
        let clamped = min(max(offset, 0), bytes.count)
        return max(clamped, lineContentEnd(line(containing: clamped)))
    }
}
