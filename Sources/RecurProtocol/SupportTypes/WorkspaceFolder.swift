/// A root folder of the client's workspace.
package struct WorkspaceFolder: Codable, Sendable, Hashable {
    package var uri: DocumentURI
    package var name: String

    package init(uri: DocumentURI, name: String) {
        self.uri = uri
        self.name = name
    }
}
