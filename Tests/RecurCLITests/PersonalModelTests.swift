import Foundation
import RecurProtocol
import Testing

/// `recur adapt`, `recur models` and `recur/adapt` in the daemon, through the real binary.
@Suite(.serialized) struct PersonalModelTests {
    /// A scratch directory with a tiny base model and some of "the user's" text.
    struct Workspace {
        let root: URL
        var store: String { root.appendingPathComponent("store/recur.sqlite").path }
        var model: String { root.appendingPathComponent("tiny.safetensors").path }
        var notes: URL { root.appendingPathComponent("notes") }

        init() throws {
            root = try CLI.temporaryDirectory()
            try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
            let text = String(repeating: "the cat sat on the mat. the dog sat on the log. ", count: 60)
            try Data(text.utf8).write(to: notes.appendingPathComponent("a.txt"))
            try Data(text.uppercased().utf8).write(to: notes.appendingPathComponent("b.md"))
            let corpus = root.appendingPathComponent("corpus.txt")
            try Data(String(repeating: "hello world, ", count: 200).utf8).write(to: corpus)
            let trained = try CLI.run([
                "train", "--corpus", corpus.path, "--layers", "1", "--hidden", "32", "--embedding", "8",
                "--seq-len", "32", "--batch", "4", "--steps", "2", "--out", model,
            ])
            #expect(trained.status == 0, "\(trained.stderr)")
        }

        func adapt(
            _ extra: [String] = [], profile: String = "notes", steps: Int = 20,
            environment: [String: String] = CLI.environment, launcher: [String] = []
        ) throws -> CLI.Result {
            try CLI.run(
                [
                    "adapt", "--profile", profile, "--store", store, "--model", model, "--steps", "\(steps)", "--lr",
                    "1e-2", "--threads", "1", "--json", notes.path,
                ] + extra, environment: environment, launcher: launcher)
        }

