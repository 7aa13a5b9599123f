/// LSP's `Range`: from `start` up to, not including, `end`. Named apart from `Swift.Range`, which it is not.
package struct LSPRange: Codable, Sendable, Hashable, CustomStringConvertible {
    package var start: Position
    package var end: Position

    package init(start: Position, end: Position) {
        self.start = start
        self.end = end
    }

    /// An empty range at `position`: an insertion point.
    package init(at position: Position) {
        self.init(start: position, end: position)
    }

    package var isEmpty: Bool { start == end }

    package var description: String { "\(start)-\(end)" }
}
