import Foundation
import RecurKernels
import Testing

@testable import RecurModel

@Suite struct WordCompletionTests {
    let predictor = Predictor(
        engine: InferenceEngine(
            model: LanguageModel<Float>(config: ModelConfig(cell: .lstm, layers: 2, hidden: 16, embedding: 8), seed: 3))
    )

    func primed(_ text: String) -> RecurrentState {
        var state = RecurrentState(config: predictor.config)
        predictor.advance(&state, through: Array(text.utf8))
        return state
    }

    @Test func typedWordCoversTheWordBeforeTheCursor() {
        let buffer = Array("let fooBar_2 = naïve.日本語\r\nx".utf8)
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 12) == 4..<12)  // "fooBar_2"
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 7) == 4..<7)  // "foo", mid-word
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 13).isEmpty)  // after a space
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 21) == 15..<21)  // "naïve", with ï as two word bytes
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 31) == 22..<31)  // "日本語"
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 34) == 33..<34)  // "x", not across the line break
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 0) == 0..<0)
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 3) == 0..<3)
        #expect(WordCompletion.typedWord(in: buffer, endingAt: 999) == 33..<34)
        #expect(WordCompletion.typedWord(in: buffer, endingAt: -4) == 0..<0)
    }

    @Test func wordBytes() {
        let words = (0...255).filter { ByteVocabulary.isWordByte(UInt8($0)) }.map { UInt8($0) }
        let ascii = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)
        #expect(words == ascii + (0x80...0xFF).map { UInt8($0) })
    }

    /// A run of word bytes longer than a word can be (a minified line) is no word, and is read only that far back.
    @Test func aRunLongerThanAWordIsNoWord() {
        let limit = WordCompletion.maximumWordBytes
        let exact = [UInt8](repeating: 0x61, count: limit)
        #expect(WordCompletion.typedWord(in: Array(" ".utf8) + exact, endingAt: limit + 1) == 1..<(limit + 1))
        #expect(WordCompletion.typedWord(in: exact, endingAt: limit) == 0..<limit)
        let long = [UInt8](repeating: 0x61, count: 10_000_000)
        #expect(WordCompletion.typedWord(in: long, endingAt: long.count) == long.count..<long.count)
        let afterSpace = (long.count + 1)..<(long.count + 3)
        #expect(WordCompletion.typedWord(in: long + Array(" ab".utf8), endingAt: long.count + 3) == afterSpace)
        // Nor is such a run counted among the document's words.
        let counted = WordFrequencies(
            scanning: (Array("x ".utf8) + [UInt8](repeating: 0x62, count: limit + 1) + Array(" bb bb ".utf8))[...],
            prefix: Array("b".utf8))
        #expect(counted.words(startingWith: Array("b".utf8), top: 5).map(\.word) == [Array("bb".utf8)])
    }

    @Test func oneByteEndingsMatchBruteForce() {
        let state = primed("the qu")
        // Every one-byte ending (ASCII word bytes: a lone byte >= 0x80 is not a whole character), scored directly.
        let all = (0..<128).map(UInt8.init).filter(ByteVocabulary.isWordByte).map { [$0] }
        let brute = WordCompletion.score(predictor, from: state, endings: all).sorted { $0.logprob > $1.logprob }
        let beam = WordCompletion.beamEndings(predictor, from: state, count: 5, width: 256, maxBytes: 1)
        #expect(beam.map(\.bytes) == brute.prefix(5).map(\.bytes))
        for (a, b) in zip(beam, brute) { #expect(abs(a.logprob - b.logprob) < 1e-4) }
    }

    @Test func beamResultsAreScoredAndCarryTheirStates() {
        let state = primed("func comp")
        let beam = WordCompletion.beamEndings(predictor, from: state, count: 6, width: 8, maxBytes: 6)
        #expect((1...6).contains(beam.count))
        #expect(zip(beam, beam.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
        let rescored = WordCompletion.score(predictor, from: state, endings: beam.map(\.bytes))
        for (a, b) in zip(beam, rescored) {
            #expect(abs(a.logprob - b.logprob) < 1e-3, "\(a.text)")
            var after = state
            predictor.advance(&after, through: a.bytes)
            let diff = zip(a.state.values, after.values).map { abs($0 - $1) }.max() ?? 0
            #expect(diff < 1e-4, "\(a.text)")
        }
        // A wider beam never finds a worse best ending.
        let wide = WordCompletion.beamEndings(predictor, from: state, count: 6, width: 64, maxBytes: 6)
        #expect(wide[0].logprob >= beam[0].logprob - 1e-9)
    }

    @Test func theCacheInterpolatesTheDocumentsWords() {
        let text = "let zebraCount = 1; zebraCount += zebraTotal; "
        let cache = WordFrequencies(scanning: Array(text.utf8)[...])
        #expect(
            cache.words(startingWith: Array("zebra".utf8), top: 5).map { String(decoding: $0.word, as: UTF8.self) } == [
                "zebraCount", "zebraTotal",
            ])
        let state = primed(text + "zeb")
        // Weight 0: the cache alone, in frequency order, with its shares as probabilities.
        let cacheOnly = WordCompletion.complete(
            predictor, from: state, prefix: Array("zeb".utf8), cache: cache,
            options: WordCompletion.Options(count: 3, modelWeight: 0))
        #expect(cacheOnly.prefix(2).map(\.text) == ["raCount", "raTotal"])
        #expect(abs(cacheOnly[0].probability - 2.0 / 3) < 1e-9)
        // Weight 0.5: the document's words outrank whatever an untrained model guesses.
        let mixed = WordCompletion.complete(
            predictor, from: state, prefix: Array("zeb".utf8), cache: cache, options: WordCompletion.Options(count: 3))
        #expect(mixed.prefix(2).map(\.text) == ["raCount", "raTotal"])
        #expect(mixed.count == 3)
        // Weight 1: the model alone, exactly the beam search.
        let model = WordCompletion.complete(
            predictor, from: state, prefix: Array("zeb".utf8), cache: cache,
            options: WordCompletion.Options(count: 3, modelWeight: 1))
        let options = WordCompletion.Options(count: 3, modelWeight: 1)
        let beam = WordCompletion.beamEndings(
            predictor, from: state, count: 3, width: options.beamWidth, maxBytes: options.maxBytes)
        #expect(!model.isEmpty)
        #expect(model.map(\.bytes) == beam.map(\.bytes))
    }

    @Test func wordsCutByTheWindowAreNotCounted() {
        let bytes = Array("abc def ghi".utf8)
        let middle = WordFrequencies(scanning: bytes[1..<9])  // "bc def g": both ends cut
        #expect(middle.words(startingWith: [], top: 10).map { String(decoding: $0.word, as: UTF8.self) } == ["def"])
        let whole = WordFrequencies(scanning: bytes[...])
        #expect(whole.words(startingWith: [], top: 10).count == 2)  // "ghi" has no word break after it yet
    }
}
