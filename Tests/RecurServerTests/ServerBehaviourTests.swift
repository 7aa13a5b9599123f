import Foundation
import RecurModel
import RecurProtocol
import RecurServerTestSupport
import Testing

/// What the server does with requests and notifications that go wrong or race each other, in-process: each case
/// gets a clear answer (a response, or `window/logMessage` for a notification), and the server keeps serving.
/// (What needs the process itself, the framing and the bytes on stdin and stdout, is in RecurCLITests.)
@Suite(.timeLimit(.minutes(10))) struct ServerBehaviourTests {
    static func completeParams(_ uri: String, line: JSONValue, character: JSONValue) -> JSONValue {
        [
            "textDocument": ["uri": .string(uri)], "position": ["line": line, "character": character], "n": 2,
            "maxChars": 8, "seed": 1,
        ]
    }

    static func logMessage(_ connection: LocalConnection, containing text: String) async -> JSONValue {
        await connection.next {
            $0["method"] == "window/logMessage" && ($0["params"]?["message"]?.stringValue ?? "").contains(text)
        }
    }

    static func stateSteps(_ connection: LocalConnection) async throws -> Int {
        try #require(try await connection.request("recur/status")["result"]?["stateSteps"]?.intValue)
    }

    /// Every request is answered, with a result or -32800, and cancellation overtakes queued work.
    @Test func cancelledRequestsAnswerRequestCancelled() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.open("file:///c.txt", "The cat")
        var ids: [JSONValue] = []
        for _ in 1...40 {
            let id = try await connection.requestCompletion("file:///c.txt", line: 0, character: 7)
            try await connection.notify("$/cancelRequest", ["id": id])
            ids.append(id)
        }
        var cancelled = 0
        for id in ids {
            let response = await connection.response(to: id)
            if response["error"]?["code"] == -32800 {
                cancelled += 1
            } else {
                #expect(response["result"] != nil, "\(response)")
            }
        }
        #expect(cancelled > 0)
        #expect(try await connection.request("recur/status")["result"]?["openDocuments"] == 1)
    }

    /// Accepting a completion (applying its text edit) reuses the state computed while sampling: the next request
    /// at the end of the accepted text runs no RNN step for the document. (Half-precision kernels: a sampled row
    /// is then bit-identical to a single-row run.)
    @Test func anAcceptedCompletionReusesItsState() async throws {
        let connection = LocalConnection(model: TinyModels.halfExact())
        try await connection.initialize()
        let text = "The cat sat on the mat. The cat"
        try await connection.open("file:///a.txt", text)
        let end: JSONValue = ["line": 0, "character": .int(text.count)]
        let offered = try #require(
            try await connection.request(
                "recur/complete",
                [
                    "textDocument": ["uri": "file:///a.txt"], "position": end, "stop": "none", "maxChars": 3, "n": 10,
                    "seed": 1,
                ])["result"]?["completions"]?.arrayValue)
        // The tiny model's random weights sample any byte; a continuation that is not UTF-8 reaches the client
        // repaired, and inserting that is not accepting it. Take one that arrived as it was sampled.
        let first = try #require(
            offered.compactMap { $0["text"]?.stringValue }.first { !$0.contains("\u{FFFD}") && !$0.isEmpty })
        let stepsBefore = try await Self.stateSteps(connection)
        // The user accepts it: the editor inserts it at the cursor.
        try await connection.insert("file:///a.txt", first, line: 0, character: text.count, version: 2)
        let newEnd: JSONValue = ["line": 0, "character": .int((text + first).utf16.count)]
        let answer = try await connection.request(
            "recur/complete", ["textDocument": ["uri": "file:///a.txt"], "position": newEnd, "n": 1])
        #expect(answer["result"] != nil, "\(answer)")
        let stepsAfter = try await Self.stateSteps(connection)
        #expect(stepsAfter == stepsBefore, "accepting \(first.debugDescription) recomputed \(stepsAfter - stepsBefore)")
    }

    /// Positions past the end are clamped; negative, fractional or non-numeric ones are -32602 naming the position.
    /// A negative position in an edit rejects the whole edit, and the document is served unchanged.
    @Test func positionsPastTheEndNegativeOrAbsurd() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.open("file:///p.txt", "one\ntwo 🦊\nthree")
        for (line, character) in [(2, 1000), (1000, 0), (1, 5), (Int.max, Int.max)] {
            let response = try await connection.request(
                "recur/complete", Self.completeParams("file:///p.txt", line: .int(line), character: .int(character)))
            #expect(response["result"]?["completions"] != nil, "(\(line), \(character)) is clamped: \(response)")
        }
        for (line, character) in [(JSONValue.int(-1), JSONValue.int(0)), (0, -5), (1e30, 0), ("x", 0)] {
            let response = try await connection.request(
                "recur/complete", Self.completeParams("file:///p.txt", line: line, character: character))
            #expect(response["error"]?["code"] == -32602, "\(response)")
            #expect(response["error"]?["message"]?.stringValue?.contains("position") == true, "\(response)")
        }
        try await connection.notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": "file:///p.txt", "version": 2],
                "contentChanges": [
                    [
                        "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]],
                        "text": "X",
                    ],
                    [
                        "range": ["start": ["line": 0, "character": -1], "end": ["line": 0, "character": 0]],
                        "text": "Y",
                    ],
                ],
            ])
        let rejected = await connection.next { $0["method"] == "window/logMessage" }
        let text = rejected["params"]?["message"]?.stringValue ?? ""
        #expect(text.contains("didChange ignored") && text.contains("character: expected a non-negative"), "\(text)")
        #expect(rejected["params"]?["type"] == 1)
        // Unchanged: "three" still ends line 2 at character 5, and "X" was not inserted.
        let after = try await connection.request(
            "recur/complete", Self.completeParams("file:///p.txt", line: 2, character: 5))
        #expect(after["result"]?["completions"] != nil)
        // Line 0 is still "one": character 4 is clamped to its end, 3 (it would be 4 in "Xone").
        let line0 = try await connection.request(
            "textDocument/completion",
            ["textDocument": ["uri": "file:///p.txt"], "position": ["line": 0, "character": 4]])
        let items = try #require(line0["result"]?["items"]?.arrayValue)
        #expect(!items.isEmpty)
        for item in items {
            #expect(item["textEdit"]?["range"]?["end"] == ["line": 0, "character": 3], "\(item)")
        }
    }

    @Test func documentLifecycleMistakes() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": "file:///never.txt", "version": 2], "contentChanges": [["text": "x"]]])
        _ = await Self.logMessage(connection, containing: "which is not open")
        try await connection.open("file:///d.txt", "first text")
        try await connection.open("file:///d.txt", "second text, longer", version: 5)
        _ = await Self.logMessage(connection, containing: "already open")
        #expect(try await connection.request("recur/status")["result"]?["openDocuments"] == 1)
        // The second didOpen's text is the document now: character 19 is its end.
        let replaced = try await connection.request(
            "recur/complete", Self.completeParams("file:///d.txt", line: 0, character: 19))
        #expect(replaced["result"]?["completions"] != nil)
        try await connection.notify("textDocument/didClose", ["textDocument": ["uri": "file:///d.txt"]])
        let closed = try await connection.request(
            "recur/complete", Self.completeParams("file:///d.txt", line: 0, character: 1))
        #expect(closed["error"]?["code"] == -32602)
        #expect(closed["error"]?["message"]?.stringValue?.contains("is not open") == true, "\(closed)")
        try await connection.notify("textDocument/didClose", ["textDocument": ["uri": "file:///d.txt"]])
        _ = await Self.logMessage(connection, containing: "didClose")
        try await connection.notify("textDocument/didOpen", ["textDocument": 42])
        _ = await Self.logMessage(connection, containing: "textDocument/didOpen ignored")
        #expect(try await connection.request("recur/status")["result"]?["openDocuments"] == 0)
    }

    /// Editors often cancel a request that was already answered. Such a cancellation (and one for an id never
    /// sent) is dropped, so it can neither grow the server's memory nor cancel a later request that reuses the id.
    @Test func lateAndUnknownCancellationsAreDropped() async throws {
        let connection = LocalConnection()
        try await connection.initialize()
        try await connection.open("file:///d.txt", "The quick brown fox jumps over the la")
        let params = Self.completeParams("file:///d.txt", line: 0, character: 37)
        for round in 1...3 {
            let first = await connection.response(
                to: try await connection.sendRequest("recur/complete", params, id: 7))
            #expect(first["result"]?["completions"] != nil, "round \(round): \(first)")
            for id: JSONValue in [7, 8, "never-sent"] { try await connection.notify("$/cancelRequest", ["id": id]) }
        }
        let again = await connection.response(to: try await connection.sendRequest("recur/complete", params, id: 7))
        #expect(again["result"]?["completions"] != nil, "a reused id is not cancelled by an old cancellation: \(again)")
        let unseen = await connection.response(to: try await connection.sendRequest("recur/complete", params, id: 8))
        #expect(unseen["result"]?["completions"] != nil, "cancelling before sending does not cancel: \(unseen)")
    }
}
