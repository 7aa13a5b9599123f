/// Replace `range` with `newText`.
package struct TextEdit: Codable, Sendable, Hashable {
    package var range: LSPRange
    package var newText: String

    package init(range: LSPRange, newText: String) {
        self.range = range
        self.newText = newText
    }
}
