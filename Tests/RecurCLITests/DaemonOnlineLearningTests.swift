import Foundation
import RecurProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Online learning in the daemon process: `--no-online-learning`, the online layer across a `kill -9`, and the
/// `recur models` commands that show and drop it.
@Suite(.serialized) struct DaemonOnlineLearningTests {
    typealias Workspace = PersonalModelTests.Workspace
    static let uri = "file:///tmp/recur-online/notes.txt"

    static func start(_ w: Workspace, _ extra: [String] = []) throws -> ServerClient {
        let client = try ServerClient(
            arguments: ["serve", "--model", w.model, "--store", w.store, "--profile", "typing"] + extra)
        try client.send(["jsonrpc": "2.0", "id": 0, "method": "initialize", "params": ["capabilities": [:]]])
        _ = try #require(client.response(to: 0), "\(client.stderr)")
        try client.send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": ["textDocument": ["uri": .string(uri), "languageId": "text", "version": 1, "text": ""]],
        ])
        return client
    }

    /// Types `lines` at line `from` on, each with its newline.
    static func type(_ client: ServerClient, _ lines: [String], from: Int, version: Int) throws {
        for (index, line) in lines.enumerated() {
            let at: JSONValue = ["line": .int(from + index), "character": 0]
            try client.send([
                "jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": [
                    "textDocument": ["uri": .string(uri), "version": .int(version + index)],
                    "contentChanges": [["range": ["start": at, "end": at], "text": .string(line + "\n")]],
                ],
            ])
        }
    }

    static func request(_ client: ServerClient, id: Int, _ method: String) throws -> JSONValue {
        try client.send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": [:]])
        return try #require(client.response(to: .int(id))?["result"], "\(client.stderr)")
    }

    static let lines = (0..<40).map { "the cat sat on the mat number \($0) and the dog sat on the log" }

    @Test func turnedOffFromTheCommandLine() throws {
        let w = try Workspace()
        let client = try Self.start(w, ["--no-online-learning"])
        defer { client.process.terminate() }
        try Self.type(client, Array(Self.lines.prefix(5)), from: 0, version: 2)
        let status = try Self.request(client, id: 1, "recur/syncOnlineLearning")
        #expect(status["enabled"] == false && status["bytesLearned"] == 0)
    }

    /// `kill -9` loses what was learned since the last save, never the store; the next daemon resumes the saved
    /// layer; `recur models list` shows it, `rollback` drops it (and a running daemon does not bring it back).
    @Test func theLayerSurvivesKillNineAndRollbackDropsIt() throws {
        let w = try Workspace()
        let first = try Self.start(w)
        try Self.type(first, Array(Self.lines.prefix(20)), from: 0, version: 2)
        let saved = try Self.request(first, id: 1, "recur/syncOnlineLearning")
        let savedBytes = try #require(saved["bytesLearned"]?.intValue)
        #expect(savedBytes > 1000 && saved["unsavedUpdates"] == 0)
        // More learning, not saved (the save interval is minutes away), then SIGKILL.
        try Self.type(first, Array(Self.lines.suffix(20)), from: 20, version: 30)
        var unsaved = 0
        for attempt in 0..<200 where unsaved == 0 {
            unsaved =
                try Self.request(first, id: 100 + attempt, "recur/status")["onlineLearning"]?["unsavedUpdates"]?
                .intValue ?? 0
            if unsaved == 0 { usleep(50_000) }
        }
        #expect(unsaved > 0)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        let check = try CLI.run(["models", "list", "--store", w.store])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("profile typing: uses its online layer over the base model"), "\(check.stdout)")
        #expect(check.stdout.contains("online layer: \(savedBytes) bytes learned"), "\(check.stdout)")

        let second = try Self.start(w)
        defer { second.process.terminate() }
        let resumed = try Self.request(second, id: 1, "recur/status")["onlineLearning"]
        #expect(resumed?["bytesLearned"]?.intValue == savedBytes)

        let rollback = try CLI.run(["models", "rollback", "typing", "--store", w.store])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(rollback.stdout.contains("dropped its online layer (\(savedBytes) bytes learned"), "\(rollback.stdout)")
        // The running daemon learns more and saves: it finds its layer gone, starts again, and writes nothing back.
        try Self.type(second, ["one more line for the road"], from: 0, version: 2)
        let after = try Self.request(second, id: 2, "recur/syncOnlineLearning")
        #expect(after["bytesLearned"] == 0, "\(after)")
        #expect(after["saveError"]?.stringValue?.contains("removed from the store") == true, "\(after)")
        let listed = try CLI.run(["models", "list", "--store", w.store])
        #expect(!listed.stdout.contains("online layer"), "\(listed.stdout)")
    }
}
