/// The bytes a user put into a document that have not settled yet, followed through the edits after them.
///
/// Inserted text is pending while the cursor stays on its line: the word and the line being typed change, and text
/// deleted again is gone from here before anyone learns it. It settles once the cursor is on another line (after an
/// edit, or a completion request, there), or when the whole document is settled (closing it, or on request). Only
/// settled text is handed on.
package struct TypedText: Sendable, Equatable {
    /// Pending ranges of the current text: ascending, disjoint and never adjacent.
    package private(set) var pending: [Range<Int>] = []

    package init() {}

    package var pendingBytes: Int { pending.reduce(0) { $0 + $1.count } }

    /// Follows one edit (`EditEffect`s in the order applied): what it replaced is no longer pending, what follows
    /// moves with it, and what it inserted is pending.
    package mutating func apply(_ effect: EditEffect) {
        apply(replaced: effect.replacedRange, insertedCount: effect.insertedCount)
    }

    /// `replaced` (offsets before the edit) became `insertedCount` new bytes.
    package mutating func apply(replaced: Range<Int>, insertedCount: Int) {
        let delta = insertedCount - replaced.count
        var next: [Range<Int>] = []
        next.reserveCapacity(pending.count + 2)
        let inserted = replaced.lowerBound..<(replaced.lowerBound + insertedCount)
        func add(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            if let last = next.last, last.upperBound >= range.lowerBound {
                next[next.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                next.append(range)
            }
        }
        var insertedAdded = false
        for range in pending {
            if range.upperBound <= replaced.lowerBound {
                add(range)
                continue
            }
            if range.lowerBound < replaced.lowerBound { add(range.lowerBound..<replaced.lowerBound) }
            if !insertedAdded {
                add(inserted)
                insertedAdded = true
            }
            if range.upperBound > replaced.upperBound {
                add((max(range.lowerBound, replaced.upperBound) + delta)..<(range.upperBound + delta))
            }
        }
        if !insertedAdded { add(inserted) }
        pending = next
    }

    /// Settles what lies outside `cursorLine` (the cursor's line, with its terminator) and returns it.
    package mutating func settle(outside cursorLine: Range<Int>) -> [Range<Int>] {
        var settled: [Range<Int>] = []
        var kept: [Range<Int>] = []
        for range in pending {
            func part(_ from: Int, _ to: Int) -> Range<Int> {
                let lower = max(range.lowerBound, from), upper = min(range.upperBound, to)
                return lower < upper ? lower..<upper : lower..<lower
            }
            let before = part(range.lowerBound, cursorLine.lowerBound)
            let inside = part(cursorLine.lowerBound, cursorLine.upperBound)
            let after = part(cursorLine.upperBound, range.upperBound)
            if !before.isEmpty { settled.append(before) }
            if !inside.isEmpty { kept.append(inside) }
            if !after.isEmpty { settled.append(after) }
        }
        pending = kept
        return settled
    }

    /// Settles everything pending and returns it.
    package mutating func settleAll() -> [Range<Int>] {
        defer { pending = [] }
        return pending
    }
}

extension TextBuffer {
    /// The bytes of the line holding `offset`, with its terminator: what stays pending while the cursor is there.
    package func lineRange(containing offset: Int) -> Range<Int> {
        let line = line(containing: min(max(offset, 0), count))
        let end = line + 1 < lineCount ? lineStart(line + 1) : count
        return lineStart(line)..<end
    }
}
