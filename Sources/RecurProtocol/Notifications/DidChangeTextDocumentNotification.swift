/// `textDocument/didChange`: edits to apply in order, bringing the document to `textDocument.version`.
package struct DidChangeTextDocumentNotification: NotificationType {
    package static let method = "textDocument/didChange"
    package typealias Params = DidChangeTextDocumentParams
}

package struct DidChangeTextDocumentParams: Codable, Sendable, Hashable {
    package var textDocument: VersionedTextDocumentIdentifier
    package var contentChanges: [TextDocumentContentChangeEvent]

    package init(textDocument: VersionedTextDocumentIdentifier, contentChanges: [TextDocumentContentChangeEvent]) {
        self.textDocument = textDocument
        self.contentChanges = contentChanges
    }
}
