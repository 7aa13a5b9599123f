import Foundation
import RecurKernels
import RecurModel
import Testing

@testable import RecurTraining

@Suite struct TrainerTests {
    /// A small, highly repetitive corpus: the model can learn it almost perfectly.
    static func repetitiveCorpus() throws -> Corpus {
        let line = "the cat sat on the mat. the dog sat on the log.\n"
        let text = String(repeating: line, count: 60)
        return try Corpus(texts: [("cats.txt", Array(text.utf8))], validationFraction: 0.1)
    }

    static func options(steps: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.sequenceLength = 24
        o.batchSize = 8
        o.schedule = LearningRateSchedule(peak: 1e-2, minimumFraction: 0.1, warmupSteps: 20)
        o.budget = .steps(steps)
        o.validationInterval = 50
        o.validationWindows = 16
        o.threads = 1
        o.seed = 3
        return o
    }

    @Test func lossFallsBelowBoundWithinAFewHundredSteps() throws {
        let config = ModelConfig(cell: .lstm, layers: 1, hidden: 32, embedding: 16)
        let trainer = try Trainer(
            model: LanguageModel(config: config, seed: 1), corpus: try Self.repetitiveCorpus(),
            options: Self.options(steps: 300))
        let before = try #require(trainer.validationLoss())
        try trainer.run()
        let after = try #require(trainer.validationHistory.last?.loss)
        // Uniform over 256 bytes is ln 256 = 5.55 nats; the text's 15 distinct bytes alone give 2.7.
        #expect(before > 5)
        #expect(after < 0.6, "validation loss \(after) nats/byte after 300 steps")
        #expect(trainer.trainHistory.last!.loss < 0.6)
    }

    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func resumedRunContinuesFromTheSameState(cell: CellKind) throws {
        let config = ModelConfig(cell: cell, layers: 2, hidden: 16, embedding: 8)
        let corpus = try Self.repetitiveCorpus()
        var options = Self.options(steps: 40)
        options.dropout = 0.2  // the dropout masks come from the checkpointed generator too
        options.outputDropout = 0.1
        options.threads = cell == .lstm ? 2 : 1  // data-parallel slices combine in a fixed order
        let straight = try Trainer(model: LanguageModel(config: config, seed: 2), corpus: corpus, options: options)
        try straight.run()

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-resume-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let first = try Trainer(model: LanguageModel(config: config, seed: 2), corpus: corpus, options: options)
        try first.run(shouldStop: { first.step >= 17 })
        #expect(first.step == 17)
        try first.writeCheckpoint(to: url)
        let resumed = try Trainer(resumingFrom: url, corpus: corpus)
        #expect(resumed.step == 17)
        try resumed.run()
        #expect(resumed.step == 40)
        #expect(resumed.model.parameters == straight.model.parameters)
        #expect(resumed.validationHistory.last == straight.validationHistory.last)
    }

