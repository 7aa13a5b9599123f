/// One entry of `didChange`'s `contentChanges`.
package enum TextChange: Hashable, Sendable {
    /// Replace `range` (in the text as it is when this change applies) with `text`.
    case replace(range: TextRange, text: String)
    /// Replace the whole document (a change without a range).
    case full(String)

    /// Throws for what no clamping can fix. This depends only on the change, never on the text, so a batch can
    /// be checked whole before any of it applies.
    package func validate() throws(TextBuffer.Error) {
        guard case .replace(let range, _) = self else { return }
        for position in [range.start, range.end] where position.line < 0 || position.character < 0 {
            throw .negativePosition(position)
        }
        guard range.start <= range.end else { throw .reversedRange(range) }
    }
}

/// What one applied change did, in byte offsets.
package struct EditEffect: Hashable, Sendable {
    /// The bytes replaced, as offsets in the text before the change.
    package var replacedRange: Range<Int>
    /// How many bytes took their place: the new text occupies `insertedRange`.
    package var insertedCount: Int
    /// Bytes before this offset are the same before and after the change, so hidden-state checkpoints at
    /// offsets up to and including it stay valid and later ones do not. It is the first byte that differs
    /// within the replaced range (common prefixes are skipped, which matters for full replacements), or the
    /// new length when the change altered nothing.
    package var firstChangedOffset: Int
    /// Anything that positions of the range had to give (union of both ends).
    package var adjustments: PositionAdjustments

    package init(
        replacedRange: Range<Int>, insertedCount: Int, firstChangedOffset: Int, adjustments: PositionAdjustments
    ) {
        self.replacedRange = replacedRange
        self.insertedCount = insertedCount
        self.firstChangedOffset = firstChangedOffset
        self.adjustments = adjustments
    }

    /// Where the new text sits in the text after the change.
    package var insertedRange: Range<Int> {
        replacedRange.lowerBound..<(replacedRange.lowerBound + insertedCount)
    }

    /// How far bytes after the change moved.
    package var delta: Int { insertedCount - replacedRange.count }

    package var wasAdjusted: Bool { !adjustments.isEmpty }
}

extension Collection<EditEffect> {
    /// For a batch applied in order: bytes before this offset are the same before the first change and after
    /// the last. Nil for an empty batch.
    package var firstChangedOffset: Int? { lazy.map(\.firstChangedOffset).min() }
}

extension TextBuffer {
    /// Applies one change. Out-of-range positions clamp as in `offset(of:encoding:)`; a negative position or a
    /// reversed range throws and leaves the buffer as it was.
    @discardableResult
    package mutating func apply(_ change: TextChange, encoding: PositionEncoding) throws(Error) -> EditEffect {
        try change.validate()
        return applyValidated(change, encoding: encoding)
    }

    /// Applies `changes` in order, each against the result of the one before, as `didChange` requires. All or
    /// nothing: every change is validated before the first applies, and validation is the only way to fail.
    @discardableResult
    package mutating func applyAll(_ changes: [TextChange], encoding: PositionEncoding) throws(Error) -> [EditEffect] {
        for change in changes { try change.validate() }
        return changes.map { applyValidated($0, encoding: encoding) }
    }

    private mutating func applyValidated(_ change: TextChange, encoding: PositionEncoding) -> EditEffect {
        let replaced: Range<Int>
        let adjustments: PositionAdjustments
        let inserted: [UInt8]
        switch change {
        case .full(let text):
            replaced = 0..<bytes.count
            adjustments = []
            inserted = Array(text.utf8)
        case .replace(let range, let text):
            // Resolution is monotonic in the position, and validation ordered the ends, so start <= end.
            let start = resolve(range.start, encoding: encoding)
            let end = resolve(range.end, encoding: encoding)
            precondition(start.offset <= end.offset, "position resolution is not monotonic")
            replaced = start.offset..<end.offset
            adjustments = start.adjustments.union(end.adjustments)
            inserted = Array(text.utf8)
        }
        let common = bytes.withUnsafeBufferPointer { old in
            inserted.withUnsafeBufferPointer { new in
                var k = 0
                let limit = min(replaced.count, new.count)
                while k < limit, old[replaced.lowerBound + k] == new[k] { k += 1 }
                return k
            }
        }
        let unchanged = common == replaced.count && common == inserted.count
        if !unchanged { replaceBytes(in: replaced, with: inserted) }
        return EditEffect(
            replacedRange: replaced, insertedCount: inserted.count,
            firstChangedOffset: unchanged ? bytes.count : replaced.lowerBound + common, adjustments: adjustments)
    }
}
