import Foundation
import RecurModel
import Testing

@testable import RecurEvaluation

/// Proposes endings from a fixed table of words, as a completer with perfect recall of that table would.
struct TableCompleter: WordCompleter {
    var words: [[UInt8]]
    var current: [UInt8] = []

    mutating func type(_ byte: UInt8) {
        if ByteVocabulary.isWordByte(byte) { current.append(byte) } else { current = [] }
    }

    mutating func completions(top: Int) -> [[UInt8]] {
        words.filter { $0.count > current.count && $0.starts(with: current) }.prefix(top).map {
            Array($0[current.count...])
        }
    }
}

@Suite struct KeystrokeSavingsTests {
    @Test func bufferWordsOnATinyText() {
        // "ab ab": the first word is typed in full (2), the space (1), the second accepted at once with Tab (1).
        var completer = BufferWordCompleter()
        let r = KeystrokeSavings.simulate(text: Array("ab ab".utf8), completer: &completer, top: 1)
        #expect(r.keystrokesWithout == 5)
        #expect(r.keystrokesWith == 4)
        #expect(r.acceptedCompletions == 1)
        #expect(abs(r.savings - 0.2) < 1e-12)
        #expect(r.completionRequests == 3)  // "" and "a" for the first word, "" for the second
    }

    @Test func minimumPrefixAndMultibyteCharacters() {
        var completer = BufferWordCompleter()
        let r = KeystrokeSavings.simulate(text: Array("ab ab".utf8), completer: &completer, top: 1, minimumPrefix: 1)
        #expect(r.keystrokesWith == 5)  // "a", then Tab: no saving on a two-letter word
        #expect(r.savings == 0)
        // Characters, not bytes: "café" is 4 keystrokes.
        var cafe = BufferWordCompleter()
        let c = KeystrokeSavings.simulate(text: Array("café café".utf8), completer: &cafe, top: 3)
        #expect(c.keystrokesWithout == 9)
        #expect(c.keystrokesWith == 6)
        #expect(abs(c.savings - 1.0 / 3) < 1e-12)
    }

    @Test func handComputedSavingsWithAScriptedCompleter() {
        // Knows "hello" only: "hello world hello" → hello: Tab at prefix 0 (1); space (1); world typed (5);
        // space (1); hello: Tab (1). Without: 17. With: 9.
        var completer = TableCompleter(words: [Array("hello".utf8)])
        let r = KeystrokeSavings.simulate(text: Array("hello world hello".utf8), completer: &completer, top: 3)
        #expect(r.keystrokesWithout == 17)
        #expect(r.keystrokesWith == 9)
        #expect(r.acceptedCompletions == 2)
        // Only the top 1 is shown, and the table's first match is wrong: "help" before "hello".
        var ambiguous = TableCompleter(words: [Array("help".utf8), Array("hello".utf8)])
        let top1 = KeystrokeSavings.simulate(text: Array("hello".utf8), completer: &ambiguous, top: 1)
        #expect(top1.keystrokesWith == 5)  // "hel" + "l" typed, then "o" is the only match: Tab → 4 + 1 = 5
        #expect(top1.acceptedCompletions == 1)
    }

    @Test func bufferCompletionPrefersFrequentWords() {
        var completer = BufferWordCompleter()
        for byte in Array("tea ten ten tent ".utf8) { completer.type(byte) }
        completer.type(UInt8(ascii: "t"))
        #expect(completer.completions(top: 2) == [Array("en".utf8), Array("ea".utf8)])
    }

    @Test func ngramProbabilitiesAreNormalisedAndLearnTheText() {
        let text = Array(String(repeating: "the cat sat. ", count: 50).utf8)
        let model = CharNGram(order: 4, texts: [text])
        for history in ["", "t", "th", "the ", "xyz"] {
            let sum = model.distribution(after: Array(history.utf8)).reduce(0, +)
            #expect(abs(sum - 1) < 1e-9, "context '\(history)'")
        }
        #expect(model.probability(of: UInt8(ascii: "e"), after: Array("th".utf8)) > 0.9)
        // A text from the same source costs far less than a uniform model's ln 256 per byte.
        let nll = model.negativeLogLikelihood(of: Array("the cat sat. the cat sat.".utf8)) / 25
        #expect(nll < 0.5)
        var completer = NGramWordCompleter(model: model)
        for byte in Array("the c".utf8) { completer.type(byte) }
        #expect(completer.completions(top: 1) == [Array("at".utf8)])
    }

