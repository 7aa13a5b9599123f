import Foundation
import RecurProtocol
import Testing

/// The store under another process's lock and on a read-only file system: adapters are still read and used,
/// writes fail with a clear error, a finished training is saved to a file instead of lost, and nothing stored
/// before is touched.
@Suite struct StoreHazardTests {
    /// A Python process that holds the store's write lock (`BEGIN EXCLUSIVE`) until it is killed.
    final class LockHolder {
        let process = Process()

        init(store: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c",
                "import sqlite3, sys, time\n"
                    + "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                    + "c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(600)\n",
                store,
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let line = output.fileHandleForReading.availableData
            #expect(String(decoding: line, as: UTF8.self).contains("locked"))
        }

        /// Ends the holder and with it the lock. SIGKILL, not SIGTERM: a child of the test runner may inherit SIGTERM
        /// ignored, and then slept out its whole 600 s (every `make test` waited for it).
        func release() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { release() }
    }

    static func sha256(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: Data(text.utf8)) }

    @Test func aStoreLockedLongerThanTheBusyTimeout() throws {
        let w = try PersonalModelTests.Workspace()
        let first = try w.adapt()
        #expect(first.status == 0, "\(first.stderr)")
        let holder = try LockHolder(store: w.store)
        var environment = CLI.environment
        environment["RECUR_STORE_BUSY_TIMEOUT"] = "1"

        // Reading goes on: the list, and a completion with the active adapter.
        let list = try CLI.run(["models", "list", "--store", w.store, "--json"], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\"id\":1") || list.stdout.contains("\"id\" : 1"), "\(list.stdout)")
        // A new adaptation trains, cannot store, and says where its weights went instead.
        let blocked = try w.adapt(steps: 21, environment: environment)
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("locked by another process"), "\(blocked.stderr)")
        let saved = try #require(
            blocked.stderr.split(separator: " ").first { $0.hasSuffix(".safetensors:") }.map { String($0.dropLast()) },
            "\(blocked.stderr)")
        #expect(FileManager.default.fileExists(atPath: saved))

        // The daemon on the locked store uses the adapter, and its own adaptation fails the same clear way.
        let client = try ServerClient(
            arguments: ["serve", "--model", w.model, "--store", w.store, "--profile", "notes", "--allow-any-path"],
            environment: environment)
        defer { client.process.terminate() }
        try client.send(["jsonrpc": "2.0", "id": 0, "method": "initialize", "params": ["capabilities": [:]]])
        _ = try #require(client.response(to: 0))
        try client.send(["jsonrpc": "2.0", "id": 1, "method": "recur/status"])
        let status = try #require(client.response(to: 1)?["result"])
        #expect(status["adapterId"] == 1, "\(status)")
        try client.send([
            "jsonrpc": "2.0", "id": 2, "method": "recur/adapt",
            "params": ["paths": [.string(w.notes.path)], "steps": 22, "profile": "notes"],
        ])
        _ = try #require(client.response(to: 2)?["result"])
        let finished = try #require(client.next(timeout: 600) { $0["method"] == "recur/adaptFinished" })
        #expect(finished["params"]?["outcome"] == "failed", "\(finished)")
        #expect(finished["params"]?["message"]?.stringValue?.contains("locked by another process") == true)
        #expect(finished["params"]?["message"]?.stringValue?.contains("saved to") == true, "\(finished)")

        // Once the lock is gone the saved weights import, and the first adapter is still there.
        holder.release()
        let imported = try CLI.run([
            "models", "import", "--store", w.store, "--model", w.model, "--profile", "notes", saved,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        let after = try w.models(["list", "--json"])
        let ids = (try Self.json(after.stdout)["adapters"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue }
        #expect(ids.contains(1) && ids.count == 2, "\(after.stdout)")
        #expect(try PersonalModelTests.integrityCheck(w.store) == "ok")
    }

    /// A store on a read-only file system (a read-only bind mount in a user and mount namespace of its own): the
    /// adapter is read and used, an adaptation says why it cannot store, and the file is unchanged.
    @Test func aStoreOnAReadOnlyFileSystem() throws {
        let w = try PersonalModelTests.Workspace()
        let first = try w.adapt()
        #expect(first.status == 0, "\(first.stderr)")
        let folder = (w.store as NSString).deletingLastPathComponent
        let before = try Self.sha256(w.store)
        let readOnly = [
            "unshare", "-rm", "sh", "-c",
            "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"",
            folder,
        ]
        let list = try CLI.run(["models", "list", "--store", w.store], launcher: readOnly)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("uses adapter 1"), "\(list.stdout)")
        let blocked = try w.adapt(steps: 21, launcher: readOnly)
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("not writable"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("saved to"), "\(blocked.stderr)")
        let complete = try CLI.run(
            ["complete", "--model", w.model, "--store", w.store, "--profile", "notes", "--json", "the cat s"],
            launcher: readOnly)
        #expect(complete.status == 0, "\(complete.stderr)")
        #expect(!complete.stderr.contains("using the base model"), "the adapter is used: \(complete.stderr)")
        #expect(try Self.sha256(w.store) == before, "the store file is unchanged")
    }
}
