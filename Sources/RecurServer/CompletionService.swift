import Foundation
import RecurDocuments
import RecurModel
import RecurProtocol

/// Turns a document, a cursor and the model into LSP completion items, inline items, or script completions.
/// Pure functions of their inputs, so tests call them without a connection.
enum CompletionService {
    /// Completion items: the word being typed plus each sampled continuation, as a `textEdit` over the word's
    /// typed prefix (clients filter by that prefix), most probable first.
    static func completionItems(
        buffer: TextBuffer, cursor: Int, state: RecurrentState, predictor: Predictor, options: SamplingOptions,
        encoding: PositionEncoding
    ) -> [CompletionItem] {
        let word = buffer.wordPrefix(endingAt: cursor)
        let prefix = Array(buffer[word])
        var options = options
        options.stop = .word
        let samples = Sampler.sample(predictor, from: state, options: options)
        let start = position(buffer.position(ofOffset: word.lowerBound, encoding: encoding))
        let end = position(buffer.position(ofOffset: cursor, encoding: encoding))
        var seen = Set<String>()
        var items: [CompletionItem] = []
        for sample in samples {
            let text = String(decoding: prefix + sample.bytes, as: UTF8.self)
            guard seen.insert(text).inserted else { continue }
            items.append(
                CompletionItem(
                    label: text, kind: CompletionItemKind(rawValue: 1),
                    detail: String(format: "%.1f%% · recur", sample.probability * 100),
                    sortText: String(format: "%04d", items.count), filterText: text,
                    textEdit: TextEdit(range: LSPRange(start: start, end: end), newText: text)))
        }
        return items
    }

    /// Inline (ghost text) items: continuations up to the end of the line, inserted at the cursor.
    static func inlineItems(
        buffer: TextBuffer, cursor: Int, state: RecurrentState, predictor: Predictor, options: SamplingOptions,
        encoding: PositionEncoding, count: Int
    ) -> [InlineCompletionItem] {
        var options = options
        options.stop = .line
        options.maxBytes = max(options.maxBytes, 80)
        let samples = Sampler.sample(predictor, from: state, options: options)
        let at = position(buffer.position(ofOffset: cursor, encoding: encoding))
        return samples.prefix(count).compactMap { sample in
            let text = sample.text
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return InlineCompletionItem(insertText: text, range: LSPRange(at: at))
        }
    }

    static func position(_ p: TextPosition) -> Position { Position(line: p.line, character: p.character) }
}