        func models(_ arguments: [String]) throws -> CLI.Result {
            guard let sub = arguments.first else { return try CLI.run(["models"]) }
            return try CLI.run(["models", sub, "--store", store] + arguments.dropFirst())
        }
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: Data(text.utf8)) }

    @Test func adaptListCompleteExportImportRollbackForget() throws {
        let w = try Workspace()
        let first = try w.adapt()
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.json(first.stdout)
        #expect(report["outcome"]?.stringValue == "improved")
        let id = try #require(report["adapterId"]?.intValue)
        #expect(
            try #require(report["valLossAfter"]?.doubleValue) < (try #require(report["valLossBefore"]?.doubleValue)))
        #expect(first.stderr.contains("2 files"))

        // Unchanged text and settings: the adapter is reused, and the command says so.
        let second = try w.adapt()
        #expect(second.status == 0)
        #expect(try Self.json(second.stdout)["outcome"]?.stringValue == "reused")
        #expect(try Self.json(second.stdout)["message"]?.stringValue?.contains("reusing adapter \(id)") == true)

        let listed = try Self.json(try w.models(["list", "--json"]).stdout)
        #expect(listed["adapters"]?.arrayValue?.count == 1)
        #expect(listed["profiles"]?[0]?["activeAdapterId"]?.intValue == id)
        let show = try w.models(["show", "\(id)"])
        #expect(show.status == 0 && show.stdout.contains("a.txt") && show.stdout.contains("(ok)"))

        // --profile on complete uses the adapted model; it differs from the base model's.
        let adapted = try CLI.run([
            "complete", "--model", w.model, "--profile", "notes", "--store", w.store, "--json", "--temperature", "0",
            "--n", "1", "the cat sat on the m",
        ])
        #expect(adapted.status == 0, "\(adapted.stderr)")
        let plain = try CLI.run([
            "complete", "--model", w.model, "--json", "--temperature", "0", "--n", "1", "the cat sat on the m",
        ])
        #expect(try Self.json(adapted.stdout)["completions"] != (try Self.json(plain.stdout)["completions"]))

        // Export, then import into another profile: the same weights, usable with --model.
        let exported = w.root.appendingPathComponent("exported.safetensors").path
        #expect(try w.models(["export", "\(id)", exported]).status == 0)
        let viaFile = try CLI.run([
            "complete", "--model", exported, "--json", "--temperature", "0", "--n", "1", "the cat sat on the m",
        ])
        #expect(viaFile.stdout == adapted.stdout)
        let imported = try CLI.run([
            "models", "import", "--store", w.store, "--model", w.model, "--profile", "copy", exported,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")

        #expect(try w.models(["rollback", "notes"]).stdout.contains("the base model"))
        #expect(try Self.json(try w.models(["list", "--json"]).stdout)["profiles"]?[1]?["activeAdapterId"] == nil)
        #expect(try w.models(["activate", "\(id)"]).status == 0)

        let forgot = try w.models(["forget", "notes"])
        #expect(forgot.status == 0 && forgot.stdout.contains("1 adapters removed"))
        let store = try Data(contentsOf: URL(fileURLWithPath: w.store))
        #expect(store.range(of: Data(w.notes.appendingPathComponent("a.txt").path.utf8)) == nil)
        #expect(try Self.json(try w.models(["list", "--json"]).stdout)["adapters"]?.arrayValue?.count == 1)

        // Bad ids and names are clear errors.
        let missing = try w.models(["activate", "999"])
        #expect(missing.status != 0 && missing.stderr.contains("no adapter 999"))
        #expect(try w.models(["rollback", "nobody"]).stderr.contains("no profile named 'nobody'"))
    }

    @Test func aCorruptBlobFallsBackWithAClearMessage() throws {
        let w = try Workspace()
        let id = try #require(try Self.json(try w.adapt().stdout)["adapterId"]?.intValue)
        // Flip one byte inside the stored weights with the sqlite3 shell's SQL (no Recur code involved).
        let flip = Process()
        flip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        flip.arguments = [
            "python3", "-c",
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            blob = bytearray(db.execute('SELECT weights FROM adapter WHERE id=?', (int(sys.argv[2]),)).fetchone()[0])
            blob[len(blob) - 7] ^= 0x40
            db.execute('UPDATE adapter SET weights=? WHERE id=?', (bytes(blob), int(sys.argv[2])))
            db.commit()
            """,
            w.store, "\(id)",
        ]
        try flip.run()
        flip.waitUntilExit()
        #expect(flip.terminationStatus == 0)
        let result = try CLI.run([
            "complete", "--model", w.model, "--profile", "notes", "--store", w.store, "--n", "1", "the ca",
        ])
        #expect(result.status == 0)
        #expect(result.stderr.contains("adapter \(id) is corrupt"))
        #expect(result.stderr.contains("using the base model"))
        #expect(try w.models(["show", "\(id)"]).stdout.contains("corrupt"))
    }

    /// `kill -9` at random moments of `recur adapt` (including while it writes): the store stays sound, the
    /// previously active adapter stays intact, and the next run works.
    @Test func killedAdaptationsNeverDamageTheStore() throws {
        let w = try Workspace()
        let firstID = try #require(try Self.json(try w.adapt().stdout)["adapterId"]?.intValue)
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        for run in 0..<8 {
            // New text each time, so that every run trains and writes (no reuse).
            try Data("run \(run): the bird sat on the wire. ".utf8).write(
                to: w.notes.appendingPathComponent("c.txt"))
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = [
                "adapt", "--profile", "notes", "--store", w.store, "--model", w.model, "--steps", "3", "--threads",
                "1", w.notes.path,
            ]
            process.environment = CLI.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.6, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            let check = try CLI.run(["models", "list", "--store", w.store, "--json"])
            #expect(check.status == 0, "\(check.stderr)")
            let integrity = try Self.integrityCheck(w.store)
            #expect(integrity == "ok")
            let listing = try Self.json(check.stdout)
            let ids = listing["adapters"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            #expect(ids.contains(firstID))
            let active = try #require(listing["profiles"]?[0]?["activeAdapterId"]?.intValue)
            #expect(try w.models(["show", "\(active)"]).stdout.contains("(ok)"))
        }
        #expect(killed > 0)
        try Data("final run text. ".utf8).write(to: w.notes.appendingPathComponent("c.txt"))
        let next = try w.adapt()
        #expect(next.status == 0, "\(next.stderr)")
        #expect(["improved", "notImproved"].contains(try Self.json(next.stdout)["outcome"]?.stringValue ?? ""))
    }

    static func integrityCheck(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
            path,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Two `recur adapt` processes and a reader on one store at once: no "database is locked".
    @Test func concurrentProcessesShareTheStore() throws {
        let w = try Workspace()
        let results = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            if i < 2 {
                results.append(
                    (try? w.adapt(profile: "p\(i)")) ?? CLI.Result(status: -1, stdout: "", stderr: "spawn failed"))
            } else {
                for _ in 0..<15 {
                    results.append(
                        (try? w.models(["list", "--json"]))
                            ?? CLI.Result(status: -1, stdout: "", stderr: "spawn failed"))
                }
            }
        }
        for result in results.all {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stderr.contains("locked"))
        }
        #expect(try Self.json(try w.models(["list", "--json"]).stdout)["adapters"]?.arrayValue?.count == 2)
    }

    @Test func aStoreFromTheFutureOrNotSQLiteIsAClearError() throws {
        let w = try Workspace()
        _ = try w.adapt()
        let future = Process()
        future.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        future.arguments = [
            "python3", "-c",
            "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute(\"INSERT INTO grdb_migrations VALUES ('v2 from a newer recur')\"); d.commit()",
            w.store,
        ]
        try future.run()
        future.waitUntilExit()
        let refused = try w.models(["list"])
        #expect(refused.status != 0 && refused.stderr.contains("newer Recur"))

        let garbage = w.root.appendingPathComponent("garbage.sqlite").path
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: garbage))
        let notSQLite = try CLI.run(["models", "list", "--store", garbage])
        #expect(notSQLite.status != 0 && notSQLite.stderr.contains("not an SQLite database"))
        // --profile with a broken store still completes, on the base model.
        let fallback = try CLI.run([
            "complete", "--model", w.model, "--profile", "x", "--store", garbage, "--n", "1", "ab",
        ])
        #expect(fallback.status == 0 && fallback.stderr.contains("not an SQLite database"))
    }
}

final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [CLI.Result] = []
    func append(_ r: CLI.Result) { lock.withLock { results.append(r) } }
    var all: [CLI.Result] { lock.withLock { results } }
}
