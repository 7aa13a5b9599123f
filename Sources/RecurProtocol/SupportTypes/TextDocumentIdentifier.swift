/// Names a document the client has open.
package struct TextDocumentIdentifier: Codable, Sendable, Hashable {
    package var uri: DocumentURI

    package init(uri: DocumentURI) {
        self.uri = uri
    }
}

/// Names a document at a version; versions increase with every change.
package struct VersionedTextDocumentIdentifier: Codable, Sendable, Hashable {
    package var uri: DocumentURI
    package var version: Int

    package init(uri: DocumentURI, version: Int) {
        self.uri = uri
        self.version = version
    }
}
