import RecurDocuments
import RecurFuzzing
import RecurKernels
import Testing

/// The production generator (SplitMix64), so failures reproduce.
typealias SplitMix64 = SeededGenerator

/// Random edits applied to a `TextBuffer` and to `ReferenceDocument` (the fuzz targets' slow, obvious model),
/// which must agree after every one.
@Suite struct EditPropertyTests {
    static let pieces = [
        "a", "b", "x", "_", " ", "let", "\n", "\n", "\r\n", "\r", "é", "🦊", "中", "文", "→", "ß", "\t",
    ]

    static func randomText(_ rng: inout SplitMix64, maxPieces: Int) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    /// A position that is usually valid and sometimes past the end of its line or of the document; characters
    /// land inside code points often (any unit count is fair game).
    static func randomPosition(_ rng: inout SplitMix64, in reference: ReferenceDocument, encoding: PositionEncoding)
        -> TextPosition
    {
        let lineCount = reference.lines.count
        let line = Int.random(in: 0..<lineCount + (Int.random(in: 0..<20, using: &rng) == 0 ? 2 : 0), using: &rng)
        let width = line < lineCount ? reference.units(ofLine: line, encoding: encoding) : 3
        return TextPosition(line: line, character: Int.random(in: 0...width + 2, using: &rng))
    }

    static func randomChange(_ rng: inout SplitMix64, in reference: ReferenceDocument, encoding: PositionEncoding)
        -> TextChange
    {
        let roll = Int.random(in: 0..<100, using: &rng)
        if roll < 1 { return .full(randomText(&rng, maxPieces: 600)) }
        let start = randomPosition(&rng, in: reference, encoding: encoding)
        var end: TextPosition
        if roll < 4 && reference.bytes.count > 6_000 {
            end = randomPosition(&rng, in: reference, encoding: encoding)  // anywhere: often a big deletion
        } else if roll < 8 {
            end = TextPosition(
                line: start.line + Int.random(in: 0...3, using: &rng), character: Int.random(in: 0...8, using: &rng))
        } else {
            end = start
            end.line += Int.random(in: 0..<6, using: &rng) == 0 ? 1 : 0
            end.character =
                end.line == start.line
                ? start.character + Int.random(in: 0...3, using: &rng) : Int.random(in: 0...3, using: &rng)
        }
        let (low, high) = start <= end ? (start, end) : (end, start)
        let text = randomText(&rng, maxPieces: 6)
        return .replace(range: TextRange(start: low, end: high), text: text)
    }

    /// What the reference expects of a change, applied to it in place.
    static func applyToReference(
        _ change: TextChange, _ reference: inout ReferenceDocument, encoding: PositionEncoding
    ) -> (replaced: Range<Int>, insertedCount: Int, adjustments: PositionAdjustments) {
        switch change {
        case .full(let text):
            let oldCount = reference.bytes.count
            reference = ReferenceDocument(bytes: Array(text.utf8))
            return (0..<oldCount, text.utf8.count, [])
        case .replace(let range, let text):
            let (start, startAdjustments) = reference.offset(
                line: range.start.line, character: range.start.character, encoding: encoding)
            let (end, endAdjustments) = reference.offset(
                line: range.end.line, character: range.end.character, encoding: encoding)
            reference.bytes.replaceSubrange(start..<end, with: Array(text.utf8))
            return (start..<end, text.utf8.count, startAdjustments.union(endAdjustments))
        }
    }

    static func expectAgreement(_ buffer: TextBuffer, _ reference: ReferenceDocument, step: Int) {
        #expect(buffer.bytes == reference.bytes, "text differs after step \(step)")
        #expect(buffer.lineStarts == reference.lines.map(\.start), "line index differs after step \(step)")
    }

    @Test func fiveThousandRandomEditsAgreeWithTheReference() throws {
        var rng = SplitMix64(seed: 0x5EED_2024)
        let initial = Self.randomText(&rng, maxPieces: 400)
        var buffer = TextBuffer(initial)
        var reference = ReferenceDocument(bytes: Array(initial.utf8))
        var step = 0
        var clampedSeen = PositionAdjustments()
        while step < 5_000 {
            let encoding = PositionEncoding.allCases.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<100, using: &rng)
            if roll < 4 {
                // A reversed range: refused, nothing changes.
                let a = Self.randomPosition(&rng, in: reference, encoding: encoding)
                var b = a
                b.character += 1
                let before = buffer
                #expect(throws: TextBuffer.Error.reversedRange(TextRange(start: b, end: a))) {
                    try buffer.apply(.replace(range: TextRange(start: b, end: a), text: "x"), encoding: encoding)
                }
                #expect(buffer == before)
                step += 1
            } else if roll < 14 {
                // A batch, as eglot sends: each change is drawn against the text the previous one left.
                var expected: [(replaced: Range<Int>, insertedCount: Int, adjustments: PositionAdjustments)] = []
                var changes: [TextChange] = []
                for _ in 0..<Int.random(in: 2...4, using: &rng) {
                    let change = Self.randomChange(&rng, in: reference, encoding: encoding)
                    changes.append(change)
                    expected.append(Self.applyToReference(change, &reference, encoding: encoding))
                }
                let effects = try buffer.applyAll(changes, encoding: encoding)
                #expect(effects.map(\.replacedRange) == expected.map(\.replaced), "step \(step)")
                #expect(effects.map(\.insertedCount) == expected.map(\.insertedCount), "step \(step)")
                #expect(effects.map(\.adjustments) == expected.map(\.adjustments), "step \(step)")
                step += changes.count
            } else {
                let change = Self.randomChange(&rng, in: reference, encoding: encoding)
                let oldBytes = buffer.bytes
                let expected = Self.applyToReference(change, &reference, encoding: encoding)
                let effect = try buffer.apply(change, encoding: encoding)
                #expect(effect.replacedRange == expected.replaced, "step \(step): \(change)")
                #expect(effect.insertedCount == expected.insertedCount, "step \(step)")
                #expect(effect.adjustments == expected.adjustments, "step \(step): \(change)")
                clampedSeen.formUnion(effect.adjustments)
                // Bytes before firstChangedOffset survive; the byte at it (if both texts have one) differs.
                let first = effect.firstChangedOffset
                #expect(oldBytes.prefix(first) == buffer.bytes.prefix(first), "step \(step)")
                let compared = effect.replacedRange.lowerBound + min(effect.replacedRange.count, effect.insertedCount)
                if first < compared { #expect(oldBytes[first] != buffer.bytes[first], "step \(step)") }
                step += 1
            }
            Self.expectAgreement(buffer, reference, step: step)
            try Self.expectPositionsAgree(buffer, reference, rng: &rng)
        }
        #expect(
            clampedSeen == [.lineClamped, .characterClamped, .snappedToCodePointStart], "every adjustment exercised")
    }

    /// A few random code-point boundaries convert the way the reference counts them, and back.
    static func expectPositionsAgree(_ buffer: TextBuffer, _ reference: ReferenceDocument, rng: inout SplitMix64)
        throws
    {
        let boundaries = reference.boundaries
        for _ in 0..<3 {
            let encoding = PositionEncoding.allCases.randomElement(using: &rng)!
            let offset = boundaries.randomElement(using: &rng)!
            let (line, character) = reference.position(ofBoundary: offset, encoding: encoding)
            let position = TextPosition(line: line, character: character)
            #expect(buffer.position(ofOffset: offset, encoding: encoding) == position)
            #expect(try buffer.offset(of: position, encoding: encoding) == ResolvedOffset(offset: offset))
        }
    }
}
