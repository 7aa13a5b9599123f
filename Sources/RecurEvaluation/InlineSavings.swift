import Foundation
import RecurModel

/// Something that shows ghost text after the cursor as a user types.
package protocol InlineCompleter {
    /// The user typed `byte`.
    mutating func type(_ byte: UInt8)
    /// The text shown after the cursor now; empty when nothing is shown.
    mutating func suggestion() -> [UInt8]
}

/// The result of simulating a user who types a text with ghost text shown after every keystroke, and takes it with
/// one key whenever it is exactly what they were about to type.
package struct InlineSavings: KeystrokeTally, Sendable, Codable, Equatable {
    /// One per character (Unicode scalar) of the text.
    package var keystrokesWithout = 0
    /// Characters typed plus one per ghost text taken.
    package var keystrokesWith = 0
    /// Times ghost text was shown, and taken.
    package var shown = 0
    package var accepted = 0
    /// Characters that came from ghost text that was taken.
    package var acceptedCharacters = 0
    package var totalLatencySeconds = 0.0
    package var completionRequests = 0

    /// The share of shown ghost texts that were right.
    package var precision: Double { shown == 0 ? 0 : Double(accepted) / Double(shown) }

    /// Types `text` from start to end, one character at a time. Before each character the user looks at
    /// `completer`'s ghost text: when the text goes on with exactly those bytes, one key takes all of it.
    package static func simulate<C: InlineCompleter>(text: [UInt8], completer: inout C) -> InlineSavings {
        var result = InlineSavings()
        result.keystrokesWithout = text.filter(ByteVocabulary.isLeadByte).count
        var i = 0
        while i < text.count {
            let start = DispatchTime.now().uptimeNanoseconds
            let ghost = completer.suggestion()
            result.totalLatencySeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            result.completionRequests += 1
            result.keystrokesWith += 1
            if !ghost.isEmpty {
                result.shown += 1
                if text[i...].starts(with: ghost) {
                    result.accepted += 1
                    result.acceptedCharacters += ghost.filter(ByteVocabulary.isLeadByte).count
                    for byte in ghost { completer.type(byte) }
                    i += ghost.count
                    continue
                }
            }
            // One character: its lead byte and continuation bytes.
            repeat {
                completer.type(text[i])
                i += 1
            } while i < text.count && !ByteVocabulary.isLeadByte(text[i])
        }
        return result
    }
}

/// Recur's ghost text, as the daemon shows it when typing triggers it (`InlineCompletion`, first item).
package final class ModelInlineCompleter: InlineCompleter {
    package let predictor: Predictor
    package var options: SamplingOptions
    package var filter: SuggestionFilter
    /// Whether the best endings of the word at the cursor join the sampled lines, as in the daemon.
    package var completesWords: Bool
    private var context: TypingContext

    package init(
        predictor: Predictor, options: SamplingOptions, filter: SuggestionFilter = SuggestionFilter(),
        completesWords: Bool = true
    ) {
        self.predictor = predictor
        self.options = options
        self.filter = filter
        self.completesWords = completesWords
        context = TypingContext(config: predictor.config)
    }

    package func type(_ byte: UInt8) { context.type(byte, predictor: predictor) }

    package func suggestion() -> [UInt8] {
        options.seed &+= 1
        return InlineCompletion.suggestions(
            predictor, from: context.state, options: options, filter: filter, before: context.recent,
            word: completesWords ? (context.current, context.words) : nil
        ).first?.bytes ?? []
    }
}
