/// An LSP position: a zero-based line, and a zero-based `character` counted in the negotiated `PositionEncoding`.
package struct TextPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var line: Int
    package var character: Int

    package init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    package static func < (a: TextPosition, b: TextPosition) -> Bool {
        (a.line, a.character) < (b.line, b.character)
    }

    package var description: String { "\(line):\(character)" }
}

/// An LSP range: `start` inclusive, `end` exclusive.
package struct TextRange: Hashable, Sendable, CustomStringConvertible {
    package var start: TextPosition
    package var end: TextPosition

    package init(start: TextPosition, end: TextPosition) {
        self.start = start
        self.end = end
    }

    package init(_ startLine: Int, _ startCharacter: Int, _ endLine: Int, _ endCharacter: Int) {
        self.init(
            start: TextPosition(line: startLine, character: startCharacter),
            end: TextPosition(line: endLine, character: endCharacter))
    }

    package var description: String { "\(start)-\(end)" }
}

/// What had to give for a position to become a byte offset. Clients should never cause any of these, so the
/// server can log them; none is an error.
package struct PositionAdjustments: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The line was past the last line: the offset is the end of the document.
    package static let lineClamped = PositionAdjustments(rawValue: 1 << 0)
    /// The character was past the end of its line: the offset is the line's end, before its terminator.
    package static let characterClamped = PositionAdjustments(rawValue: 1 << 1)
    /// The character fell inside a code point (between the two UTF-16 surrogates of an emoji, or inside a
    /// multi-byte sequence in UTF-8): the offset is the start of that code point.
    package static let snappedToCodePointStart = PositionAdjustments(rawValue: 1 << 2)
}

/// A byte offset resolved from a position, and what, if anything, had to give on the way.
package struct ResolvedOffset: Hashable, Sendable {
    package var offset: Int
    package var adjustments: PositionAdjustments

    package init(offset: Int, adjustments: PositionAdjustments = []) {
        self.offset = offset
        self.adjustments = adjustments
    }

    package var wasAdjusted: Bool { !adjustments.isEmpty }
}

extension TextBuffer {
    /// The byte offset of an LSP position, in O(log lines) to find the line and O(line length) within it (O(1)
    /// within it for utf-8).
    ///
    /// Following LSP, a character past the end of its line means the line's end (before the terminator), and a
    /// line past the last line means the end of the document. A character inside a code point snaps back to the
    /// code point's start: so a cursor never splits an emoji, and an edit range never cuts one in half; the start
    /// is the choice that never moves a position past text the client counted. Negative values throw.
    package func offset(of position: TextPosition, encoding: PositionEncoding) throws(Error) -> ResolvedOffset {
        guard position.line >= 0, position.character >= 0 else { throw .negativePosition(position) }
        return resolve(position, encoding: encoding)
    }

    /// `offset(of:encoding:)` for a position already known not to be negative.
    func resolve(_ position: TextPosition, encoding: PositionEncoding) -> ResolvedOffset {
        guard position.line < lineStarts.count else {
            return ResolvedOffset(offset: bytes.count, adjustments: .lineClamped)
        }
        let start = lineStarts[position.line]
        let end = lineContentEnd(position.line)
        let target = position.character
        return bytes.withUnsafeBufferPointer { b in
            switch encoding {
            case .utf8:
                guard target <= end - start else { return ResolvedOffset(offset: end, adjustments: .characterClamped) }
                let p = start + target
                let snapped = UTF8Scanning.codePointStart(b, containing: p)
                return ResolvedOffset(offset: snapped, adjustments: snapped == p ? [] : .snappedToCodePointStart)
            case .utf16, .utf32:
                // ASCII (one unit per byte) is counted word by word: a 10 MB minified line costs about a millisecond.
                if target <= end - start && UTF8Scanning.isASCII(b, start..<(start + target)) {
                    return ResolvedOffset(offset: start + target)
                }
                var i = start
                var units = 0
                while i < end {
                    if units == target { return ResolvedOffset(offset: i) }
                    let length = UTF8Scanning.codePointLength(b, at: i)
                    units += UTF8Scanning.units(ofCodePointLength: length, in: encoding)
                    if units > target { return ResolvedOffset(offset: i, adjustments: .snappedToCodePointStart) }
                    i += length
                }
                return ResolvedOffset(offset: end, adjustments: units == target ? [] : .characterClamped)
            }
        }
    }

    /// `offset(of:encoding:)` with the position spelled out.
    package func offset(line: Int, character: Int, encoding: PositionEncoding) throws(Error) -> ResolvedOffset {
        try offset(of: TextPosition(line: line, character: character), encoding: encoding)
    }

    /// The LSP position of a byte offset, the inverse of `offset(of:encoding:)` at every code-point boundary
    /// within a line's content. Other offsets are moved first, never failing: one outside `0...count` is
    /// clamped into it, one inside a code point snaps to its start, and one inside a `\r\n` terminator moves to
    /// the line's end before it. Costs as `offset(of:encoding:)`.
    package func position(ofOffset offset: Int, encoding: PositionEncoding) -> TextPosition {
        let clamped = min(max(offset, 0), bytes.count)
        let line = line(containing: clamped)
        let start = lineStarts[line]
        let target = min(clamped, lineContentEnd(line))
        let character = bytes.withUnsafeBufferPointer { b in
            let snapped = UTF8Scanning.codePointStart(b, containing: target)
            switch encoding {
            case .utf8:
                return snapped - start
            case .utf16, .utf32:
                if UTF8Scanning.isASCII(b, start..<snapped) { return snapped - start }
                var i = start
                var units = 0
                while i < snapped {
                    let length = UTF8Scanning.codePointLength(b, at: i)
                    units += UTF8Scanning.units(ofCodePointLength: length, in: encoding)
                    i += length
                }
                return units
            }
        }
        return TextPosition(line: line, character: character)
    }
}
