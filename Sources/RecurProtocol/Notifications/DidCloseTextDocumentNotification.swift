/// `textDocument/didClose`: the server may forget the document.
package struct DidCloseTextDocumentNotification: NotificationType {
    package static let method = "textDocument/didClose"
    package typealias Params = DidCloseTextDocumentParams
}

package struct DidCloseTextDocumentParams: Codable, Sendable, Hashable {
    package var textDocument: TextDocumentIdentifier

    package init(textDocument: TextDocumentIdentifier) {
        self.textDocument = textDocument
    }
}
