/// One entry of a completion popup. Recur fills `textEdit` so the client replaces exactly the range the model
/// completed, rather than guessing a word boundary.
package struct CompletionItem: Codable, Sendable, Hashable {
    package var label: String
    package var kind: CompletionItemKind?
    package var detail: String?
    package var sortText: String?
    package var filterText: String?
    package var insertTextFormat: InsertTextFormat?
    package var textEdit: TextEdit?

    package init(
        label: String, kind: CompletionItemKind? = nil, detail: String? = nil, sortText: String? = nil,
        filterText: String? = nil, insertTextFormat: InsertTextFormat? = nil, textEdit: TextEdit? = nil
    ) {
        self.label = label
        self.kind = kind
        self.detail = detail
        self.sortText = sortText
        self.filterText = filterText
        self.insertTextFormat = insertTextFormat
        self.textEdit = textEdit
    }
}

/// The result of `textDocument/completion`. `isIncomplete` asks the client to query again as the user types,
/// instead of filtering this list itself.
package struct CompletionList: Codable, Sendable, Hashable {
    package var isIncomplete: Bool
    package var items: [CompletionItem]

    package init(isIncomplete: Bool, items: [CompletionItem]) {
        self.isIncomplete = isIncomplete
        self.items = items
    }
}

/// The icon a client shows beside an item.
package struct CompletionItemKind: RawRepresentable, Codable, Sendable, Hashable {
    package var rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    package static let text = CompletionItemKind(rawValue: 1)
    package static let method = CompletionItemKind(rawValue: 2)
    package static let function = CompletionItemKind(rawValue: 3)
    package static let variable = CompletionItemKind(rawValue: 6)
    package static let keyword = CompletionItemKind(rawValue: 14)
    package static let snippet = CompletionItemKind(rawValue: 15)
    package static let file = CompletionItemKind(rawValue: 17)
}

/// Whether insert text is plain or a snippet with `$1` placeholders.
package struct InsertTextFormat: RawRepresentable, Codable, Sendable, Hashable {
    package var rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    package static let plainText = InsertTextFormat(rawValue: 1)
    package static let snippet = InsertTextFormat(rawValue: 2)
}
