import Foundation
import GRDB
import RecurModel
import Testing

@testable import RecurAdaptation
@testable import RecurStore

/// A small base model with a known sha256, as if loaded from a file.
func tinyBase(seed: UInt64 = 1) throws -> LanguageModel<Float> {
    let model = LanguageModel<Float>(config: ModelConfig(cell: .lstm, layers: 1, hidden: 32, embedding: 8), seed: seed)
    return try LanguageModel<Float>(safetensors: try model.encoded())
}

let userText = CollectedText(
    path: "/home/u/notes.txt",
    bytes: Array(String(repeating: "the cat sat on the mat. the dog sat on the log. ", count: 80).utf8))

@Suite struct AdaptationTests {
    @Test func adaptingImprovesStoresActivatesAndIsReused() throws {
        let store = try ModelStore(path: temporaryStorePath())
        let base = try tinyBase()
        // Batches of 8: the debug build trains slowly, and this text is easy to learn.
        var settings = AdaptationSettings(steps: 60, learningRate: 1e-2)
        settings.batchSize = 8
        var phases: [AdaptationProgress.Phase] = []
        let first = try Adaptation.run(
            store: store, profile: "notes", base: base, baseName: "tiny", texts: [userText], settings: settings,
            progress: { phases.append($0.phase) })
        #expect(first.outcome == .improved)
        let before = try #require(first.valLossBefore), after = try #require(first.valLossAfter)
        #expect(after < before - 0.5)  // the repetitive text is easy to learn
        #expect(phases.first == .validatingBefore && phases.contains(.training) && phases.last == .storing)
        let adapter = try #require(first.adapter)
        #expect(try store.activeAdapter(profile: "notes")?.id == adapter.id)
        #expect(adapter.baseSHA256 == base.sourceSHA256)
        #expect(adapter.corpusFiles.map(\.path) == ["/home/u/notes.txt"])
        #expect(adapter.parentId == nil)
        #expect(abs(adapter.valLoss - after) < 1e-9)

        // The profile now completes with the adapted weights (float16, as stored).
        let resolved = ProfileModel.resolve(store: store, profile: "notes", base: base)
        #expect(resolved.adapterID == adapter.id && resolved.warnings.isEmpty)
        #expect(resolved.model.parameters != base.parameters)
        #expect(
            resolved.model.parameters
                == (try LanguageModel<Float>(safetensors: store.weights(adapterID: adapter.id))).parameters)

        // Same base, text and settings: reused, nothing trained.
        let again = try Adaptation.run(
            store: store, profile: "notes", base: base, baseName: "tiny", texts: [userText], settings: settings)
        #expect(again.outcome == .reused && again.adapter?.id == adapter.id && again.steps == 0)
        #expect(try store.adapters(profile: "notes").count == 1)

        // New text: trained on top of the active adapter, which becomes the parent.
        var more = userText
        more.bytes += Array(String(repeating: "a bird sat on the wire. ", count: 40).utf8)
        let third = try Adaptation.run(
            store: store, profile: "notes", base: base, baseName: "tiny", texts: [more], settings: settings)
        #expect(third.outcome == .improved)
        #expect(third.adapter?.parentId == adapter.id)
        #expect(try store.rollback(profile: "notes")?.id == adapter.id)
    }

    @Test func aRunThatMakesThingsWorseStoresNothing() throws {
        let store = try ModelStore(path: temporaryStorePath())
        let base = try tinyBase()
        let good = try Adaptation.run(
            store: store, profile: "p", base: base, baseName: "tiny", texts: [userText],
            settings: AdaptationSettings(steps: 30, learningRate: 2e-2))
        #expect(good.outcome == .improved)
        // From that adapter, training on a file whose training part is nothing but "aaaa..." while its held-out
        // tail is the prose: the validation loss rises, and the run is discarded.
        let skewed = CollectedText(
            path: "/home/u/skewed.txt",
            bytes: Array(
                (String(repeating: "a", count: 3600)
                    + String(userText.bytes.prefix(400).map { Character(UnicodeScalar($0)) })).utf8))
        let result = try Adaptation.run(
            store: store, profile: "p", base: base, baseName: "tiny", texts: [skewed],
            settings: AdaptationSettings(steps: 30, learningRate: 2e-2))
        #expect(result.outcome == .notImproved)
        #expect(try #require(result.valLossAfter) >= (try #require(result.valLossBefore)))
        #expect(try store.adapters().count == 1)
        #expect(try store.activeAdapter(profile: "p")?.id == good.adapter?.id)
    }

    @Test func aCancelledRunStoresNothing() throws {
        let store = try ModelStore(path: temporaryStorePath())
        let result = try Adaptation.run(
            store: store, profile: "p", base: try tinyBase(), baseName: "tiny", texts: [userText],
            settings: AdaptationSettings(steps: 1000), shouldStop: { true })
        #expect(result.outcome == .cancelled)
        #expect(try store.adapters().isEmpty)
        #expect(try store.profile(named: "p") == nil)
    }

    @Test func tooLittleTextIsAClearError() throws {
        let store = try ModelStore(path: temporaryStorePath())
        #expect(throws: AdaptationError.self) {
            try Adaptation.run(
                store: store, profile: "p", base: try tinyBase(), baseName: "tiny",
                texts: [CollectedText(path: "a", bytes: Array("tiny".utf8))], settings: AdaptationSettings(steps: 5))
        }
        #expect(throws: AdaptationError.self) {
            try Adaptation.run(
                store: store, profile: "p", base: try tinyBase(), baseName: "tiny", texts: [],
                settings: AdaptationSettings(steps: 5))
        }
    }

    @Test func aCorruptOrForeignAdapterFallsBackToTheBase() throws {
        let path = temporaryStorePath()
        let store = try ModelStore(path: path)
        let base = try tinyBase()
        let result = try Adaptation.run(
            store: store, profile: "p", base: base, baseName: "tiny", texts: [userText],
            settings: AdaptationSettings(steps: 20, learningRate: 1e-2))
        let id = try #require(result.adapter?.id)

        // Another base model: the adapter is not used.
        let other = ProfileModel.resolve(store: store, profile: "p", base: try tinyBase(seed: 2))
        #expect(other.adapterID == nil)
        #expect(other.warnings.first?.contains("another base model") == true)

        // One flipped byte in the BLOB: detected, the base is used, the row stays.
        try DatabaseQueue(path: path).write { db in
            try db.execute(
                sql:
                    "UPDATE adapter SET weights = substr(weights, 1, 99) || x'5A' || substr(weights, 101) WHERE id = ?",
                arguments: [id])
        }
        let fallback = ProfileModel.resolve(store: store, profile: "p", base: base)
        #expect(fallback.adapterID == nil)
        #expect(fallback.model.parameters == base.parameters)
        #expect(fallback.warnings.first?.contains("corrupt") == true)
        #expect(try store.adapter(id: id) != nil)
    }
}

