import Foundation
import RecurDocuments
import RecurModel
import RecurProtocol

/// Turns a document, a cursor and the model into LSP completion items, inline items, or script completions.
/// Pure functions of their inputs, so tests call them without a connection.
enum CompletionService {
    /// Completion items: the word being typed plus each of its best endings (`WordCompletion`: the model's beam
    /// search interpolated with the words around the cursor), as a `textEdit` over the word's typed prefix (clients
    /// filter by that prefix), most probable first.
    static func completionItems(context: Server.Context, predictor: Predictor) -> ([CompletionItem], [Completion]) {
        let endings = WordCompletion.suggestions(
            predictor, from: context.state, prefix: context.prefix, cache: context.cache,
            options: WordCompletion.Options(count: context.options.count, maxBytes: min(context.options.maxBytes, 24)),
            filter: context.filter, before: context.before[...])
        var items: [CompletionItem] = []
        for ending in endings {
            let text = String(decoding: context.prefix + ending.bytes, as: UTF8.self)
            items.append(
                CompletionItem(
                    label: text, kind: CompletionItemKind(rawValue: 1),
                    detail: String(format: "%.1f%% · recur", ending.probability * 100),
                    sortText: String(format: "%04d", items.count), filterText: text,
                    textEdit: TextEdit(range: LSPRange(start: context.wordStart, end: context.cursor), newText: text)))
        }
        return (items, endings)
    }

    /// Inline (ghost text) items (`InlineCompletion`): continuations up to the end of the line, cut back to where the
    /// model is sure enough (`context.options.minimumProbability`), and the best endings of the word at the cursor
    /// as the completion list finds them, most characters expected to be saved first, inserted at the cursor.
    static func inlineItems(context: Server.Context, predictor: Predictor, count: Int) -> (
        [InlineCompletionItem], [Completion]
    ) {
        let shown = InlineCompletion.suggestions(
            predictor, from: context.state, options: context.options, filter: context.filter,
            before: context.before[...], word: (context.prefix, context.cache)
        ).prefix(count)
        return (
            shown.map { InlineCompletionItem(insertText: $0.text, range: LSPRange(at: context.cursor)) }, Array(shown)
        )
    }
}
