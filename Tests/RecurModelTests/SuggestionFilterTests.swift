import Foundation
import RecurKernels
import Testing

@testable import RecurModel

@Suite struct SuggestionFilterTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../Models/default.safetensors")

    static func completion(_ text: String, _ logprob: Double) -> Completion {
        Completion(
            bytes: Array(text.utf8), logprob: logprob,
            state: RecurrentState(config: ModelConfig(cell: .gru, layers: 1, hidden: 2, embedding: 2)))
    }

    /// The shipped model, primed through `text`.
    static func primed(_ text: String) throws -> (Predictor, RecurrentState) {
        let predictor = Predictor(engine: InferenceEngine(model: try LanguageModel<Float>(contentsOf: shipped)))
        var state = RecurrentState(config: predictor.config)
        predictor.advance(&state, through: Array(text.utf8))
        return (predictor, state)
    }

    /// Whether `list` blocks `completion` typed after `before`.
    static func blocks(_ list: BlockedWords, _ before: String, _ completion: String) -> Bool {
        list.blocks(Array((before + completion).utf8), from: before.utf8.count)
    }

    @Test func wordsArePluralsCaseAndIdentifierPartsButNotSubstrings() {
        let list = BlockedWords(list: "plum\nbadword\n\n  two words \ng-spot\nbrass\n")
        #expect(list.count == 5)
        #expect(Self.blocks(list, "a ", "plum"))
        #expect(Self.blocks(list, "a pl", "um"), "the word the completion finishes counts")
        #expect(Self.blocks(list, "a PL", "UM tree"))
        #expect(Self.blocks(list, "", "plums"))
        #expect(Self.blocks(list, "", "plumes") == false, "-es makes plurals of words in s, x, z, ch and sh only")
        #expect(Self.blocks(list, "", "brasses"))
        #expect(Self.blocks(list, "let ", "myPlumValue = 1"))
        #expect(Self.blocks(list, "", "big_badword2"))
        #expect(Self.blocks(list, "", "plumber") == false)
        #expect(Self.blocks(list, "", "aplum") == false)
        #expect(Self.blocks(list, "a plum", " tree") == false, "a word the user typed is theirs")
        #expect(Self.blocks(list, "two", " words"))
        #expect(Self.blocks(list, "", "two  words") == false, "a phrase is its exact text")
        #expect(Self.blocks(list, "two words", " and more") == false)
        #expect(Self.blocks(list, "the G-", "spot"))
        #expect(Self.blocks(list, "the g-", "spotless") == false)
        // Non-ASCII punctuation separates words as ASCII punctuation does; non-ASCII letters do not.
        #expect(Self.blocks(list, "you pl", "um\u{2014}questioned"), "an em dash after the word")
        #expect(Self.blocks(list, "", "\u{201C}plum\u{2019}s\u{201D}"), "curly quotes around it")
        #expect(Self.blocks(list, "", "plum\u{2026}"))
        #expect(Self.blocks(list, "", "plumé") == false, "a letter with an accent extends the word")
        #expect(Self.blocks(list, "", "plum\u{301}") == false, "so does a combining mark")
    }

    @Test func theShippedListBlocksEveryEntryAndSparesOrdinaryText() throws {
        let list = BlockedWords.standard
        let entries = (BlockedWords.ldnoobwEnglish + "\n" + BlockedWords.recurAdditions)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(entries.count >= 430)
        for entry in entries {
            #expect(Self.blocks(list, "", entry), "\(entry.count) bytes")
            #expect(Self.blocks(list, "", entry.uppercased()))
            // Typed up to its last byte, then completed.
            let bytes = Array(entry.utf8)
            #expect(list.blocks(bytes, from: bytes.count - 1))
            #expect(!list.blocks(bytes, from: bytes.count), "typed in full, it is the user's word")
        }
        // Prose and code of the corpora's kind: words that hold listed words, and period words, pass.
        let ordinary = [
            "class Assessment: analysis of the passage", "Scunthorpe and Penistone", "cocktail", "the butterfly",
            "a classic grassy bank", "Dickens wrote Bleak House", "func assertEqual(_ lhs: Int)", "shitake",
            "import os.path", "cumulative sum", "therapist", "hello world",
        ]
        for text in ordinary { #expect(!Self.blocks(list, "", text), "\(text)") }
    }

    @Test func repeatsOfTheTextBeforeTheCursorAndDuplicatesAreDropped() {
        let filter = SuggestionFilter(blockedWords: nil)
        let before = Array("jumps over the ".utf8)[...]
        let kept = filter.apply(
            [
                Self.completion("the", -1), Self.completion("lazy", -0.5), Self.completion("lazy ", -2),
                Self.completion("dog", -3),
            ], before: before)
        #expect(kept.map(\.text) == ["lazy", "the", "dog"].filter { $0 != "the" })
        // Continuing the word being typed is no repeat: "clas" + "s" is "class".
        #expect(filter.apply([Self.completion("s", -1)], before: Array("a clas".utf8)[...]).count == 1)
        // A whole line said again is.
        let code = Array("    x = compute(y)\n    x = compute(y)".utf8)[...]
        #expect(filter.apply([Self.completion("\n    x = compute(y)", -1)], before: code).isEmpty)
        #expect(filter.apply([Self.completion("\n    z = 1", -1)], before: code).count == 1)
        // Items that differ only in the white space around them are one item to a reader: the most probable stays.
        let body = Array("if __name__ == \"__main__\":\n    ".utf8)[...]
        let indented = filter.apply(
            [
                Self.completion("        return", -3), Self.completion("    return", -2),
                Self.completion("main()", -2.5),
                Self.completion("\treturn\n", -4), Self.completion("    if", -3.5),
            ], before: body)
        #expect(indented.map(\.text) == ["    return", "main()", "    if"])
    }

    /// A word the model reaches only by sampling (its greedy completion is another): the filter removes every
    /// sample that completes it, through the sampler's real output, and keeps the rest.
    @Test func aWordReachedOnlyBySamplingIsNeverOffered() throws {
        let prefix = Array("The quick brown fox jumps over the la".utf8)
        let (predictor, state) = try Self.primed(String(decoding: prefix, as: UTF8.self))
        let greedy = Sampler.sample(predictor, from: state, options: SamplingOptions(temperature: 0))
        let options = SamplingOptions(count: 64, temperature: 1.2, maxBytes: 12, stop: .word, seed: 5)
        let samples = Sampler.sample(predictor, from: state, options: options)
        let target = try #require(samples.first { $0.bytes != greedy.first?.bytes && $0.bytes.count > 1 })
        let word = "la" + target.text.prefix { $0.isLetter }
        let filter = SuggestionFilter(blockedWords: BlockedWords(list: word))
        let kept = filter.apply(samples, before: prefix[...])
        #expect(!kept.contains { $0.bytes == target.bytes })
        #expect(kept.allSatisfy { !("la" + $0.text).lowercased().hasPrefix(word.lowercased() + " ") })
        #expect(kept.count >= samples.count - 2, "only that word's samples go")
        #expect(kept.contains { $0.bytes == greedy.first?.bytes })
    }

    /// The completion list leaves out a blocked word and stays full from its spare endings.
    @Test func theWordListDropsABlockedEndingAndStaysFull() throws {
        let before = Array("She said that she was very fo".utf8)
        let (predictor, state) = try Self.primed(String(decoding: before, as: UTF8.self))
        let prefix = Array("fo".utf8)
        let options = WordCompletion.Options(count: 4)
        let plain = WordCompletion.complete(
            predictor, from: state, prefix: prefix, cache: WordFrequencies(), options: options)
        try #require(plain.count == 4)
        let top = "fo" + plain[0].text
        let shown = WordCompletion.suggestions(
            predictor, from: state, prefix: prefix, cache: WordFrequencies(), options: options,
            filter: SuggestionFilter(blockedWords: BlockedWords(list: top)), before: before[...])
        #expect(shown.count == 4)
        #expect(!shown.contains { $0.bytes == plain[0].bytes })
        #expect(Array(shown.prefix(3)).map(\.bytes) == Array(plain[1...3]).map(\.bytes))
    }

    /// Greedy sampling is deterministic, so the cut is checked exactly: the line the model writes, cut at every
    /// length that falls inside a word.
    @Test func samplesCutAtTheLimitDoNotEndInHalfAWord() throws {
        let (predictor, state) = try Self.primed("It was the best of times, it was the ")
        let full = try #require(
            Sampler.sample(predictor, from: state, options: SamplingOptions(temperature: 0, maxBytes: 60, stop: .line))
                .first
        ).bytes
        var cuts = 0
        for limit in 1..<full.count where ByteVocabulary.isWordByte(full[limit - 1]) {
            let head = Array(full[..<limit])
            var after = state
            predictor.advance(&after, through: head)
            let wordEnds = Sampler.wordBreakProbability(predictor.logProbabilities(after)) >= 0.5
            var expected = head
            if !wordEnds {
                while let last = expected.last, ByteVocabulary.isWordByte(last) { expected.removeLast() }
                cuts += 1
            }
            for stop in [StopRule.line, .none] {
                let got = Sampler.sample(
                    predictor, from: state, options: SamplingOptions(temperature: 0, maxBytes: limit, stop: stop))
                let want = stop == .none ? head : expected
                #expect(got.first?.bytes ?? [] == want, "limit \(limit), \(stop)")
                if let c = got.first {
                    var check = state
                    predictor.advance(&check, through: c.bytes)
                    let drift = zip(check.values, c.state.values).map { abs($0 - $1) }.max() ?? 0
                    #expect(drift < 1e-3, "the state follows the kept bytes (priming and stepping round alike)")
                }
            }
        }
        #expect(cuts > 0, "the line has words that a limit cuts")
    }
}
