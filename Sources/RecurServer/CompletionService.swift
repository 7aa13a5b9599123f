import Foundation
import RecurDocuments
import RecurModel
import RecurProtocol

/// Turns a document, a cursor and the model into LSP completion items, inline items, or script completions.
/// Pure functions of their inputs, so tests call them without a connection.
enum CompletionService {
    /// Completion items: the word being typed plus each sampled continuation, as a `textEdit` over the word's
    /// typed prefix (clients filter by that prefix), most probable first.
    static func completionItems(context: Server.Context, predictor: Predictor) -> ([CompletionItem], [Completion]) {
        var options = context.options
        options.stop = .word
        let samples = Sampler.sample(predictor, from: context.state, options: options)
        var seen = Set<String>()
        var items: [CompletionItem] = []
        for sample in samples {
            let text = String(decoding: context.prefix + sample.bytes, as: UTF8.self)
            guard seen.insert(text).inserted else { continue }
            items.append(
                CompletionItem(
                    label: text, kind: CompletionItemKind(rawValue: 1),
                    detail: String(format: "%.1f%% · recur", sample.probability * 100),
                    sortText: String(format: "%04d", items.count), filterText: text,
                    textEdit: TextEdit(range: LSPRange(start: context.wordStart, end: context.cursor), newText: text)))
        }
        return (items, samples)
    }

    /// Inline (ghost text) items: continuations up to the end of the line, inserted at the cursor.
    static func inlineItems(context: Server.Context, predictor: Predictor, count: Int) -> (
        [InlineCompletionItem], [Completion]
    ) {
        var options = context.options
        options.stop = .line
        options.maxBytes = max(options.maxBytes, 80)
        let samples = Sampler.sample(predictor, from: context.state, options: options)
        let shown = samples.prefix(count).filter { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }
        return (shown.map { InlineCompletionItem(insertText: $0.text, range: LSPRange(at: context.cursor)) }, shown)
    }

    static func position(_ p: TextPosition) -> Position { Position(line: p.line, character: p.character) }
}
