/// `initialize`: the first request; negotiates position encoding and capabilities.
package struct InitializeRequest: RequestType {
    package static let method = "initialize"
    package typealias Params = InitializeParams
    package typealias Response = InitializeResult
}

/// The client's side of the handshake. Lenient where clients differ: `processId`, `rootUri` and
/// `initializationOptions` may be null or absent, and missing `capabilities` read as none.
package struct InitializeParams: Codable, Sendable, Hashable {
    /// The client's process id: the server may exit when that process is gone.
    package var processId: Int?
    package var rootUri: DocumentURI?
    package var workspaceFolders: [WorkspaceFolder]?
    package var capabilities: ClientCapabilities
    /// Recur's own settings, passed through by the editor's configuration.
    package var initializationOptions: JSONValue?
    package var clientInfo: ClientInfo?

    package init(
        processId: Int? = nil, rootUri: DocumentURI? = nil, workspaceFolders: [WorkspaceFolder]? = nil,
        capabilities: ClientCapabilities = ClientCapabilities(), initializationOptions: JSONValue? = nil,
        clientInfo: ClientInfo? = nil
    ) {
        self.processId = processId
        self.rootUri = rootUri
        self.workspaceFolders = workspaceFolders
        self.capabilities = capabilities
        self.initializationOptions = initializationOptions
        self.clientInfo = clientInfo
    }

    private enum CodingKeys: String, CodingKey {
        case processId, rootUri, workspaceFolders, capabilities, initializationOptions, clientInfo
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        processId = try container.decodeIfPresent(Int.self, forKey: .processId)
        rootUri = try container.decodeIfPresent(DocumentURI.self, forKey: .rootUri)
        workspaceFolders = try container.decodeIfPresent([WorkspaceFolder].self, forKey: .workspaceFolders)
        capabilities = try container.decodeIfPresent(ClientCapabilities.self, forKey: .capabilities) ?? .init()
        initializationOptions = try container.decodeIfPresent(JSONValue.self, forKey: .initializationOptions)
        clientInfo = try container.decodeIfPresent(ClientInfo.self, forKey: .clientInfo)
    }
}

/// The server's side of the handshake.
package struct InitializeResult: Codable, Sendable, Hashable {
    package var capabilities: ServerCapabilities
    package var serverInfo: ServerInfo?

    package init(capabilities: ServerCapabilities, serverInfo: ServerInfo? = nil) {
        self.capabilities = capabilities
        self.serverInfo = serverInfo
    }
}
