import RecurDocuments

/// The slow, obvious model of a document that `TextBuffer` must agree with: bytes, split into code points and lines
/// from scratch on every question. A well-formed UTF-8 sequence is one code point, found by asking the standard
/// library whether 1, 2, 3 or 4 bytes decode to exactly one scalar; any other byte is a code point of its own.
package struct ReferenceDocument: Equatable {
    package var bytes: [UInt8] {
        didSet { (codePoints, lines) = (Self.codePoints(of: bytes), Self.lines(of: bytes)) }
    }
    /// Every code point as (start, length), in order.
    package private(set) var codePoints: [(start: Int, length: Int)]
    /// Each line's start and content end (before its `\r\n`, `\r` or `\n`), in bytes.
    package private(set) var lines: [(start: Int, contentEnd: Int)]

    package init(bytes: [UInt8]) {
        self.bytes = bytes
        (codePoints, lines) = (Self.codePoints(of: bytes), Self.lines(of: bytes))
    }

    package static func == (a: ReferenceDocument, b: ReferenceDocument) -> Bool { a.bytes == b.bytes }

    static func codePoints(of bytes: [UInt8]) -> [(start: Int, length: Int)] {
        var result: [(start: Int, length: Int)] = []
        var i = 0
        while i < bytes.count {
            var length = 1
            for candidate in 1...4 where i + candidate <= bytes.count && bytes[i] >= 0x80 {
                let slice = bytes[i..<(i + candidate)]
                if let s = String(validating: slice, as: UTF8.self), s.unicodeScalars.count == 1 {
                    length = candidate
                    break
                }
            }
            result.append((i, length))
            i += length
        }
        return result
    }

    static func lines(of bytes: [UInt8]) -> [(start: Int, contentEnd: Int)] {
        var result: [(start: Int, contentEnd: Int)] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A {
                result.append((start, i))
                i += 2
                start = i
            } else if bytes[i] == 0x0D || bytes[i] == 0x0A {
                result.append((start, i))
                i += 1
                start = i
            } else {
                i += 1
            }
        }
        result.append((start, bytes.count))
        return result
    }

    package static func units(ofLength length: Int, in encoding: PositionEncoding) -> Int {
        switch encoding {
        case .utf8: length
        case .utf16: length == 4 ? 2 : 1
        case .utf32: 1
        }
    }

    /// The byte offset of a non-negative position, with what had to give, as `TextBuffer.offset(of:)` promises.
    package func offset(line: Int, character: Int, encoding: PositionEncoding) -> (Int, PositionAdjustments) {
        let lines = self.lines
        guard line < lines.count else { return (bytes.count, .lineClamped) }
        let (start, end) = lines[line]
        var units = 0
        for point in codePoints where point.start >= start && point.start < end {
            if units == character { return (point.start, []) }
            units += Self.units(ofLength: point.length, in: encoding)
            if units > character { return (point.start, .snappedToCodePointStart) }
        }
        return (end, units == character ? [] : .characterClamped)
    }

    /// How many units of `encoding` line `line`'s content holds.
    package func units(ofLine line: Int, encoding: PositionEncoding) -> Int {
        let (start, end) = lines[line]
        return codePoints.filter { $0.start >= start && $0.start < end }
            .reduce(0) { $0 + Self.units(ofLength: $1.length, in: encoding) }
    }

    /// The position of a code-point boundary within a line's content (the inverse of `offset`).
    package func position(ofBoundary offset: Int, encoding: PositionEncoding) -> (line: Int, character: Int) {
        let line = lines.lastIndex { $0.start <= offset }!
        let start = lines[line].start
        let character = codePoints.filter { $0.start >= start && $0.start < offset }
            .reduce(0) { $0 + Self.units(ofLength: $1.length, in: encoding) }
        return (line, character)
    }

    /// Every offset a cursor can be at: code-point starts within line content, and each line's content end.
    package var boundaries: [Int] {
        var result: [Int] = []
        var k = 0
        for line in lines {
            while k < codePoints.count && codePoints[k].start < line.start { k += 1 }
            while k < codePoints.count && codePoints[k].start < line.contentEnd {
                result.append(codePoints[k].start)
                k += 1
            }
            result.append(line.contentEnd)
        }
        return result
    }
}
