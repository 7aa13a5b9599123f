import RecurAdaptation
import RecurModel
import RecurTraining
import Testing

/// What the daemon never learns (`SecretFilter`), and learning from typed text (`OnlineLearning`).
@Suite struct SecretFilterTests {
    @Test(arguments: [
        "let awsKey = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "    token: ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "OPENAI_API_KEY=sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB",
        "curl -H 'Authorization: Bearer xoxb-2047-1234567890-abcDEFghiJKL'",
        "-----BEGIN RSA PRIVATE KEY-----",
        "key = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
        "id: 3f2b9c1e-8d4a-4b7e-9c2d-1a5f6e7b8c9d",
        "password = \"hunter2\"",
        "DB_PASSWORD=correct-horse",
        "\"client_secret\": \"abc\",",
        "let url = \"https://admin:s3cret@db.example.com/main\"",
        "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7dGbGwXjK5Tq1rUu8Xz9Lq0Pp",
    ])
    func linesWithSecretsAreRecognised(line: String) {
        #expect(SecretFilter.reason(Array(line.utf8)) != nil, "\(line)")
    }

    @Test(arguments: [
        "func handleWorkspaceFolderChange(_ event: WorkspaceFoldersChangeEvent) {",
        "let token = lexer.next()",
        "if password.isEmpty { throw ValidationError.missingPassword }",
        "parse_request_header_value(buffer, offset)",
        "It is a truth universally acknowledged, that a single man in possession of a good fortune,",
        "    case .incremental(let range, _, let text):",
        "https://github.com/apple/swift-argument-parser",
        "XCTAssertEqual(decodedMessage.canonicalDescription, expected)",
        "if token == secret { return }",
    ])
    func ordinaryLinesAreNot(line: String) {
        #expect(SecretFilter.reason(Array(line.utf8)) == nil, "\(line)")
    }

    @Test func learnableRangesLeaveOutWholeSecretLines() {
        let text = Array("let a = 1\nlet key = \"AKIAIOSFODNN7EXAMPLE\"\nlet b = 2\n".utf8)
        let ranges = SecretFilter.learnableRanges(in: text, range: 4..<text.count)
        #expect(ranges == [4..<10, 43..<53])
        // Context never reaches back over the secret line.
        #expect(SecretFilter.contextStart(in: text, before: 47, maxBytes: 64) == 43)
        #expect(SecretFilter.contextStart(in: text, before: 8, maxBytes: 64) == 0)
    }
}

@Suite struct OnlineLearningTests {
    static let config = ModelConfig(cell: .lstm, layers: 1, hidden: 32, embedding: 8)

    /// The log-probability of `text` after `prefix`, from the zero state.
    static func logProbability(_ model: LanguageModel<Float>, _ text: String, after prefix: String) -> Double {
        let predictor = Predictor(engine: InferenceEngine(model: model, precision: .single))
        var state = RecurrentState(config: model.config)
        for byte in prefix.utf8 { predictor.step(&state, bytes: [byte]) }
        var total = 0.0
        for byte in text.utf8 {
            total += Double(predictor.logProbabilities(state)[Int(byte)])
            predictor.step(&state, bytes: [byte])
        }
        return total
    }

    static func learner(_ model: LanguageModel<Float>, skipsSecrets: Bool = true) -> OnlineLearning {
        let settings = OnlineLearning.Settings(
            dynamic: .init(learningRate: 0.01, span: 100, rule: .rms, decay: 0.001), contextBytes: 64)
        return OnlineLearning(start: model, anchor: model, settings: settings, skipsSecrets: skipsSecrets)
    }

    static let key = "AKIAQ7ZX3PLM9RT2WB4K"

    /// A typed key is never learned: its probability after the learner read it many times is no higher than the
    /// frozen model's. Without the filter (the control) the same reading raises it far.
    @Test func aTypedKeyIsNeverLearned() {
        let model = LanguageModel<Float>(config: Self.config, seed: 4)
        let typed = Array(String(repeating: "let total = count + 1\nAWS_ACCESS_KEY_ID=\(Self.key)\n", count: 30).utf8)
        var filtered = Self.learner(model)
        var unfiltered = Self.learner(model, skipsSecrets: false)
        var start = 0
        while start < typed.count {
            let end = min(typed.count, start + 48)
            filtered.add(LearningText(excerptOf: typed, range: start..<end))
            unfiltered.add(LearningText(excerptOf: typed, range: start..<end))
            start = end
        }
        filtered.flush()
        unfiltered.flush()
        let prefix = "AWS_ACCESS_KEY_ID="
        let frozen = Self.logProbability(model, Self.key, after: prefix)
        let leaked = Self.logProbability(unfiltered.model, Self.key, after: prefix)
        let kept = Self.logProbability(filtered.model, Self.key, after: prefix)
        #expect(leaked > frozen + 5, "the control must learn the key: \(leaked) vs \(frozen)")
        #expect(kept <= frozen, "\(kept) vs \(frozen)")
        #expect(filtered.counters.bytesSkippedSecrets == 30 * (prefix.count + Self.key.count + 1))
        #expect(filtered.counters.updates > 0)
    }

    @Test func onlySecretsMeansNoUpdateAtAll() {
        let model = LanguageModel<Float>(config: Self.config, seed: 4)
        let typed = Array("password = \"hunter2\"\nOPENAI_API_KEY=sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB\n".utf8)
        var learner = Self.learner(model)
        let added = learner.add(LearningText(excerptOf: typed, range: 0..<typed.count))
        let flushed = learner.flush()
        #expect(!added && !flushed)
        #expect(learner.model.parameters == model.parameters)
        #expect(learner.counters.bytesLearned == 0 && learner.counters.bytesSkippedSecrets == typed.count)
    }

    /// The same texts in the same order give the same weights, however they are cut into spans.
    @Test func learningIsDeterministic() {
        let model = LanguageModel<Float>(config: Self.config, seed: 4)
        let typed = Array(String(repeating: "for item in items { print(item) }\n", count: 20).utf8)
        func learn() -> OnlineLearning {
            var learner = Self.learner(model)
            for start in stride(from: 0, to: typed.count, by: 35) {
                learner.add(LearningText(excerptOf: typed, range: start..<min(typed.count, start + 35)))
            }
            learner.flush()
            return learner
        }
        let first = learn(), second = learn()
        #expect(first.model.parameters == second.model.parameters)
        #expect(first.counters == second.counters)
        #expect(first.counters.bytesLearned == typed.count - 1)
        #expect(first.counters.updates >= (typed.count - 1) / 100)
    }

    /// Learning lowers the loss on more of the same text, and decay keeps the weights near the anchor.
    @Test func learningHelpsOnTheSameKindOfText() {
        let model = LanguageModel<Float>(config: Self.config, seed: 4)
        let typed = Array(String(repeating: "let value = compute(input)\n", count: 40).utf8)
        var learner = Self.learner(model)
        learner.add(LearningText(excerptOf: typed, range: 0..<typed.count))
        learner.flush()
        let before = Self.logProbability(model, "let value = compute(input)\n", after: "\n")
        let after = Self.logProbability(learner.model, "let value = compute(input)\n", after: "\n")
        #expect(after > before + 1, "\(after) vs \(before)")
    }
}
