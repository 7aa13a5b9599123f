/// `textDocument/didOpen`: the client now owns the document's content; the server's copy starts here.
package struct DidOpenTextDocumentNotification: NotificationType {
    package static let method = "textDocument/didOpen"
    package typealias Params = DidOpenTextDocumentParams
}

package struct DidOpenTextDocumentParams: Codable, Sendable, Hashable {
    package var textDocument: TextDocumentItem

    package init(textDocument: TextDocumentItem) {
        self.textDocument = textDocument
    }
}