@Suite struct TextCollectorTests {
    func scratchDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recur-texts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func write(_ text: String, _ name: String, in dir: URL) throws {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func git(_ arguments: [String], in dir: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", dir.path] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "git \(arguments) failed")
    }

    @Test func honoursGitignoreAndSkipsBinariesAndLargeFiles() throws {
        let dir = try scratchDirectory()
        try git(["init", "-q"], in: dir)
        try write("ignored.txt\nbuild/\n", ".gitignore", in: dir)
        try write("tracked notes\n", "a.txt", in: dir)
        try write("secret\n", "ignored.txt", in: dir)
        try write("generated\n", "build/out.txt", in: dir)
        try write("not yet committed\n", "sub/new.md", in: dir)
        try write(String(repeating: "x", count: 5000), "big.txt", in: dir)
        try Data([0x41, 0x00, 0x42]).write(to: dir.appendingPathComponent("blob.bin"))
        try Data([0x41, 0xFF, 0xFE]).write(to: dir.appendingPathComponent("latin.txt"))
        try git(["add", "a.txt", ".gitignore"], in: dir)

        var collector = TextCollector()
        collector.maxFileBytes = 4096
        let result = collector.collect([dir.path])
        let names = Set(result.texts.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        #expect(names == [".gitignore", "a.txt", "new.md"])
        let skipped = Dictionary(
            result.skipped.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0.reason) },
            uniquingKeysWith: { a, _ in a })
        #expect(skipped["big.txt"]?.contains("larger") == true)
        #expect(skipped["blob.bin"]?.contains("binary") == true)
        #expect(skipped["latin.txt"]?.contains("binary") == true)
        #expect(skipped["ignored.txt"] == nil)  // ignored files are not even looked at

        // A file named explicitly is read even if git ignores it.
        #expect(collector.collect([dir.appendingPathComponent("ignored.txt").path]).texts.count == 1)
    }

    @Test func outsideGitHiddenFilesAreSkipped() throws {
        let dir = try scratchDirectory()
        try write("visible\n", "notes/a.txt", in: dir)
        try write("hidden\n", ".cache/b.txt", in: dir)
        try write("hidden\n", "notes/.c.txt", in: dir)
        let result = TextCollector().collect([dir.path, dir.appendingPathComponent("missing").path])
        #expect(result.texts.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["a.txt"])
        #expect(result.skipped.contains { $0.reason == "does not exist" })
    }

    @Test func theFingerprintFollowsContentNotOrder() {
        let a = CorpusFile(path: "/a", sha256: "1", bytes: 1), b = CorpusFile(path: "/b", sha256: "2", bytes: 1)
        #expect(TextCollector.fingerprint([a, b]) == TextCollector.fingerprint([b, a]))
        var changed = b
        changed.sha256 = "3"
        #expect(TextCollector.fingerprint([a, b]) != TextCollector.fingerprint([a, changed]))
    }
}