    @Test func modelCompleterOffersWordEndingsAndTheWordsAlreadyTyped() {
        let config = ModelConfig(cell: .gru, layers: 1, hidden: 8, embedding: 4)
        let predictor = Predictor(engine: InferenceEngine(model: LanguageModel(config: config, seed: 1)))
        // An untrained model knows no words, but the words already typed are offered (the cache), so typing a
        // text that repeats its words saves keystrokes; with the model alone (weight 1) it saves next to none.
        let text = Array(String(repeating: "alpha beta gamma ", count: 6).utf8)
        var withCache = ModelWordCompleter(predictor: predictor, options: WordCompletion.Options(modelWeight: 0.5))
        let cached = KeystrokeSavings.simulate(text: text, completer: &withCache, top: 3, minimumPrefix: 0)
        var modelOnly = ModelWordCompleter(predictor: predictor, options: WordCompletion.Options(modelWeight: 1))
        let alone = KeystrokeSavings.simulate(text: text, completer: &modelOnly, top: 3, minimumPrefix: 0)
        #expect(cached.savings > 0.5)
        #expect(alone.savings < 0.1)
        let fresh = ModelWordCompleter(predictor: predictor, options: WordCompletion.Options())
        for byte in Array("ab".utf8) { fresh.type(byte) }
        let endings = fresh.completions(top: 3)
        #expect(endings.count == 3)
        #expect(endings.allSatisfy { !$0.isEmpty && $0.allSatisfy(ByteVocabulary.isWordByte) })
    }
}

/// Shows ghost text from a fixed script: after `trigger` is typed, `ghost`; otherwise nothing.
struct ScriptedInlineCompleter: InlineCompleter {
    var trigger: [UInt8]
    var ghost: [UInt8]
    var typed: [UInt8] = []

    mutating func type(_ byte: UInt8) { typed.append(byte) }
    mutating func suggestion() -> [UInt8] { typed.suffix(trigger.count).elementsEqual(trigger) ? ghost : [] }
}

@Suite struct InlineSavingsTests {
    @Test func rightGhostTextIsTakenWithOneKeyAndWrongGhostTextCostsNothing() {
        // After "x = ", ghost text "foo(1)": right in the first line, wrong in the second.
        var completer = ScriptedInlineCompleter(trigger: Array("x = ".utf8), ghost: Array("foo(1)".utf8))
        let text = Array("x = foo(1)\nx = bar\n".utf8)
        let r = InlineSavings.simulate(text: text, completer: &completer)
        #expect(r.keystrokesWithout == text.count)
        // 4 typed, Tab for "foo(1)", 5 more for "\nx = ", then "bar\n" typed: 4 + 1 + 5 + 4.
        #expect(r.keystrokesWith == 14)
        #expect(r.shown == 2 && r.accepted == 1 && r.acceptedCharacters == 6)
        #expect(r.precision == 0.5)
        #expect(abs(r.savings - (1 - 14.0 / 19)) < 1e-12)
        #expect(String(decoding: completer.typed, as: UTF8.self) == "x = foo(1)\nx = bar\n", "the whole text typed")
    }

    @Test func charactersNotBytesAndGhostTextPastTheEndIsNotTaken() {
        // "é" is one keystroke; ghost text longer than what is left of the text is not taken.
        var completer = ScriptedInlineCompleter(trigger: Array("é".utf8), ghost: Array("té!".utf8))
        let r = InlineSavings.simulate(text: Array("étét".utf8), completer: &completer)
        #expect(r.keystrokesWithout == 4 && r.keystrokesWith == 4 && r.accepted == 0 && r.shown == 2)
        var taken = ScriptedInlineCompleter(trigger: Array("é".utf8), ghost: Array("té".utf8))
        let s = InlineSavings.simulate(text: Array("étéx".utf8), completer: &taken)
        // "é", Tab for "té" (2 characters), then "x".
        #expect(s.keystrokesWith == 3 && s.accepted == 1 && s.acceptedCharacters == 2)
    }
}
