/// One edit in `textDocument/didChange`: a range replaced by text, or the whole document replaced.
///
/// Changes in one notification apply in order, each to the result of the previous one. `rangeLength` is deprecated
/// in LSP and only carried along; the range is authoritative.
package enum TextDocumentContentChangeEvent: Codable, Sendable, Hashable {
    case incremental(range: LSPRange, rangeLength: Int?, text: String)
    case full(text: String)

    package var text: String {
        switch self {
        case .incremental(_, _, let text), .full(let text): text
        }
    }

    package var range: LSPRange? {
        guard case .incremental(let range, _, _) = self else { return nil }
        return range
    }

    private enum CodingKeys: String, CodingKey {
        case range, rangeLength, text
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .text)
        if let range = try container.decodeIfPresent(LSPRange.self, forKey: .range) {
            self = .incremental(
                range: range, rangeLength: try container.decodeIfPresent(Int.self, forKey: .rangeLength), text: text)
        } else {
            self = .full(text: text)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .incremental(let range, let rangeLength, let text):
            try container.encode(range, forKey: .range)
            try container.encodeIfPresent(rangeLength, forKey: .rangeLength)
            try container.encode(text, forKey: .text)
        case .full(let text):
            try container.encode(text, forKey: .text)
        }
    }
}
