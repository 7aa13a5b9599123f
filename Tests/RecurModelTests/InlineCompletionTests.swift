import Foundation
import Testing

@testable import RecurModel

@Suite struct InlineCompletionTests {
    /// A word of the document that starts with the typed prefix is offered as ghost text where sampling alone
    /// would never reach it, and leads when it saves the most; without the document's words, or with the floor
    /// at 0 (whole lines), it is not there.
    @Test func theDocumentsWordsJoinTheSampledLines() {
        let predictor = SamplerTests.confident()
        let text = Array("the tiger saw a tiger and a tiger; ti".utf8)
        var state = RecurrentState(config: predictor.config)
        predictor.advance(&state, through: text)
        let word = (prefix: Array("ti".utf8), cache: WordFrequencies(scanning: text[...], prefix: Array("ti".utf8)))
        var options = SamplingOptions(count: 6, temperature: 1, seed: 4, minimumProbability: 0.2)
        let suggestions = { (options: SamplingOptions, word: (prefix: [UInt8], cache: WordFrequencies)?) in
            InlineCompletion.suggestions(
                predictor, from: state, options: options, filter: SuggestionFilter(), before: text[...], word: word)
        }
        let joined = suggestions(options, word)
        #expect(joined.first?.bytes == Array("ger".utf8), "\(joined.map(\.text))")
        // Ranked by probability times characters.
        let gains = joined.map(InlineCompletion.expectedSavings)
        #expect(zip(gains, gains.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(!suggestions(options, nil).contains { $0.bytes == Array("ger".utf8) })
        options.minimumProbability = 0
        #expect(!suggestions(options, word).contains { $0.bytes == Array("ger".utf8) })
    }

    @Test func whiteSpaceAloneIsNeverShown() {
        let predictor = SamplerTests.confident()
        let state = RecurrentState(config: predictor.config)
        for seed in UInt64(0)..<20 {
            let options = SamplingOptions(count: 6, temperature: 1, seed: seed, minimumProbability: 0.1)
            for item in InlineCompletion.suggestions(
                predictor, from: state, options: options, filter: SuggestionFilter(), before: [])
            {
                #expect(item.bytes.contains { !ByteVocabulary.isWhitespace($0) })
            }
        }
    }
}
