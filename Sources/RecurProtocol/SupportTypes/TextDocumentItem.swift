/// A document's full content as sent by `textDocument/didOpen`.
package struct TextDocumentItem: Codable, Sendable, Hashable {
    package var uri: DocumentURI
    package var languageId: String
    package var version: Int
    package var text: String

    package init(uri: DocumentURI, languageId: String, version: Int, text: String) {
        self.uri = uri
        self.languageId = languageId
        self.version = version
        self.text = text
    }
}
