import Foundation
import GRDB
import RecurModel
import Testing

@testable import RecurStore

/// A fresh store in a temporary directory.
func temporaryStorePath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recur-store-\(UUID().uuidString)")
    return dir.appendingPathComponent("recur.sqlite").path
}

func sampleAdapter(profile: String, parent: Int64? = nil, weights: [UInt8], file: String = "/home/u/notes.txt")
    -> NewAdapter
{
    NewAdapter(
        profile: profile, parentId: parent,
        base: BaseModelRecord(sha256: "b0", name: "base", architecture: "lstm", parameters: 10),
        weights: weights, corpusFingerprint: "fp-" + file,
        corpusFiles: [CorpusFile(path: file, sha256: "c0", bytes: 12)], hyperparameters: "{\"steps\":10}",
        trainLoss: 1.5, valLossBefore: 2, valLoss: 1.8, steps: 10, seconds: 1)
}

@Suite struct ModelStoreTests {
    @Test func defaultPathFollowsXDG() {
        #expect(
            ModelStore.defaultPath(environment: ["XDG_DATA_HOME": "/x/data", "HOME": "/h"])
                == "/x/data/recur/recur.sqlite")
        #expect(ModelStore.defaultPath(environment: ["HOME": "/h"]) == "/h/.local/share/recur/recur.sqlite")
        // A relative XDG_DATA_HOME is invalid by the spec and ignored.
        #expect(
            ModelStore.defaultPath(environment: ["XDG_DATA_HOME": "rel", "HOME": "/h"])
                == "/h/.local/share/recur/recur.sqlite")
    }

    @Test func adaptersActivateRollBackAndDelete() throws {
        let store = try ModelStore(path: temporaryStorePath())
        #expect(try store.profiles().isEmpty)
        let first = try store.insert(sampleAdapter(profile: "p", weights: [1, 2, 3]), activate: true)
        let second = try store.insert(sampleAdapter(profile: "p", parent: first.id, weights: [4, 5]), activate: true)
        #expect(try store.activeAdapter(profile: "p")?.id == second.id)
        #expect(try store.adapters(profile: "p").map(\.id) == [second.id, first.id])
        #expect(try store.weights(adapterID: second.id) == [4, 5])
        #expect(second.corpusFiles == [CorpusFile(path: "/home/u/notes.txt", sha256: "c0", bytes: 12)])
        #expect(second.sha256 == ModelStore.sha256([4, 5] as [UInt8]))

        #expect(try store.rollback(profile: "p")?.id == first.id)
        #expect(try store.activeAdapter(profile: "p")?.id == first.id)
        #expect(try store.rollback(profile: "p") == nil)  // back to the base model
        #expect(try store.activeAdapter(profile: "p") == nil)

        try store.activate(adapterID: second.id)
        try store.delete(adapterID: second.id)  // the active one: its parent takes over
        #expect(try store.activeAdapter(profile: "p")?.id == first.id)
        #expect(throws: StoreError.noSuchAdapter(99)) { try store.activate(adapterID: 99) }
        #expect(throws: StoreError.noSuchProfile("nobody")) { try store.rollback(profile: "nobody") }
    }

    @Test func reuseMatchesBaseCorpusAndSettings() throws {
        let store = try ModelStore(path: temporaryStorePath())
        let a = try store.insert(sampleAdapter(profile: "p", weights: [1]), activate: true)
        #expect(
            try store.reusableAdapter(
                profile: "p", baseSHA256: "b0", corpusFingerprint: "fp-/home/u/notes.txt",
                hyperparameters: "{\"steps\":10}")?.id == a.id)
        #expect(
            try store.reusableAdapter(
                profile: "p", baseSHA256: "other", corpusFingerprint: "fp-/home/u/notes.txt",
                hyperparameters: "{\"steps\":10}") == nil)
        #expect(
            try store.reusableAdapter(
                profile: "p", baseSHA256: "b0", corpusFingerprint: "fp-/home/u/notes.txt",
                hyperparameters: "{\"steps\":20}") == nil)
        #expect(
            try store.reusableAdapter(
                profile: "q", baseSHA256: "b0", corpusFingerprint: "fp-/home/u/notes.txt",
                hyperparameters: "{\"steps\":10}") == nil)
    }

    @Test func aFlippedByteInABlobIsDetectedAndTheRowKept() throws {
        let path = temporaryStorePath()
        let store = try ModelStore(path: path)
        let a = try store.insert(sampleAdapter(profile: "p", weights: Array(repeating: 7, count: 64)), activate: true)
        var corrupt = [UInt8](repeating: 7, count: 64)
        corrupt[17] ^= 0x10
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE adapter SET weights = ? WHERE id = ?", arguments: [Data(corrupt), a.id])
        }
        #expect(throws: StoreError.self) { try store.weights(adapterID: a.id) }
        do {
            _ = try store.weights(adapterID: a.id)
        } catch {
            guard case .corruptWeights(let id, _, _) = error else {
                Issue.record("expected corruptWeights, got \(error)")
                return
            }
            #expect(id == a.id)
            #expect(error.description.contains("corrupt"))
        }
        #expect(try store.adapter(id: a.id) != nil)  // kept for inspection
    }

    @Test func aStoreFromANewerRecurIsRefused() throws {
        let path = temporaryStorePath()
        _ = try ModelStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9 from the future')")
        }
        #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v9 from the future"])) {
            try ModelStore(path: path)
        }
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let path = temporaryStorePath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notADatabase(path: path)) { try ModelStore(path: path) }
        // The file is left as it was.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x41, count: 4096))
    }

    @Test func anUnwritablePlaceGivesAClearError() throws {
        // A path below a regular file can never be created, whoever runs the test (root ignores permissions).
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recur-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        let path = file.path + "/sub/recur.sqlite"
        do {
            _ = try ModelStore(path: path)
            Issue.record("opening a store below a file succeeded")
        } catch {
            guard case .cannotOpen = error else {
                Issue.record("expected cannotOpen, got \(error)")
                return
            }
        }
    }

    @Test func forgetLeavesNoTraceInTheFile() throws {
        let path = temporaryStorePath()
        let store = try ModelStore(path: path)
        let secret = "/home/u/very-private-diary-7f3a.txt"
        let weights = [UInt8]("WEIGHTS-OF-THE-DIARY-MODEL".utf8) + [UInt8](repeating: 3, count: 5000)
        _ = try store.insert(sampleAdapter(profile: "diary", weights: weights, file: secret), activate: true)
        _ = try store.insert(sampleAdapter(profile: "work", weights: [9, 9], file: "/work/a.swift"), activate: true)
        func fileContains(_ needle: String) throws -> Bool {
            for suffix in ["", "-wal"] {
                let url = URL(fileURLWithPath: path + suffix)
                guard let data = try? Data(contentsOf: url) else { continue }
                if data.range(of: Data(needle.utf8)) != nil { return true }
            }
            return false
        }
        #expect(try fileContains(secret))
        #expect(try store.forget(profile: "diary") == 1)
        #expect(try !fileContains(secret))
        #expect(try !fileContains("WEIGHTS-OF-THE-DIARY-MODEL"))
        #expect(try store.profile(named: "diary") == nil)
        #expect(try store.activeAdapter(profile: "work") != nil)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func aNewStoreOpenedFromManyPlacesAtOnceIsCreatedOnce() async throws {
        for _ in 0..<5 {
            let path = temporaryStorePath()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask { _ = try ModelStore(path: path) }
                }
                try await group.waitForAll()
            }
            #expect(try ModelStore(path: path).integrityCheck() == "ok")
        }
    }

    @Test func twoConnectionsWritingAtOnceNeverSeeLockErrors() async throws {
        let path = temporaryStorePath()
        let a = try ModelStore(path: path)
        let b = try ModelStore(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in [a, b].enumerated() {
                group.addTask {
                    for i in 0..<40 {
                        let info = try store.insert(
                            sampleAdapter(profile: "p\(index)", weights: Array(repeating: UInt8(i), count: 20_000)),
                            activate: true)
                        _ = try store.adapters()
                        try store.activate(adapterID: info.id)
                        _ = try store.weights(adapterID: info.id)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try a.adapters().count == 80)
        #expect(try b.integrityCheck() == "ok")
    }
}
