import Foundation
import RecurKernels
import RecurModel
import RecurProtocol
import RecurServerTestSupport
import Testing

@Suite(.timeLimit(.minutes(20))) struct ServerInProcessTests {
    /// A 10 MB line that is one run of word bytes (a minified bundle, a base64 blob): a completion at its end
    /// reads no more than a word back, primes at most two windows, and is answered as a completion at the cursor;
    /// another document is answered too.
    @Test func aTenMegabyteWordIsNoWordAndStallsNoOne() async throws {
        let window = ContextWindow(interval: 256)
        let connection = LocalConnection(window: window)
        try await connection.initialize()
        let length = 10_000_000
        try await connection.open("file:///blob.js", String(repeating: "a", count: length))
        try await connection.open("file:///notes.txt", "The cat sat on the ")
        let blob = try await connection.requestCompletion("file:///blob.js", line: 0, character: length)
        try await connection.insert("file:///notes.txt", "m", line: 0, character: 19, version: 2)
        let notes = try await connection.requestCompletion("file:///notes.txt", line: 0, character: 20)

        let notesItems = try #require(await connection.response(to: notes)["result"]?["items"]?.arrayValue)
        #expect(!notesItems.isEmpty)
        for item in notesItems {
            #expect(item["textEdit"]?["range"]?["start"] == ["line": 0, "character": 19], "the word 'm' is replaced")
        }
        let blobItems = try #require(await connection.response(to: blob)["result"]?["items"]?.arrayValue)
        #expect(!blobItems.isEmpty)
        let cursor: JSONValue = ["line": 0, "character": .int(length)]
        for item in blobItems {
            #expect(item["textEdit"]?["range"] == ["start": cursor, "end": cursor], "no word: inserted at the cursor")
            #expect((item["label"]?.stringValue?.utf8.count ?? .max) <= 24)
        }
        let status = try #require(await connection.request("recur/status")["result"])
        let steps = try #require(status["stateSteps"]?.intValue)
        #expect(steps <= 2 * window.maximumContext + 2 * 20, "priming is bounded by the window, not the line")
    }

    /// States are exact whatever the interleaving: completions run on worker threads while edits keep arriving,
    /// and what they merge back must equal a fresh computation. Afterwards, a greedy `recur/complete` at a
    /// document position equals the same request on a scratch text of the same bytes (computed from nothing).
    /// In every precision: float32 (BLAS), float16 (on a model stored that way) and int8, the last on two threads
    /// (a step's layers overlapped between them).
    @Test(arguments: [InferencePrecision.single, .half, .int8])
    func statesStayExactUnderInterleavedEditsAndCompletions(precision: InferencePrecision) async throws {
        let model = precision == .half ? TinyModels.halfExact() : TinyModels.lstm()
        let threads = ThreadPool.threads
        ThreadPool.threads = precision == .int8 ? 2 : threads
        defer { ThreadPool.threads = threads }
        // Without online learning: its updates carry states forward on purpose, so kept states would no longer
        // equal a fresh computation with the new weights (OnlineLearningServerTests covers that rule).
        let connection = LocalConnection(
            model: model, window: ContextWindow(interval: 16), onlineLearning: false, precision: precision)
        try await connection.initialize()
        let uri = "file:///typed.txt"
        var text = "fn main() {\n"
        try await connection.open(uri, text)
        var rng = SystemRandomNumberGenerator()
        var pending: [JSONValue] = []
        let pieces = ["a", "é", " ", "let ", "x", "\n", "(", "🦊"]
        for version in 2...300 {
            // Mostly typing at the end, sometimes an edit in the middle (which invalidates running work).
            let piece = pieces.randomElement(using: &rng)!
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let line = Int.random(in: 0..<lines.count, using: &rng)
            let atEnd = Bool.random(using: &rng) || version % 3 != 0
            let targetLine = atEnd ? lines.count - 1 : line
            let lineText = lines[targetLine]
            let characters = atEnd ? lineText.count : Int.random(in: 0...lineText.count, using: &rng)
            let snapped = String(lineText.prefix(characters))
            let prefixLines = lines[..<targetLine].map { $0 + "\n" }.joined()
            let offset = prefixLines.count + snapped.count
            text.insert(contentsOf: piece, at: text.index(text.startIndex, offsetBy: offset))
            try await connection.insert(
                uri, piece, line: targetLine, character: snapped.utf16.count, version: version)
            let endLines = text.split(separator: "\n", omittingEmptySubsequences: false)
            pending.append(
                try await connection.requestCompletion(
                    uri, line: endLines.count - 1, character: endLines.last!.utf16.count))
        }
        for id in pending { #expect(await connection.response(to: id)["result"] != nil) }

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (line, content) in lines.enumerated() {
            let prefix = lines[..<line].map { $0 + "\n" }.joined() + content
            let params: JSONValue = ["temperature": 0, "n": 1, "maxChars": 8, "seed": 1, "stop": "none"]
            var atDocument = params
            if case .object(var fields) = atDocument {
                fields["textDocument"] = ["uri": .string(uri)]
                fields["position"] = ["line": .int(line), "character": .int(content.utf16.count)]
                atDocument = .object(fields)
            }
            var scratch = params
            if case .object(var fields) = scratch {
                fields["text"] = .string(prefix)
                scratch = .object(fields)
            }
            let fromDocument = try await connection.request("recur/complete", atDocument)["result"]
            let fromScratch = try await connection.request("recur/complete", scratch)["result"]
            #expect(fromDocument != nil && fromDocument == fromScratch, "line \(line)")
        }
    }

    /// Each bad field of `initializationOptions` is named in `window/showMessage`; the good ones still apply.
    /// The checkpoint budget holds across documents. Documents the user left first keep only the states near
    /// where they were last completed, so typing there again costs a step or two; only past that do the least
    /// recently used lose all their states and recompute from the window's start.
    @Test func theCheckpointBudgetTrimsLeftDocumentsBeforeDroppingThem() async throws {
        let connection = LocalConnection(checkpointBudget: 24)
        try await connection.initialize(options: ["n": 2, "maxChars": 4])
        let text = String(repeating: "one two three four five six seven eight nine ten ", count: 8)
        func stateSteps() async throws -> Int {
            try #require(await connection.request("recur/status")["result"]?["stateSteps"]?.intValue)
        }
        func typeAndComplete(_ uri: String, _ character: Int, version: Int) async throws -> Int {
            let before = try await stateSteps()
            try await connection.insert(uri, "o", line: 0, character: character, version: version)
            _ = await connection.response(
                to: try await connection.requestCompletion(uri, line: 0, character: character + 1))
            return try await stateSteps() - before
        }
        for i in 1...6 {
            try await connection.open("file:///doc\(i).txt", text)
            let id = try await connection.requestCompletion("file:///doc\(i).txt", line: 0, character: text.count)
            _ = await connection.response(to: id)
        }
        _ = try await typeAndComplete("file:///doc6.txt", text.count, version: 2)
        let status = try #require(await connection.request("recur/status")["result"])
        let states = try #require(status["hiddenStates"]?.intValue)
        // The document at work keeps ~12 states here (every 64 bytes of two chains, and at the requests); two left
        // documents keep 4 each; the first three lost theirs. The work merges states back after the budget is
        // enforced, so a few more may be there until the next request.
        #expect(states > 12 && states <= 24 + 4, "\(states) hidden states kept")

        // doc5 was left last: trimmed, not dropped. Typing at its end again costs one step per chain.
        #expect(try await typeAndComplete("file:///doc5.txt", text.count, version: 2) <= 2)
        // doc1 was left first: its states went, and the state at its end is computed again from the window start.
        #expect(try await typeAndComplete("file:///doc1.txt", text.count, version: 2) > 256)
    }

    /// Ghost text stops where the model stops being sure: each item is one the model gives at least
    /// `inlineMinProbability`, and ends at a word edge; at 0 it runs to the end of the line as before.
    @Test func ghostTextEndsWhereTheModelIsNoLongerSure() async throws {
        let model = TinyModels.confident()
        let predictor = Predictor(engine: InferenceEngine(model: model))
        let text = "Once upon a ti"
        func ghostTexts(_ options: JSONValue?) async throws -> [String] {
            let connection = LocalConnection(model: model, onlineLearning: false)
            try await connection.initialize(options: options)
            try await connection.open("file:///story.txt", text)
            var texts: [String] = []
            for _ in 0..<8 {  // each request draws anew
                let answer = try await connection.request(
                    "textDocument/inlineCompletion",
                    [
                        "textDocument": ["uri": "file:///story.txt"],
                        "position": ["line": 0, "character": .int(text.count)], "context": ["triggerKind": 1],
                    ])
                let items = try #require(answer["result"]?["items"]?.arrayValue)
                #expect(items.count <= 3)
                texts += items.compactMap { $0["insertText"]?.stringValue }
            }
            return texts
        }
        func probability(_ ghost: String) -> Double {
            var state = RecurrentState(config: model.config)
            predictor.advance(&state, through: Array(text.utf8))
            var logprob = 0.0
            for byte in ghost.utf8 {
                logprob += Double(predictor.logProbabilities(state)[Int(byte)])
                predictor.step(&state, bytes: [byte])
            }
            return exp(logprob)
        }
        let cut = try await ghostTexts(nil)
        #expect(!cut.isEmpty)
        for ghost in cut {
            #expect(probability(ghost) >= InlineCompletion.defaultMinimumProbability - 1e-6, "\(ghost)")
            #expect(ghost.last.map { !$0.isWhitespace } == true)
        }
        let whole = try await ghostTexts(["inlineMinProbability": 0])
        #expect(whole.map(\.utf8.count).max()! > cut.map(\.utf8.count).max()!, "whole lines run longer")
        #expect(whole.contains { probability($0) < InlineCompletion.defaultMinimumProbability })

        let rejected = LocalConnection(model: model)
        _ = try await rejected.initialize(options: ["inlineMinProbability": 1])
        let shown = await rejected.next { $0["method"] == "window/showMessage" }
        #expect(
            shown["params"]?["message"]?.stringValue
                == "initializationOptions.inlineMinProbability: must be at least 0 and below 1; ignored")
    }

    @Test func badInitializationOptionsAreNamed() async throws {
        let connection = LocalConnection()
        let initialized = try await connection.initialize(options: [
            "n": 0, "temperature": "hot", "maxChars": 5, "checkpointBudget": 2, "nonsense": true,
        ])
        #expect(initialized["result"]?["capabilities"] != nil)
        var messages: [String] = []
        for _ in 0..<4 {
            let shown = await connection.next { $0["method"] == "window/showMessage" }
            messages.append(shown["params"]?["message"]?.stringValue ?? "")
        }
        #expect(messages.contains { $0.hasPrefix("initializationOptions.n: must be between 1 and 1000") })
        #expect(messages.contains { $0.hasPrefix("initializationOptions.temperature: must be a number") })
        #expect(messages.contains { $0.hasPrefix("initializationOptions.checkpointBudget: must be at least 8") })
        #expect(messages.contains { $0.hasPrefix("initializationOptions.nonsense: unknown option") })
        // maxChars 5 applied: no sample is longer.
        let answer = try await connection.request(
            "recur/complete", ["text": "The quick brown ", "stop": "none", "temperature": 1])
        let completions = try #require(answer["result"]?["completions"]?.arrayValue)
        #expect(completions.count == 6, "n kept its default")
        #expect(completions.allSatisfy { ($0["text"]?.stringValue?.unicodeScalars.count ?? 99) <= 5 })
    }

    /// `recur/complete` checks its settings by the command line's rules and names the field.
    @Test(arguments: [
        ("n", JSONValue.int(0), "n: must be between 1 and 1000"),
        ("n", .int(1001), "n: must be between 1 and 1000"),
        ("maxChars", .int(100_001), "maxChars: must be between 1 and 100000"),
        ("topP", .double(0), "topP: must be in (0, 1]"),
        ("temperature", .double(-1), "temperature: must be 0 (greedy) or more"),
        ("stop", .string("sentence"), "stop: must be word, line or none"),
    ])
    func recurCompleteRejectsWhatTheCommandLineRejects(field: String, value: JSONValue, message: String) async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        var params: [String: JSONValue] = ["text": "abc"]
        params[field] = value
        let answer = try await connection.request("recur/complete", .object(params))
        #expect(answer["error"]?["code"] == -32602)
        #expect(answer["error"]?["message"]?.stringValue?.contains(message) == true, "\(answer)")
    }
}
