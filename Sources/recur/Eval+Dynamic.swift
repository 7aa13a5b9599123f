import ArgumentParser
import Foundation
import RecurModel
import RecurTraining

/// Options of `recur eval --dynamic`.
struct DynamicEvaluationOptions: ParsableArguments {
    @Flag(
        name: .customLong("dynamic"),
        help: """
            Score each file while learning from it (dynamic evaluation): after each span of bytes is scored, the \
            weights take one step on it, and the state carries on. Prints static and dynamic loss side by side.
            """)
    var enabled = false

    // The defaults scored best over code and prose together (README: "Learning while reading").
    @Option(name: .customLong("dynamic-lr"), help: "Learning rate of each update.")
    var learningRate: Float = 0.0007

    @Option(name: .customLong("dynamic-span"), help: "Bytes per update.")
    var span: Int = 100

    @Option(
        name: .customLong("dynamic-rule"),
        help: "How the weights move: sgd, or rms (RMS-normalised, as Krause et al.).")
    var rule: String = DynamicEvaluation.Rule.rms.rawValue

    @Option(
        name: .customLong("dynamic-decay"),
        help: "Fraction of the way back toward the original weights that each update also moves (0 to 1).")
    var decay: Float = 0.02

    @Option(
        name: .customLong("dynamic-freeze"),
        help: "Tensors that do not learn, by name prefix, comma-separated (head: the output layer; none).")
    var freeze: String = "head"

    @Option(
        name: .customLong("dynamic-read-first"), parsing: .upToNextOption,
        help: """
            Texts learned from before each file is scored, as the daemon learns from the documents a user opens \
            (initializationOptions.learnFromOpenDocuments).
            """)
    var readFirst: [String] = []

    @Option(
        name: .customLong("drift-sample"),
        help: """
            A text of another kind: after learning each file, its loss is scored with the learned weights beside             the original ones (how far learning drifts from what the model knew).
            """)
    var driftSample: String?

    func validate() throws {
        guard DynamicEvaluation.Rule(rawValue: rule) != nil else {
            throw ValidationError("--dynamic-rule must be one of: sgd, rms")
        }
        guard learningRate >= 0, learningRate.isFinite else {
            throw ValidationError("--dynamic-lr must be a number ≥ 0")
        }
        guard span >= 1 else { throw ValidationError("--dynamic-span must be at least 1") }
        guard (0...1).contains(decay) else { throw ValidationError("--dynamic-decay must be in [0, 1]") }
    }

    var settings: DynamicEvaluation.Settings {
        DynamicEvaluation.Settings(
            learningRate: learningRate, span: span, rule: DynamicEvaluation.Rule(rawValue: rule)!, decay: decay,
            frozen: freeze == "none" ? [] : freeze.split(separator: ",").map(String.init))
    }

    struct Report: Encodable {
        var path: String
        var bytes: Int
        var characters: Int
        var static_nats_per_char: Double
        var dynamic_nats_per_char: Double
        var change: Double
        var updates: Int
        /// The drift sample's nats per character with the original weights and with the learned ones.
        var drift_static_nats_per_char: Double?
        var drift_learned_nats_per_char: Double?
    }

    /// Each file read twice from its first byte: once as it is, once learning; each file starts from the model's
    /// own weights.
    func run(files: [(String, [UInt8])], model: LanguageModel<Float>, json: Bool) throws {
        var drift: (text: [UInt8], characters: Double, staticNats: Double)?
        func contents(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandFailure("cannot read \(path)")
            }
            return [UInt8](data)
        }
        if let driftSample {
            var frozen = DynamicEvaluation(model: model, settings: settings)
            let text = try contents(driftSample)
            drift = (
                text, Double(max(1, String(decoding: text, as: UTF8.self).unicodeScalars.count - 1)),
                frozen.read(text, learning: false).nats
            )
        }
        let primers = try readFirst.map(contents)
        var reports: [Report] = []
        for (path, text) in files {
            var frozen = DynamicEvaluation(model: model, settings: settings)
            let fixed = frozen.read(text, learning: false)
            var learner = DynamicEvaluation(model: model, settings: settings)
            for primer in primers { _ = learner.read(primer) }
            let learned = learner.read(text)
            let characters = max(1, String(decoding: text, as: UTF8.self).unicodeScalars.count - 1)
            reports.append(
                Report(
                    path: path, bytes: text.count, characters: characters,
                    static_nats_per_char: fixed.nats / Double(characters),
                    dynamic_nats_per_char: learned.nats / Double(characters),
                    change: fixed.nats == 0 ? 0 : learned.nats / fixed.nats - 1, updates: learned.updates))
            if let drift {
                var reader = DynamicEvaluation(model: learner.model, settings: settings)
                reports[reports.count - 1].drift_static_nats_per_char = drift.staticNats / drift.characters
                reports[reports.count - 1].drift_learned_nats_per_char =
                    reader.read(drift.text, learning: false).nats / drift.characters
            }
        }
        let totalStatic = reports.reduce(0) { $0 + $1.static_nats_per_char * Double($1.characters) }
        let totalDynamic = reports.reduce(0) { $0 + $1.dynamic_nats_per_char * Double($1.characters) }
        let characters = reports.reduce(0) { $0 + $1.characters }
        let total = Report(
            path: "total", bytes: reports.reduce(0) { $0 + $1.bytes }, characters: characters,
            static_nats_per_char: totalStatic / Double(max(1, characters)),
            dynamic_nats_per_char: totalDynamic / Double(max(1, characters)),
            change: totalStatic == 0 ? 0 : totalDynamic / totalStatic - 1,
            updates: reports.reduce(0) { $0 + $1.updates })
        if json {
            struct Output: Encodable {
                var settings: String
                var files: [Report]
                var total: Report
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let description = "\(rule) lr \(learningRate) span \(span) decay \(decay) frozen \(freeze)"
            let data = (try? encoder.encode(Output(settings: description, files: reports, total: total))) ?? Data()
            writeOut(String(decoding: data, as: UTF8.self) + "\n")
            return
        }
        writeOut(
            "file\tbytes\tchars\tstatic nats/char\tdynamic nats/char\tchange\tupdates"
                + (drift == nil ? "" : "\tdrift sample before\tafter\tchange") + "\n")
        for r in reports + (reports.count > 1 ? [total] : []) {
            var line =
                "\(r.path)\t\(r.bytes)\t\(r.characters)\t"
                + String(
                    format: "%.4f\t%.4f\t%+.1f%%\t%d", r.static_nats_per_char, r.dynamic_nats_per_char,
                    r.change * 100, r.updates)
            if let before = r.drift_static_nats_per_char, let after = r.drift_learned_nats_per_char {
                line += String(format: "\t%.4f\t%.4f\t%+.1f%%", before, after, (after / before - 1) * 100)
            }
            writeOut(line + "\n")
        }
    }
}
