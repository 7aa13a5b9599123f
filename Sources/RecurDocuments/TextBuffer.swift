/// A document's text as UTF-8 bytes, with an index of where each line starts.
///
/// Cost model: the bytes sit in one contiguous array, so an edit costs a memmove of everything after it (O(n);
/// memcpy runs at 12 to 15 GB/s here, so about 1 ms for 10 MB). The line index is spliced around the edit and
/// the starts after it are shifted (O(lines after the edit)); text outside the edit is never rescanned. That is
/// fine for documents up to tens of megabytes, which is why there is no rope.
///
/// The bytes need not be valid UTF-8: the model is byte-level, and `init(bytes:)` takes anything. Position
/// conversion treats every byte that does not begin a well-formed sequence as a code point of its own, one unit
/// wide in UTF-8, UTF-16 and UTF-32, as U+FFFD would be (see `UTF8Scanning`).
///
/// Lines end at `\n`, `\r\n` or `\r`, as in LSP, and `\r\n` is one terminator. There is always one more line
/// than there are terminators, so an empty document has one line and "a\n" has two.
package struct TextBuffer: Sendable, Equatable {
    /// The text, as UTF-8 (or arbitrary bytes, from `init(bytes:)`).
    package private(set) var bytes: [UInt8]

    /// The byte offset where each line starts: `lineStarts[0] == 0`, strictly ascending, each `<= count`.
    package private(set) var lineStarts: [Int]

    package init() {
        self.init(bytes: [])
    }

    package init(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    package init(bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
        self.lineStarts = [0]
        Self.appendLineStarts(in: self.bytes, from: 1, through: self.bytes.count, to: &lineStarts)
    }

    /// The length in bytes.
    package var count: Int { bytes.count }

    package var lineCount: Int { lineStarts.count }

    /// The text as a `String`; invalid UTF-8 is replaced by U+FFFD, so this is lossy for `init(bytes:)` input.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    package subscript(range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

    /// Where `line` starts. Requires `0 <= line < lineCount`.
    package func lineStart(_ line: Int) -> Int { lineStarts[line] }

    /// Where the content of `line` ends, before its terminator (or at the end of the document, for the last
    /// line). Requires `0 <= line < lineCount`.
    package func lineContentEnd(_ line: Int) -> Int {
        guard line + 1 < lineStarts.count else { return bytes.count }
        let next = lineStarts[line + 1]
        // The byte before the next line's start is `\n` or `\r`; a `\n` may have a `\r` before it in this line.
        if bytes[next - 1] == UTF8Scanning.lineFeed, next - 2 >= lineStarts[line],
            bytes[next - 2] == UTF8Scanning.carriageReturn
        {
            return next - 2
        }
        return next - 1
    }

    /// The line that holds byte `offset` (clamped into `0...count`), in O(log lines). An offset between the
    /// `\r` and `\n` of a terminator belongs to the line that the terminator ends.
    package func line(containing offset: Int) -> Int {
        // The last line whose start is <= offset.
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Replaces the bytes in `range` with `replacement` and keeps the line index in step. This is the one
    /// mutation; `apply(_:encoding:)` resolves positions and then calls it. Requires `range` inside
    /// `0...count`.
    package mutating func replaceBytes(in range: Range<Int>, with replacement: [UInt8]) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "byte range outside the buffer")
        bytes.replaceSubrange(range, with: replacement)

        // Whether offset q starts a line depends only on the bytes at q - 1 and q. So the old starts before
        // the edit (q < lower) and those whose two bytes both lie after it (q > upper) still hold, the latter
        // shifted; only the new offsets lower...lower + replacement.count need a look.
        let delta = replacement.count - range.count
        let firstRecheckedIndex = max(1, firstLineIndex(startingAtOrAfter: range.lowerBound))
        let firstKeptIndex = max(firstRecheckedIndex, firstLineIndex(startingAtOrAfter: range.upperBound + 1))
        var rechecked: [Int] = []
        Self.appendLineStarts(
            in: bytes, from: max(1, range.lowerBound), through: range.lowerBound + replacement.count, to: &rechecked)
        lineStarts.replaceSubrange(firstRecheckedIndex..<firstKeptIndex, with: rechecked)
        if delta != 0 {
            lineStarts.withUnsafeMutableBufferPointer { starts in
                for i in (firstRecheckedIndex + rechecked.count)..<starts.count { starts[i] += delta }
            }
        }
    }

    /// The index of the first line that starts at or after `offset`, or `lineCount` if none does.
    private func firstLineIndex(startingAtOrAfter offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count
        while low < high {
            let mid = (low + high) / 2
            if lineStarts[mid] < offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Appends every offset in `first...last` (each clamped to `1...bytes.count`) at which a line starts.
    private static func appendLineStarts(in bytes: [UInt8], from first: Int, through last: Int, to starts: inout [Int])
    {
        let last = min(last, bytes.count)
        guard first <= last else { return }
        bytes.withUnsafeBufferPointer { b in
            for q in max(first, 1)...last {
                switch b[q - 1] {
                case UTF8Scanning.lineFeed:
                    starts.append(q)
                case UTF8Scanning.carriageReturn where q == b.count || b[q] != UTF8Scanning.lineFeed:
                    starts.append(q)
                default:
                    break
                }
            }
        }
    }
}
