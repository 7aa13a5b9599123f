import Foundation
import RecurModel
import RecurProtocol
import RecurServerTestSupport
import RecurStore
import Testing

/// Online learning in the server, in-process: what settles and is learned, what never is (text typed while learning
/// is off, secrets, what is over the budget), determinism, states across an update, and the store's online layer.
@Suite(.timeLimit(.minutes(10))) struct OnlineLearningServerTests {
    static let uri = "file:///notes.swift"
    static let lines = [
        "let total = items.reduce(0, +)", "print(\"total: \\(total)\")", "for item in items where item > 2 {",
        "    print(item)", "}", "let average = Double(total) / Double(items.count)",
    ]

    static func learning(_ connection: LocalConnection) async throws -> JSONValue {
        try #require(try await connection.request("recur/status")["result"]?["onlineLearning"])
    }

    static func sync(_ connection: LocalConnection) async throws -> JSONValue {
        let response = try await connection.request("recur/syncOnlineLearning")
        return try #require(response["result"], "\(response)")
    }

    /// Types `lines` into an empty document, one line per change, each followed by its newline.
    static func type(_ connection: LocalConnection, _ lines: [String], uri: String = uri, from version: Int = 2)
        async throws
    {
        for (index, line) in lines.enumerated() {
            try await connection.insert(uri, line + "\n", line: index, character: 0, version: version + index)
        }
    }

    /// A model read from a safetensors file, so that it has a sha256 (the store keys layers by the base model).
    static func hashedModel() throws -> LanguageModel<Float> {
        try LanguageModel<Float>(safetensors: try TinyModels.lstm().encoded())
    }

    @Test func typedLinesAreLearnedOnceTheCursorLeavesThem() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.open(Self.uri, "")
        try await connection.insert(Self.uri, "let a = 1", line: 0, character: 0, version: 2)
        var status = try await Self.learning(connection)
        #expect(status["enabled"] == true)
        #expect(status["bytesPending"] == 9)
        // The newline takes the cursor to the next line: the line settles and goes to the learner.
        try await connection.insert(Self.uri, "\n", line: 0, character: 9, version: 3)
        status = try await Self.learning(connection)
        #expect(status["bytesPending"] == 0)
        // A completion request tells where the cursor is: typing on line 1, then asking for a completion on
        // line 0, settles line 1.
        try await connection.insert(Self.uri, "let b", line: 1, character: 0, version: 4)
        _ = await connection.response(to: try await connection.requestCompletion(Self.uri, line: 0, character: 3))
        status = try await Self.learning(connection)
        #expect(status["bytesPending"] == 0)
        status = try await Self.sync(connection)
        // Every byte but the document's first is predicted from the ones before it, and learned.
        #expect(status["bytesLearned"] == 14)
        #expect(status["updates"] == 1)
        #expect(status["bytesQueued"] == 0)
        #expect(status["weightsSHA256"]?.stringValue?.count == 64)
    }

    /// Off from the start, nothing is learned; turned off, what was typed and not settled is forgotten, and what is
    /// typed while off is never learned.
    @Test func learningTurnedOffLearnsNothing() async throws {
        let off = LocalConnection()
        try await off.initialize(options: ["onlineLearning": false])
        try await off.open(Self.uri, "")
        try await Self.type(off, Self.lines)
        var status = try await Self.sync(off)
        #expect(status["enabled"] == false)
        #expect(status["bytesLearned"] == 0 && status["updates"] == 0 && status["bytesPending"] == 0)

        let toggled = LocalConnection()
        try await toggled.initialize()
        try await toggled.open(Self.uri, "")
        try await toggled.insert(Self.uri, "abc", line: 0, character: 0, version: 2)
        status = try #require(try await toggled.request("recur/setOnlineLearning", ["enabled": false])["result"])
        #expect(status["enabled"] == false && status["bytesPending"] == 0)
        try await toggled.insert(Self.uri, "def\nghi", line: 0, character: 3, version: 3)
        status = try #require(try await toggled.request("recur/setOnlineLearning", ["enabled": true])["result"])
        #expect(status["enabled"] == true && status["bytesPending"] == 0)
        // Only text typed from now on: the next line.
        try await toggled.insert(Self.uri, "\nlet x = 2\n", line: 1, character: 3, version: 4)
        status = try await Self.sync(toggled)
        #expect(status["bytesLearned"] == 11)
        #expect(try await Self.learning(toggled)["enabled"] == true)
    }

    @Test func secretsAreNeverLearned() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.open(Self.uri, "")
        let secrets = [
            "let apiKey = \"AKIAIOSFODNN7EXAMPLE\"", "password = \"hunter2\"",
            "OPENAI_API_KEY=sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB",
        ]
        try await Self.type(connection, secrets)
        let status = try await Self.sync(connection)
        #expect(status["updates"] == 0 && status["bytesLearned"] == 0)
        #expect(status["bytesSkippedSecrets"]?.intValue == secrets.reduce(0) { $0 + $1.utf8.count + 1 })
    }

    /// A paste far over the budget is learned only as far as the budget goes, and the rest is counted as skipped.
    @Test func pastesAreLearnedWithinTheBudget() async throws {
        let connection = LocalConnection()
        try await connection.initialize(options: ["learningBudget": 2000])
        try await connection.open(Self.uri, "")
        let paste = String(repeating: "let value = compute(input) + offset\n", count: 3000)  // 108 KB
        try await connection.insert(Self.uri, paste, line: 0, character: 0, version: 2)
        let started = Date()
        let status = try await Self.sync(connection)
        #expect(status["budgetBytesPerMinute"] == 2000)
        let learned = try #require(status["bytesLearned"]?.intValue)
        let skipped = try #require(status["bytesSkippedBudget"]?.intValue)
        #expect(learned > 1500 && learned <= 2100, "\(learned)")
        #expect(skipped >= paste.utf8.count - 2100, "\(skipped)")
        #expect(Date().timeIntervalSince(started) < 60)
    }

    /// The same edits with the same sync points give the same weights and the same states (so the same seeded
    /// completion), whatever the timing; different edits give other weights.
    @Test func theSameEditsGiveTheSameWeightsAndStates() async throws {
        func run(_ lines: [String]) async throws -> (String, JSONValue) {
            let connection = LocalConnection()
            try await connection.initialize()
            try await connection.open(Self.uri, "")
            try await Self.type(connection, Array(lines[..<3]))
            _ = try await Self.sync(connection)
            try await Self.type(connection, Array(lines[3...]), from: 5)
            let sha = try #require(try await Self.sync(connection)["weightsSHA256"]?.stringValue)
            let completion = try await connection.request(
                "recur/complete",
                [
                    "textDocument": ["uri": .string(Self.uri)],
                    "position": ["line": .int(lines.count), "character": 0],
                    "n": 3, "maxChars": 12, "seed": 7,
                ])
            return (sha, try #require(completion["result"]))
        }
        let first = try await run(Self.lines)
        let second = try await run(Self.lines)
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        let other = try await run(Self.lines.map { $0.uppercased() })
        #expect(other.0 != first.0)
    }

    /// New weights from the learner keep the states computed before them (dynamic evaluation carries them
    /// forward); switching profile drops them.
    @Test func statesAreCarriedAcrossAnUpdate() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.open(Self.uri, "")
        try await Self.type(connection, Self.lines)
        _ = await connection.response(
            to: try await connection.requestCompletion(Self.uri, line: Self.lines.count, character: 0))
        let before = try #require(try await connection.request("recur/status")["result"]?["hiddenStates"]?.intValue)
        #expect(before > 0)
        let status = try await Self.sync(connection)
        #expect(try #require(status["updates"]?.intValue) > 0)
        #expect(try await connection.request("recur/status")["result"]?["hiddenStates"]?.intValue == before)
        _ = try await connection.request("recur/setProfile", ["profile": "other"])
        #expect(try await connection.request("recur/status")["result"]?["hiddenStates"] == 0)
    }

    /// The layer is saved in the store at sync (and shutdown), and the next daemon on the profile resumes it:
    /// the same weights, the same counts.
    @Test func theLayerIsSavedAndResumed() async throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("recur-online-\(UUID()).sqlite").path
        let model = try Self.hashedModel()
        let first = LocalConnection(model: model, storePath: store)
        try await first.initialize()
        try await first.open(Self.uri, "")
        try await Self.type(first, Self.lines)
        let learned = try await Self.sync(first)
        #expect(learned["savedAt"]?.stringValue != nil && learned["unsavedUpdates"] == 0)
        let row = try #require(try ModelStore(path: store).onlineLayer(profile: "default"))
        #expect(row.bytesLearned == learned["bytesLearned"]?.intValue && row.updates == learned["updates"]?.intValue)
        #expect(row.adapterId == nil && row.baseSHA256 == model.sourceSHA256)

        let second = LocalConnection(model: model, storePath: store)
        try await second.initialize()
        let resumed = try await Self.sync(second)
        #expect(resumed["bytesLearned"] == learned["bytesLearned"])
        #expect(resumed["weightsSHA256"] == learned["weightsSHA256"])
        // Shutdown saves what was learned since (answered at once; exit waits for the save).
        try await second.open(Self.uri, "")
        try await Self.type(second, ["let more = 1", "let evenMore = 2"])
        #expect(try await second.request("shutdown")["result"] == .null)
        try await second.notify("exit", [:])
        #expect(second.terminated == 0)
        let saved = try #require(try ModelStore(path: store).onlineLayer(profile: "default"))
        #expect(saved.bytesLearned > row.bytesLearned)
    }

    /// Two daemons learning on one profile save in turn: the last writer wins, and the store stays sound.
    @Test func twoDaemonsOnOneStoreTakeTurns() async throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("recur-online-\(UUID()).sqlite").path
        let model = try Self.hashedModel()
        let a = LocalConnection(model: model, storePath: store)
        let b = LocalConnection(model: model, storePath: store)
        for connection in [a, b] {
            try await connection.initialize()
            try await connection.open(Self.uri, "")
        }
        try await Self.type(a, Self.lines)
        try await Self.type(b, Array(Self.lines.prefix(2)))
        async let fromA = Self.sync(a)
        async let fromB = Self.sync(b)
        _ = try await (fromA, fromB)
        try await b.insert(Self.uri, "let last = 0\n", line: 2, character: 0, version: 9)
        let last = try await Self.sync(b)  // the last writer
        let row = try #require(try ModelStore(path: store).onlineLayer(profile: "default"))
        #expect(row.bytesLearned == last["bytesLearned"]?.intValue)
        #expect(try ModelStore(path: store).integrityCheck() == "ok")
    }
}
