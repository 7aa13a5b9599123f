/// What Recur offers, sent in the `initialize` result. Absent members are omitted, which LSP reads as "not offered".
package struct ServerCapabilities: Codable, Sendable, Hashable {
    /// The encoding chosen from the client's list; omitted means UTF-16.
    package var positionEncoding: PositionEncodingKind?
    package var textDocumentSync: TextDocumentSyncOptions?
    package var completionProvider: CompletionOptions?
    package var inlineCompletionProvider: InlineCompletionProvider?

    package init(
        positionEncoding: PositionEncodingKind? = nil, textDocumentSync: TextDocumentSyncOptions? = nil,
        completionProvider: CompletionOptions? = nil, inlineCompletionProvider: InlineCompletionProvider? = nil
    ) {
        self.positionEncoding = positionEncoding
        self.textDocumentSync = textDocumentSync
        self.completionProvider = completionProvider
        self.inlineCompletionProvider = inlineCompletionProvider
    }
}

/// How the client should send document contents.
package struct TextDocumentSyncOptions: Codable, Sendable, Hashable {
    /// Send `didOpen` and `didClose`.
    package var openClose: Bool?
    package var change: TextDocumentSyncKind?

    package init(openClose: Bool? = nil, change: TextDocumentSyncKind? = nil) {
        self.openClose = openClose
        self.change = change
    }
}

/// `didChange` content: nothing, the full text each time, or incremental edits.
package struct TextDocumentSyncKind: RawRepresentable, Codable, Sendable, Hashable {
    package var rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    package static let none = TextDocumentSyncKind(rawValue: 0)
    package static let full = TextDocumentSyncKind(rawValue: 1)
    package static let incremental = TextDocumentSyncKind(rawValue: 2)
}

/// `textDocument/completion` support.
package struct CompletionOptions: Codable, Sendable, Hashable {
    /// Characters that make the client ask for completions without an explicit invocation.
    package var triggerCharacters: [String]?
    /// Recur sends complete items, so `false`: no `completionItem/resolve`.
    package var resolveProvider: Bool?

    package init(triggerCharacters: [String]? = nil, resolveProvider: Bool? = nil) {
        self.triggerCharacters = triggerCharacters
        self.resolveProvider = resolveProvider
    }
}

/// `inlineCompletionProvider`: `true`, or an options object (which LSP 3.18 clients may expect).
package enum InlineCompletionProvider: Codable, Sendable, Hashable {
    case bool(Bool)
    case options(InlineCompletionOptions)

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else {
            self = .options(try container.decode(InlineCompletionOptions.self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .options(let options): try container.encode(options)
        }
    }
}

/// Options for inline completion; empty (`{}`) is the common form.
package struct InlineCompletionOptions: Codable, Sendable, Hashable {
    package var workDoneProgress: Bool?

    package init(workDoneProgress: Bool? = nil) {
        self.workDoneProgress = workDoneProgress
    }
}
