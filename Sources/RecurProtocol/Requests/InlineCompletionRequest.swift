/// `textDocument/inlineCompletion` (LSP 3.18): ghost text at the cursor.
package struct InlineCompletionRequest: RequestType {
    package static let method = "textDocument/inlineCompletion"
    package typealias Params = InlineCompletionParams
    package typealias Response = InlineCompletionList
}

package struct InlineCompletionParams: Codable, Sendable, Hashable {
    package var textDocument: TextDocumentIdentifier
    package var position: Position
    package var context: InlineCompletionContext

    package init(textDocument: TextDocumentIdentifier, position: Position, context: InlineCompletionContext) {
        self.textDocument = textDocument
        self.position = position
        self.context = context
    }
}

package struct InlineCompletionContext: Codable, Sendable, Hashable {
    package var triggerKind: InlineCompletionTriggerKind
    /// The item selected in a visible completion popup, which ghost text should extend.
    package var selectedCompletionInfo: SelectedCompletionInfo?

    package init(triggerKind: InlineCompletionTriggerKind, selectedCompletionInfo: SelectedCompletionInfo? = nil) {
        self.triggerKind = triggerKind
        self.selectedCompletionInfo = selectedCompletionInfo
    }
}

package struct InlineCompletionTriggerKind: RawRepresentable, Codable, Sendable, Hashable {
    package var rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    /// Explicitly asked for by the user.
    package static let invoked = InlineCompletionTriggerKind(rawValue: 1)
    /// Asked for as the user types: answer fast or not at all.
    package static let automatic = InlineCompletionTriggerKind(rawValue: 2)
}

/// The popup item the user has selected: `text` would replace `range`.
package struct SelectedCompletionInfo: Codable, Sendable, Hashable {
    package var range: LSPRange
    package var text: String

    package init(range: LSPRange, text: String) {
        self.range = range
        self.text = text
    }
}
