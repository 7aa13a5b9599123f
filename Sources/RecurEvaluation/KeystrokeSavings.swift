import Foundation
import RecurModel

/// Something that proposes how the current word ends, as a user types.
package protocol WordCompleter {
    /// The user typed `byte`.
    mutating func type(_ byte: UInt8)
    /// Up to `top` candidate endings of the current word (the bytes after what was typed), best first.
    mutating func completions(top: Int) -> [[UInt8]]
}

/// Keystrokes with and without a completer, and the time its requests took: what both simulations report.
package protocol KeystrokeTally {
    var keystrokesWithout: Int { get }
    var keystrokesWith: Int { get }
    var completionRequests: Int { get }
    var totalLatencySeconds: Double { get }
}

extension KeystrokeTally {
    package var savings: Double {
        keystrokesWithout == 0 ? 0 : 1 - Double(keystrokesWith) / Double(keystrokesWithout)
    }
    package var meanLatencyMilliseconds: Double {
        completionRequests == 0 ? 0 : totalLatencySeconds / Double(completionRequests) * 1000
    }
}

/// The result of simulating a user who types a text and accepts a correct completion with one keystroke.
package struct KeystrokeSavings: KeystrokeTally, Sendable, Codable, Equatable {
    /// Keystrokes to type the text without completion: one per character (Unicode scalar).
    package var keystrokesWithout = 0
    /// Keystrokes with completion: typed characters plus one Tab per accepted completion.
    package var keystrokesWith = 0
    package var acceptedCompletions = 0
    package var completionRequests = 0
    package var totalLatencySeconds = 0.0

    /// Types `text` from start to end. At each word, for each prefix of `minimumPrefix` characters up to the word's
    /// length minus one, asks `completer` for its `top` endings; when one equals the rest of the word, the user
    /// presses Tab (one keystroke) and moves on. Words are runs of `ByteVocabulary.isWordByte` bytes.
    package static func simulate<C: WordCompleter>(
        text: [UInt8], completer: inout C, top: Int, minimumPrefix: Int = 0
    ) -> KeystrokeSavings {
        var result = KeystrokeSavings()
        var i = 0
        while i < text.count {
            guard ByteVocabulary.isWordByte(text[i]) else {
                completer.type(text[i])
                if ByteVocabulary.isLeadByte(text[i]) {
                    result.keystrokesWithout += 1
                    result.keystrokesWith += 1
                }
                i += 1
                continue
            }
            var end = i
            while end < text.count && ByteVocabulary.isWordByte(text[end]) { end += 1 }
            let word = Array(text[i..<end])
            // Character boundaries inside the word: offsets of lead bytes, plus the end.
            let boundaries = word.indices.filter { ByteVocabulary.isLeadByte(word[$0]) }
            let characters = boundaries.count
            result.keystrokesWithout += characters
            var typed = 0  // bytes of the word already fed to the completer
            var accepted = false
            for (prefixCharacters, offset) in boundaries.enumerated() where prefixCharacters >= minimumPrefix {
                while typed < offset {
                    completer.type(word[typed])
                    typed += 1
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let candidates = completer.completions(top: top)
                result.totalLatencySeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                result.completionRequests += 1
                if candidates.contains(where: { $0.elementsEqual(word[offset...]) }) {
                    result.keystrokesWith += prefixCharacters + 1
                    result.acceptedCompletions += 1
                    accepted = true
                    break
                }
            }
            if !accepted { result.keystrokesWith += characters }
            while typed < word.count {
                completer.type(word[typed])
                typed += 1
            }
            i = end
        }
        return result
    }
}

/// Baseline (a): what editors offer today. The most frequent earlier words of the same text that start with the
/// typed prefix (Vim's Ctrl-N, Emacs's dabbrev, VS Code's word-based suggestions).
package struct BufferWordCompleter: WordCompleter {
    private var frequencies = WordFrequencies()
    private var current: [UInt8] = []

    package init() {}

    package mutating func type(_ byte: UInt8) {
        frequencies.type(byte)
        current = ByteVocabulary.isWordByte(byte) ? current + [byte] : []
    }

    package mutating func completions(top: Int) -> [[UInt8]] {
        frequencies.words(startingWith: current, top: top).map { Array($0.word[current.count...]) }
    }
}

/// Baseline (b): a byte n-gram model's most probable word endings, by beam search.
package struct NGramWordCompleter: WordCompleter {
    package let model: CharNGram
    package var maxBytes = 24
    private var history: [UInt8] = []

    package init(model: CharNGram) { self.model = model }

    package mutating func type(_ byte: UInt8) {
        history.append(byte)
        if history.count > 64 { history.removeFirst(history.count - 16) }
    }

    package mutating func completions(top: Int) -> [[UInt8]] {
        struct Beam {
            var bytes: [UInt8]
            var logp: Double
        }
        var beams = [Beam(bytes: [], logp: 0)]
        var finished: [Beam] = []
        let width = max(top * 2, 4)
        for _ in 0..<maxBytes {
            var next: [Beam] = []
            for beam in beams {
                let context = history.suffix(model.order - 1) + beam.bytes
                let p = model.distribution(after: context.suffix(model.order - 1))
                // Ending the word here: any non-word byte.
                var stop = 0.0
                for b in 0..<256 where !ByteVocabulary.isWordByte(UInt8(b)) { stop += p[b] }
                if !beam.bytes.isEmpty { finished.append(Beam(bytes: beam.bytes, logp: beam.logp + log(stop))) }
                for b in 0..<256 where ByteVocabulary.isWordByte(UInt8(b)) && p[b] > 1e-4 {
                    next.append(Beam(bytes: beam.bytes + [UInt8(b)], logp: beam.logp + log(p[b])))
                }
            }
            next.sort { $0.logp > $1.logp }
            beams = Array(next.prefix(width))
            let bestFinished = finished.map(\.logp).max() ?? -.infinity
            if beams.isEmpty || (finished.count >= top && beams[0].logp < bestFinished - 8) { break }
        }
        return finished.sorted { $0.logp > $1.logp }.prefix(top).map(\.bytes)
    }
}

/// What Recur's completers keep as the simulated user types: the model's state, the document's words, the word
/// being typed, and the last bytes (as much as the suggestion filter reads, kept between `contextBytes` and twice
/// that).
package struct TypingContext {
    package private(set) var state: RecurrentState
    package private(set) var words = WordFrequencies()
    package private(set) var current: [UInt8] = []
    private var recentBytes: [UInt8] = []

    package init(config: ModelConfig) { state = RecurrentState(config: config) }

    package var recent: ArraySlice<UInt8> { recentBytes[...] }

    package mutating func type(_ byte: UInt8, predictor: Predictor) {
        predictor.step(&state, bytes: [byte])
        words.type(byte)
        current = ByteVocabulary.isWordByte(byte) ? current + [byte] : []
        recentBytes.append(byte)
        if recentBytes.count >= 2 * SuggestionFilter.contextBytes {
            recentBytes.removeFirst(SuggestionFilter.contextBytes)
        }
    }
}

/// Recur's completer, as the daemon completes words: the model's best endings by beam search, interpolated with
/// the words typed so far, through the daemon's `SuggestionFilter` (`WordCompletion.suggestions`).
package final class ModelWordCompleter: WordCompleter {
    /// Replaceable: a completer that learns as it types swaps in new weights, and the state carries on.
    package var predictor: Predictor
    package var options: WordCompletion.Options
    package var filter: SuggestionFilter
    private var context: TypingContext

    package init(predictor: Predictor, options: WordCompletion.Options, filter: SuggestionFilter = SuggestionFilter()) {
        self.predictor = predictor
        self.options = options
        self.filter = filter
        context = TypingContext(config: predictor.config)
    }

    package func type(_ byte: UInt8) { context.type(byte, predictor: predictor) }

    package func completions(top: Int) -> [[UInt8]] {
        var options = options
        options.count = top
        return WordCompletion.suggestions(
            predictor, from: context.state, prefix: context.current, cache: context.words, options: options,
            filter: filter, before: context.recent
        ).map(\.bytes)
    }
}
