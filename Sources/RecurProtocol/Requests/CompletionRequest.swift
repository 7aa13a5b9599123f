/// `textDocument/completion`: the popup list at a position.
package struct CompletionRequest: RequestType {
    package static let method = "textDocument/completion"
    package typealias Params = CompletionParams
    package typealias Response = CompletionList
}

package struct CompletionParams: Codable, Sendable, Hashable {
    package var textDocument: TextDocumentIdentifier
    package var position: Position
    /// Absent when the client does not announce `completion.contextSupport`.
    package var context: CompletionContext?

    package init(textDocument: TextDocumentIdentifier, position: Position, context: CompletionContext? = nil) {
        self.textDocument = textDocument
        self.position = position
        self.context = context
    }
}

/// Why completion was asked for.
package struct CompletionContext: Codable, Sendable, Hashable {
    package var triggerKind: CompletionTriggerKind
    /// The character typed, when `triggerKind` is `.triggerCharacter`.
    package var triggerCharacter: String?

    package init(triggerKind: CompletionTriggerKind, triggerCharacter: String? = nil) {
        self.triggerKind = triggerKind
        self.triggerCharacter = triggerCharacter
    }
}

package struct CompletionTriggerKind: RawRepresentable, Codable, Sendable, Hashable {
    package var rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    /// Typed an identifier character or invoked explicitly (Ctrl-Space).
    package static let invoked = CompletionTriggerKind(rawValue: 1)
    /// Typed one of the server's `triggerCharacters`.
    package static let triggerCharacter = CompletionTriggerKind(rawValue: 2)
    /// Re-asked because the previous list was incomplete.
    package static let triggerForIncompleteCompletions = CompletionTriggerKind(rawValue: 3)
}
