/// Ghost text offered at the cursor. Without `range`, the client inserts `insertText` at the request position.
package struct InlineCompletionItem: Codable, Sendable, Hashable {
    package var insertText: String
    package var filterText: String?
    package var range: LSPRange?

    package init(insertText: String, filterText: String? = nil, range: LSPRange? = nil) {
        self.insertText = insertText
        self.filterText = filterText
        self.range = range
    }
}

/// The result of `textDocument/inlineCompletion`.
package struct InlineCompletionList: Codable, Sendable, Hashable {
    package var items: [InlineCompletionItem]

    package init(items: [InlineCompletionItem]) {
        self.items = items
    }
}
