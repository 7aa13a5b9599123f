import Foundation
import RecurFuzzing
import Testing

/// Replays the committed fuzz corpora (seeds, every input that once crashed a target, named `crash-*`, and the
/// coverage-minimized inputs of the long fuzzing runs, named by their SHA-1) through
/// the same targets libFuzzer runs in `make fuzz`. A target checks its own invariants with preconditions, so a
/// regression traps here just as it did under the fuzzer.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        let folder = corpus.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplaysCleanly(target: FuzzTarget) throws {
        let files = Self.inputs(target)
        #expect(files.count >= 3, "the \(target.rawValue) corpus has seeds")
        for file in files {
            target.run([UInt8](try Data(contentsOf: file)))
        }
    }
}
