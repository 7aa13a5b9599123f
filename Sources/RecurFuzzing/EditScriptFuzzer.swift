import RecurDocuments
import RecurProtocol

/// A document opened with arbitrary bytes (invalid UTF-8 included), then a script of `didChange` edits whose text
/// arrives as JSON `\u` escapes (unpaired surrogate halves included) and whose positions may be past the end,
/// inside a code point or negative, in UTF-8, UTF-16 or UTF-32 units.
///
/// Invariants: after every step `TextBuffer` holds the same bytes and lines as `ReferenceDocument`; an edit
/// replaces exactly the range the reference resolves and reports the same adjustments; a batch with a bad change
/// applies none of them; positions and offsets convert both ways; JSON text decodes as UTF-16 with U+FFFD.
enum EditScriptFuzzer {
    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let encoding = PositionEncoding.allCases[Int(input.byte()) % PositionEncoding.allCases.count]
        let initial = input.bytes(Int(input.byte()))
        var buffer = TextBuffer(bytes: initial)
        var reference = ReferenceDocument(bytes: initial)
        var steps = 0
        while !input.isAtEnd && steps < 48 {
            steps += 1
            let op = input.byte()
            switch op % 4 {
            case 0, 1:
                let change = makeChange(&input, reference: reference, full: op % 8 == 1)
                apply([change], to: &buffer, reference: &reference, encoding: encoding)
            case 2:
                let count = Int(input.byte() % 3) + 1
                let changes = (0..<count).map { _ in makeChange(&input, reference: reference, full: false) }
                apply(changes, to: &buffer, reference: &reference, encoding: encoding)
            default:
                checkPositions(buffer, reference, encoding: encoding, probe: Int(input.byte()))
            }
            precondition(buffer.bytes == reference.bytes, "the buffer's bytes differ from the reference's")
            let lines = reference.lines
            precondition(buffer.lineCount == lines.count, "line count \(buffer.lineCount), reference \(lines.count)")
            for (k, line) in lines.enumerated() {
                precondition(buffer.lineStart(k) == line.start, "line \(k) starts at \(buffer.lineStart(k))")
                precondition(
                    buffer.lineContentEnd(k) == line.contentEnd, "line \(k) ends at \(buffer.lineContentEnd(k))")
            }
        }
    }

    /// A position: usually on a line near the document's, sometimes negative, sometimes far past the end.
    static func position(_ input: inout FuzzInput, lines: Int) -> TextPosition {
        let a = input.byte(), b = input.byte()
        let line = a == 0xFF ? -1 : a >= 0xF0 ? Int(a) * 1000 : Int(a) % (lines + 1)
        let character = b == 0xFF ? -1 : b >= 0xF0 ? Int(b) * 1000 : Int(b) % 24
        return TextPosition(line: line, character: character)
    }

    static func makeChange(_ input: inout FuzzInput, reference: ReferenceDocument, full: Bool) -> TextChange {
        let text = jsonText(&input)
        if full { return .full(text) }
        let lines = reference.lines.count
        var start = position(&input, lines: lines)
        var end = position(&input, lines: lines)
        // Mostly ordered ranges; an unordered one now and then, which must be refused.
        if end < start && input.byte() & 7 != 0 { swap(&start, &end) }
        return .replace(range: TextRange(start: start, end: end), text: text)
    }

    /// Text as an editor would send it: UTF-16 units written as JSON `\u` escapes, read back by the server's own
    /// JSON path (repairing unpaired surrogates). It must equal the standard library's lossy UTF-16 decoding.
    static func jsonText(_ input: inout FuzzInput) -> String {
        let interesting: [UInt16] = [
            0x61, 0x0A, 0x0D, 0x20, 0xE9, 0x20AC, 0xD83E, 0xDD8A, 0xD800, 0xDC00, 0xFFFD, 0x00,
        ]
        let count = Int(input.byte() % 8)
        var units: [UInt16] = []
        for _ in 0..<count {
            let pick = input.byte()
            units.append(pick < 0xC0 ? interesting[Int(pick) % interesting.count] : input.uint16())
        }
        var json = "\""
        for unit in units {
            let hex = String(unit, radix: 16)
            json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        json += "\""
        let body = Array(json.utf8)
        let value =
            (try? JSONValue(parsing: body))
            ?? JSONRepair.repairingTextEncoding(body).flatMap { try? JSONValue(parsing: $0) }
        guard case .string(let text)? = value else { preconditionFailure("escaped text \(json) did not decode") }
        precondition(text == String(decoding: units, as: UTF16.self), "JSON text \(json) decoded as \(text)")
        return text
    }

    static func apply(
        _ changes: [TextChange], to buffer: inout TextBuffer, reference: inout ReferenceDocument,
        encoding: PositionEncoding
    ) {
        let before = buffer
        let invalid = changes.contains { change in
            guard case .replace(let range, _) = change else { return false }
            return [range.start, range.end].contains { $0.line < 0 || $0.character < 0 } || range.end < range.start
        }
        do {
            let effects = try buffer.applyAll(changes, encoding: encoding)
            precondition(!invalid, "a batch with a negative position or a reversed range was applied")
            for (change, effect) in zip(changes, effects) {
                let old = reference.bytes
                let replaced: Range<Int>
                let inserted: [UInt8]
                var adjustments: PositionAdjustments = []
                switch change {
                case .full(let text):
                    replaced = 0..<old.count
                    inserted = Array(text.utf8)
                case .replace(let range, let text):
                    let (s, a) = reference.offset(
                        line: range.start.line, character: range.start.character, encoding: encoding)
                    let (e, b) = reference.offset(
                        line: range.end.line, character: range.end.character, encoding: encoding)
                    replaced = s..<e
                    adjustments = a.union(b)
                    inserted = Array(text.utf8)
                }
                precondition(effect.replacedRange == replaced, "replaced \(effect.replacedRange), expected \(replaced)")
                precondition(effect.insertedCount == inserted.count, "inserted count differs")
                precondition(effect.adjustments == adjustments, "adjustments differ")
                reference.bytes.replaceSubrange(replaced, with: inserted)
                let common = zip(old[replaced], inserted).prefix { $0 == $1 }.count
                let unchanged = common == replaced.count && common == inserted.count
                let first = unchanged ? reference.bytes.count : replaced.lowerBound + common
                precondition(
                    effect.firstChangedOffset == first, "firstChangedOffset \(effect.firstChangedOffset) != \(first)")
            }
        } catch {
            precondition(invalid, "a valid batch was refused: \(error)")
            precondition(buffer == before, "a refused batch changed the buffer")
        }
    }

    static func checkPositions(
        _ buffer: TextBuffer, _ reference: ReferenceDocument, encoding: PositionEncoding, probe: Int
    ) {
        let boundaries = reference.boundaries
        for k in stride(from: probe % 5, to: boundaries.count, by: 5) {
            let boundary = boundaries[k]
            let expected = reference.position(ofBoundary: boundary, encoding: encoding)
            let position = buffer.position(ofOffset: boundary, encoding: encoding)
            precondition(
                position.line == expected.line && position.character == expected.character,
                "offset \(boundary) is at \(position), expected \(expected)")
            let resolved = try? buffer.offset(of: position, encoding: encoding)
            precondition(resolved == ResolvedOffset(offset: boundary), "position \(position) does not resolve back")
        }
        // Any offset at all, even outside the text, gives a position that resolves without error.
        let offset = probe - 8
        let position = buffer.position(ofOffset: offset, encoding: encoding)
        precondition((try? buffer.offset(of: position, encoding: encoding)) != nil, "position of \(offset) unusable")
    }
}
