import Foundation
import RecurProtocol
import Testing

/// `recur/adapt` in the daemon: background training with progress, cancellation, the trust rule, and the swap.
@Suite(.serialized) struct DaemonAdaptationTests {
    typealias Workspace = PersonalModelTests.Workspace

    static func start(_ w: Workspace, progress: Bool = true) throws -> ServerClient {
        let client = try ServerClient(arguments: ["serve", "--model", w.model, "--store", w.store])
        try client.send([
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": [
                "capabilities": ["window": ["workDoneProgress": .bool(progress)]],
                "workspaceFolders": [["uri": .string(w.root.absoluteString), "name": "w"]],
            ],
        ])
        _ = try #require(client.response(to: 0))
        try client.send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": [
                "textDocument": [
                    "uri": .string(w.notes.appendingPathComponent("open.txt").absoluteString), "languageId": "text",
                    "version": 1, "text": "the cat sat on the m",
                ]
            ],
        ])
        return client
    }

    static func complete(_ client: ServerClient, id: Int, uri: String) throws -> JSONValue? {
        try client.send([
            "jsonrpc": "2.0", "id": .int(id), "method": "textDocument/completion",
            "params": ["textDocument": ["uri": .string(uri)], "position": ["line": 0, "character": 20]],
        ])
        return client.response(to: .int(id))
    }

    @Test func adaptsInTheBackgroundReportsProgressAndSwapsTheWeights() throws {
        let w = try Workspace()
        let client = try Self.start(w)
        defer { client.process.terminate() }
        let uri = w.notes.appendingPathComponent("open.txt").absoluteString

        // Outside the workspace folders: refused, nothing read.
        try client.send([
            "jsonrpc": "2.0", "id": 2, "method": "recur/adapt", "params": ["paths": ["/etc"], "steps": 5],
        ])
        let refused = try #require(client.response(to: 2))
        #expect(refused["error"]?["code"]?.intValue == -32803)
        #expect(refused["error"]?["message"]?.stringValue?.contains("outside the workspace folders") == true)

        try client.send([
            "jsonrpc": "2.0", "id": 3, "method": "recur/adapt",
            "params": ["paths": [.string(w.notes.path)], "steps": 40, "lr": 0.02],
        ])
        let started = try #require(client.response(to: 3))
        let jobID = try #require(started["result"]?["jobId"]?.stringValue)
        #expect(started["result"]?["profile"]?.stringValue == w.root.path)  // the workspace folder's profile
        let token = try #require(started["result"]?["token"])

        // The client declared window.workDoneProgress: the server asks to create the token, then reports.
        let create = try #require(client.next { $0["method"]?.stringValue == "window/workDoneProgress/create" })
        #expect(create["params"]?["token"] == token)
        try client.send(["jsonrpc": "2.0", "id": try #require(create["id"]), "result": .null])

        // Completions keep being served while it trains.
        for i in 0..<5 {
            let answer = try #require(try Self.complete(client, id: 10 + i, uri: uri))
            #expect(answer["result"]?["items"] != nil)
        }
        let finished = try #require(
            client.next(timeout: 300) { $0["method"]?.stringValue == "recur/adaptFinished" }, "\(client.stderr)")
        #expect(finished["params"]?["jobId"]?.stringValue == jobID)
        #expect(finished["params"]?["outcome"]?.stringValue == "improved", "\(finished)")
        let adapterID = try #require(finished["params"]?["adapterId"]?.intValue)

        let begin = try #require(
            client.next {
                $0["method"]?.stringValue == "$/progress" && $0["params"]?["value"]?["kind"]?.stringValue == "begin"
            })
        #expect(begin["params"]?["token"] == token)
        #expect(begin["params"]?["value"]?["cancellable"]?.boolValue == true)
        #expect(client.next(timeout: 5) { $0["params"]?["value"]?["kind"]?.stringValue == "report" } != nil)
        let end = try #require(client.next(timeout: 5) { $0["params"]?["value"]?["kind"]?.stringValue == "end" })
        #expect(end["params"]?["value"]?["message"]?.stringValue?.contains("adapter \(adapterID)") == true)

        // The new weights are in use from the next request on.
        try client.send(["jsonrpc": "2.0", "id": 30, "method": "recur/status", "params": [:]])
        let status = try #require(client.response(to: 30))
        #expect(status["result"]?["adapterId"]?.intValue == adapterID)
        #expect(status["result"]?["onlineLearning"]?["enabled"]?.boolValue == true)
        #expect(status["result"]?["completionLatencyDuringAdaptation"]?["count"]?.intValue ?? 0 > 0)
        #expect(try Self.complete(client, id: 31, uri: uri)?["result"]?["items"] != nil)

        // Switching profile goes back to the base model (this profile has no adapter).
        try client.send(["jsonrpc": "2.0", "id": 32, "method": "recur/setProfile", "params": ["profile": "other"]])
        let switched = try #require(client.response(to: 32))
        #expect(switched["result"]?["profile"]?.stringValue == "other")
        #expect(switched["result"]?["adapterId"] == nil || switched["result"]?["adapterId"] == .null)
    }

    @Test func adaptationsCanBeCancelledThreeWays() throws {
        let w = try Workspace()
        let client = try Self.start(w, progress: false)
        defer { client.process.terminate() }

        func startJob(id: Int, token: JSONValue? = nil) throws -> String {
            var params: [String: JSONValue] = ["paths": [.string(w.notes.path)], "steps": 100_000]
            if let token { params["workDoneToken"] = token }
            try client.send(["jsonrpc": "2.0", "id": .int(id), "method": "recur/adapt", "params": .object(params)])
            return try #require(client.response(to: .int(id))?["result"]?["jobId"]?.stringValue)
        }
        func expectCancelled(_ jobID: String) throws {
            let done = try #require(client.next(timeout: 60) { $0["method"]?.stringValue == "recur/adaptFinished" })
            #expect(done["params"]?["jobId"]?.stringValue == jobID)
            #expect(done["params"]?["outcome"]?.stringValue == "cancelled")
        }

        let first = try startJob(id: 1)
        try client.send(["jsonrpc": "2.0", "id": 2, "method": "recur/adapt", "params": ["openDocuments": true]])
        #expect(client.response(to: 2)?["error"]?["message"]?.stringValue?.contains("already running") == true)
        try client.send(["jsonrpc": "2.0", "id": 3, "method": "recur/cancelAdapt", "params": ["jobId": .string(first)]])
        #expect(client.response(to: 3)?["result"] == .null)
        try expectCancelled(first)

        let second = try startJob(id: 4)
        try client.send(["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": 4]])
        try expectCancelled(second)

        let third = try startJob(id: 5, token: "my-token")
        #expect(client.next(timeout: 10) { $0["params"]?["token"]?.stringValue == "my-token" } != nil)
        try client.send(["jsonrpc": "2.0", "method": "window/workDoneProgress/cancel", "params": ["token": "my-token"]])
        try expectCancelled(third)

        try client.send(["jsonrpc": "2.0", "id": 6, "method": "recur/cancelAdapt", "params": ["jobId": "nope"]])
        #expect(client.response(to: 6)?["error"]?["code"]?.intValue == -32602)
        let listing = try CLI.run(["models", "list", "--store", w.store, "--json"])
        #expect(try JSONValue(parsing: Data(listing.stdout.utf8))["adapters"]?.arrayValue?.isEmpty == true)
    }
}