    /// A checkpoint written before output dropout existed resumes with it off.
    @Test func optionsFromAnOlderCheckpointDecodeWithoutOutputDropout() throws {
        var options = Self.options(steps: 40)
        options.dropout = 0.3
        options.outputDropout = 0.25
        let encoded = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: encoded) == options)
        var fields = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(fields.removeValue(forKey: "outputDropout") != nil)
        let older = try JSONDecoder().decode(
            TrainingOptions.self, from: try JSONSerialization.data(withJSONObject: fields))
        #expect(older.outputDropout == 0)
        #expect(older.dropout == 0.3 && older.budget == options.budget && older.schedule == options.schedule)
    }

    /// Training text unlike its held-out tail: validation loss falls, then rises as the model memorises.
    static func overfittingCorpus() throws -> Corpus {
        let train = String(repeating: "the cat sat on the mat. ", count: 40)
        let held = String(repeating: "a dog ran at my log; ", count: 40)
        return try Corpus(texts: [("f.txt", Array((train + held).utf8))], validationFraction: 0.5)
    }

    @Test func runKeepsTheBestValidationWeightsAndTheCheckpointKeepsBoth() throws {
        let config = ModelConfig(cell: .gru, layers: 1, hidden: 32, embedding: 8)
        var options = Self.options(steps: 120)
        options.schedule = LearningRateSchedule(peak: 2e-2, warmupSteps: 0, decay: .constant)
        options.validationInterval = 10
        let corpus = try Self.overfittingCorpus()
        let trainer = try Trainer(model: LanguageModel(config: config, seed: 4), corpus: corpus, options: options)
        try trainer.run()
        let best = try #require(trainer.best)
        #expect(best.loss == trainer.validationHistory.map(\.loss).min())
        try #require(best.step < trainer.step, "this corpus must overfit: \(trainer.validationHistory)")

        // The kept weights are those after `best.step` steps: a second run stopped there has them.
        let again = try Trainer(model: LanguageModel(config: config, seed: 4), corpus: corpus, options: options)
        try again.run(shouldStop: { again.step >= best.step })
        let kept = trainer.trainedModel()
        #expect(kept.parameters == again.model.parameters)
        #expect(kept.metadata["kept_step"] == String(best.step))
        #expect(kept.metadata["val_loss"] == String(format: "%.4f", best.loss))
        #expect(trainer.trainedModel(keeping: .last).parameters == trainer.model.parameters)
        #expect(kept.parameters != trainer.model.parameters)

        // Both survive a checkpoint: --resume goes on from the last weights and still knows the best.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-best-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try trainer.writeCheckpoint(to: url)
        let resumed = try Trainer(resumingFrom: url, corpus: corpus)
        #expect(resumed.best == best)
        #expect(resumed.model.parameters == trainer.model.parameters)
        #expect(resumed.trainedModel().parameters == kept.parameters)
    }

    @Test func corpusSplitsEachFileAtItsTail() throws {
        let a = Array(repeating: UInt8(ascii: "a"), count: 90) + Array(repeating: UInt8(ascii: "b"), count: 10)
        let b = Array("0123456789".utf8)
        let corpus = try Corpus(texts: [("a", a), ("b", b)], validationFraction: 0.1)
        #expect(corpus.documents[0].train == Array(a[..<90]))
        #expect(corpus.documents[0].validation == Array(repeating: UInt8(ascii: "b"), count: 10))
        #expect(corpus.documents[1].train == Array("012345678".utf8))
        #expect(corpus.documents[1].validation == Array("9".utf8))
        #expect(throws: Corpus.Error.self) { try Corpus(texts: [("empty", [])], validationFraction: 0.1) }
    }

    @Test func separatorLinesAreStripped() throws {
        let text =
            "# ==== FILE: Lib/a.py ====\nimport os\n// ==== FILE: x.swift ====\nlet x = 1\n<!-- ==== FILE: r.md ==== -->\n# not ==== FILE: a separator\n"
        let corpus = try Corpus(texts: [("t", Array(text.utf8))], validationFraction: 0, stripSeparators: true)
        #expect(
            String(decoding: corpus.documents[0].train, as: UTF8.self)
                == "import os\nlet x = 1\n# not ==== FILE: a separator\n")
    }

    @Test func batchesAreWindowsOfTheTrainingText() throws {
        let text = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let sampler = try BatchSampler(documents: [text, Array("0123456789".utf8)], batch: 50, steps: 5)
        var rng = SeededGenerator(seed: 9)
        let batch = sampler.next(rng: &rng)
        for b in 0..<50 {
            let input = Array(batch.inputs[(b * 5)..<(b * 5 + 5)])
            let target = Array(batch.targets[(b * 5)..<(b * 5 + 5)])
            #expect(Array(input.dropFirst()) == Array(target.dropLast()))
            let window = input + [target.last!]
            let inLetters = text.indices.contains { text[$0...].starts(with: window) }
            let digits = Array("0123456789".utf8)
            let inDigits = digits.indices.contains { digits[$0...].starts(with: window) }
            #expect(inLetters || inDigits, "a window must not cross files")
        }
        #expect(throws: Corpus.Error.self) { try BatchSampler(documents: [Array("ab".utf8)], batch: 1, steps: 5) }
    }

    @Test func scheduleWarmsUpThenDecays() {
        let cosine = LearningRateSchedule(peak: 1, minimumFraction: 0.1, warmupSteps: 10, decay: .cosine)
        #expect(abs(cosine.rate(step: 0, progress: 0) - 0.1) < 1e-6)
        #expect(abs(cosine.rate(step: 9, progress: 0.01) - 1) < 1e-6)
        #expect(abs(cosine.rate(step: 50, progress: 0.5) - 0.55) < 1e-6)
        #expect(abs(cosine.rate(step: 99, progress: 1) - 0.1) < 1e-6)
        let step = LearningRateSchedule(peak: 1, minimumFraction: 0.001, warmupSteps: 0, decay: .step)
        #expect(step.rate(step: 10, progress: 0.2) == 1)
        #expect(abs(step.rate(step: 60, progress: 0.6) - 0.1) < 1e-6)
        #expect(abs(step.rate(step: 90, progress: 0.9) - 0.01) < 1e-6)
        let constant = LearningRateSchedule(peak: 0.5, warmupSteps: 0, decay: .constant)
        #expect(constant.rate(step: 1000, progress: 1) == 0.5)
    }

    @Test func clippingScalesToTheMaximumNorm() {
        var g: [Float] = [3, 4]
        let norm = clipGradientNorm(&g, maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs((g[0] * g[0] + g[1] * g[1]).squareRoot() - 1) < 1e-5)
        var small: [Float] = [0.3, 0.4]
        clipGradientNorm(&small, maxNorm: 1)
        #expect(small == [0.3, 0.4])
    }

    @Test func lossPlotIsWellFormedSVG() throws {
        let train = (1...50).map { LossPoint(step: $0 * 10, loss: 5 / Double($0)) }
        let validation = [LossPoint(step: 200, loss: 0.9), LossPoint(step: 500, loss: 0.4)]
        let svg = LossPlot.svg(train: train, validation: validation, title: "a < b & c")
        let parser = XMLParserProbe(svg)
        #expect(parser.valid)
        #expect(parser.elements["polyline"] == 2)
        #expect(parser.elements["circle"] == 2)
        #expect(svg.contains("a &lt; b &amp; c"))
    }

    @Test func progressLinesCarryTheFigures() {
        let p = TrainingProgress(
            step: 50, totalSteps: 200, elapsed: 10, bytesPerSecond: 12_345, trainLoss: 1.23456, validationLoss: 1.5,
            learningRate: 0.002, isValidation: true)
        let line = ProgressReporter.line(p)
        #expect(line.contains("step 50/200"))
        #expect(line.contains("eta 0m30s"))
        #expect(line.contains("12.3K B/s"))
        #expect(line.contains("loss 1.2346"))
        #expect(line.contains("val 1.5000"))
    }
}

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Parses XML and counts elements by name.
final class XMLParserProbe: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var valid = false

    init(_ text: String) {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        valid = parser.parse()
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements[name, default: 0] += 1
    }
}
