import Foundation

/// Ghost text: the continuation an editor shows after the cursor, for the user to take with one key. The daemon's
/// `textDocument/inlineCompletion` and `recur eval --inline` both use this.
package enum InlineCompletion {
    /// The least length of a sampled line.
    package static let minimumLineBytes = 80
    /// The daemon's `SamplingOptions.minimumProbability` for ghost text. Measured with `recur eval --ksr --inline`
    /// (README, "Ghost text"): whole lines were right 3 to 5% of the times they were shown; cut at 0.2, about a
    /// third, and they save 2 to 6 times the keystrokes.
    package static let defaultMinimumProbability = 0.2

    /// Samples lines under `options` (stopping at a newline, at least `minimumLineBytes` long; with
    /// `options.minimumProbability`, each cut back to the last word edge the model is that sure of), leaves out what
    /// `filter` leaves out and white space alone, and ranks the rest by the characters a user can expect to save:
    /// the probability that the text is right times its length in characters.
    ///
    /// With `word` (the typed part of the word at the cursor and the document's words), a floor above 0, and a
    /// word begun, the best endings of that word (`WordCompletion`, as the completion list finds them: the model
    /// mixed with the document's words) join the candidates when their score reaches the floor. Before a word is
    /// begun, the document's words would be offered by how often they occur, not by what fits: the samples decide.
    package static func suggestions(
        _ predictor: Predictor, from state: RecurrentState, options: SamplingOptions, filter: SuggestionFilter,
        before: ArraySlice<UInt8>, word: (prefix: [UInt8], cache: WordFrequencies)? = nil
    ) -> [Completion] {
        var options = options
        options.stop = .line
        options.maxBytes = max(options.maxBytes, minimumLineBytes)
        var candidates = Sampler.sample(predictor, from: state, options: options)
        if let word, !word.prefix.isEmpty, options.minimumProbability > 0 {
            candidates += WordCompletion.complete(
                predictor, from: state, prefix: word.prefix, cache: word.cache,
                options: WordCompletion.Options(count: 3)
            ).filter { $0.probability >= options.minimumProbability }
        }
        let samples = filter.apply(candidates, before: before)
            .filter { $0.bytes.contains { !ByteVocabulary.isWhitespace($0) } }
        return samples.map { ($0, expectedSavings($0)) }.sorted { $0.1 > $1.1 }.map(\.0)
    }

    /// The probability of `completion`'s bytes (not of what ends it) times its length in characters.
    package static func expectedSavings(_ completion: Completion) -> Double {
        let logprob = completion.byteLogprobs.isEmpty ? completion.logprob : completion.byteLogprobs.reduce(0, +)
        return exp(logprob) * Double(completion.bytes.filter(ByteVocabulary.isLeadByte).count)
    }
}
