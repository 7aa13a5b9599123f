/// The client's name and version, from `initialize`: for logs and per-editor workarounds.
package struct ClientInfo: Codable, Sendable, Hashable {
    package var name: String
    package var version: String?

    package init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}

/// The server's name and version, in the `initialize` result.
package struct ServerInfo: Codable, Sendable, Hashable {
    package var name: String
    package var version: String?

    package init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}
