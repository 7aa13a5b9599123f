/// What the client can do, kept whole as JSON (the full structure is large and Recur reads a few leaves), with
/// typed accessors for those leaves. Absent or malformed leaves read as the LSP default.
package struct ClientCapabilities: Codable, Sendable, Hashable {
    package var raw: JSONValue

    package init(_ raw: JSONValue = .object([:])) {
        self.raw = raw
    }

    package init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(JSONValue.self)
        guard value.objectValue != nil else {
            throw DecodingError.typeMismatch(
                ClientCapabilities.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected an object, found \(value.kindDescription)"))
        }
        raw = value
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(raw)
    }

    /// `general.positionEncodings`, in the client's order of preference. A client that sends none supports UTF-16
    /// only, so this is `[.utf16]` then.
    package var positionEncodings: [PositionEncodingKind] {
        guard let list = raw["general"]?["positionEncodings"]?.arrayValue else { return [.utf16] }
        let kinds = list.compactMap { $0.stringValue.map(PositionEncodingKind.init(rawValue:)) }
        return kinds.isEmpty ? [.utf16] : kinds
    }

    /// Whether the client announced `general.positionEncodings` at all.
    package var announcesPositionEncodings: Bool {
        raw["general"]?["positionEncodings"]?.arrayValue != nil
    }

    /// `window.workDoneProgress`: the server may create progress tokens with `window/workDoneProgress/create`.
    package var supportsWorkDoneProgress: Bool {
        raw["window"]?["workDoneProgress"]?.boolValue ?? false
    }

    /// `textDocument.completion.completionItem.snippetSupport`.
    package var supportsCompletionSnippets: Bool {
        raw["textDocument"]?["completion"]?["completionItem"]?["snippetSupport"]?.boolValue ?? false
    }

    /// `textDocument.inlineCompletion` is present: the client may send `textDocument/inlineCompletion`.
    package var supportsInlineCompletion: Bool {
        raw["textDocument"]?["inlineCompletion"] != nil
    }
}
