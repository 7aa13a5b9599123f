import ArgumentParser
import Foundation
import RecurAdaptation
import RecurEvaluation
import RecurKernels
import RecurModel
import RecurTraining

extension Recur {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score files with the model, each read as one stream with its state carried throughout.",
            discussion: """
                Reports nats per byte, and nats and bits per character (total nats over Unicode scalars). \
                With --baseline-corpus, a character n-gram trained on that text is scored beside the model. \
                With --ksr, simulates a user typing each file and reports keystroke savings instead \
                (with --inline, with the daemon's ghost text rather than its completion list). \
                With --dynamic, scores each file while learning from it, beside the static score.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions
        @OptionGroup(title: "Inference") var inference: InferenceOptions

        @Flag(help: "Print JSON.")
        var json = false

        @Option(
            name: .customLong("validation-split"),
            help: "Use only the last fraction of each file: the part `train --val-fraction` holds out.")
        var validationSplit: Double?

        @Flag(name: .customLong("strip-separators"), help: "Drop '==== FILE: ... ====' lines, as `train` can.")
        var stripSeparators = false

        @Option(
            name: .customLong("baseline-corpus"), parsing: .upToNextOption,
            help: """
                Text a character n-gram baseline trains on (with --validation-split, only the training part of \
                each file). Put it after the files to score.
                """)
        var baselineCorpus: [String] = []

        @Option(name: .customLong("ngram-order"), help: "Order of the character n-gram baseline (1 to 7).")
        var ngramOrder: Int = 5

        @Option(
            help: """
                Score each byte from the state the daemon's window rule allows (reset every N bytes, so 1 to 2·N \
                bytes of context) instead of the whole text before it.
                """)
        var window: Int?

        @OptionGroup(title: "Keystroke savings") var ksr: KeystrokeSavingsOptions

        @OptionGroup(title: "Dynamic evaluation") var dynamic: DynamicEvaluationOptions

        @Argument(help: "Text files to score.")
        var files: [String]

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("name at least one file to score") }
            if let validationSplit, !(validationSplit > 0 && validationSplit <= 0.9) {
                throw ValidationError("--validation-split must be in (0, 0.9]")
            }
            if let window, window < 1 { throw ValidationError("--window must be positive") }
            guard (1...7).contains(ngramOrder) else { throw ValidationError("--ngram-order must be between 1 and 7") }
            if dynamic.enabled && (window != nil || (!ksr.enabled && !baselineCorpus.isEmpty)) {
                throw ValidationError(
                    "--dynamic does not combine with --window, or with --baseline-corpus without --ksr")
            }
        }

        struct Score: Encodable {
            var path: String
            var bytes: Int
            var characters: Int
            var nats: Double
            var nats_per_byte: Double
            var nats_per_char: Double
            var bits_per_char: Double
            var baseline_nats_per_char: Double?

            init(path: String, bytes: Int, characters: Int, nats: Double, baselineNats: Double? = nil) {
                self.path = path
                self.bytes = bytes
                self.characters = characters
                self.nats = nats
                nats_per_byte = bytes == 0 ? 0 : nats / Double(bytes)
                nats_per_char = characters == 0 ? 0 : nats / Double(characters)
                bits_per_char = nats_per_char / log(2)
                baseline_nats_per_char = baselineNats.map { characters == 0 ? 0 : $0 / Double(characters) }
            }
        }

        /// Each file's text: whole, or its held-out tail; `trainingPart` gives the rest instead.
        func texts(_ paths: [String], trainingPart: Bool = false) throws -> [(String, [UInt8])] {
            try paths.map { path in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CommandFailure("cannot read \(path)")
                }
                guard !data.isEmpty else { return (path, []) }
                do {
                    let corpus = try Corpus(
                        texts: [(path, [UInt8](data))], validationFraction: validationSplit ?? 0,
                        stripSeparators: stripSeparators)
                    let document = corpus.documents[0]
                    return (path, validationSplit == nil || trainingPart ? document.train : document.validation)
                } catch {
                    throw CommandFailure(String(describing: error))
                }
            }
        }

        func run() throws {
            global.bootstrap()
            let loaded = try model.load()
            let scored = try texts(files).map { ($0.0, ksr.maxBytes > 0 ? Array($0.1.prefix(ksr.maxBytes)) : $0.1) }
            if dynamic.enabled && !ksr.enabled {
                try dynamic.run(files: scored, model: loaded, json: json)
                return
            }
            let baseline: CharNGram? =
                baselineCorpus.isEmpty
                ? nil : CharNGram(order: ngramOrder, texts: try texts(baselineCorpus, trainingPart: true).map(\.1))
            if ksr.enabled {
                let learning =
                    dynamic.enabled
                    ? OnlineLearning.Settings(
                        dynamic: dynamic.settings, contextBytes: OnlineLearning.Settings.standard.contextBytes) : nil
                try ksr.run(
                    files: scored, model: loaded, ngram: baseline, learning: learning, inference: inference, json: json)
                return
            }
            let predictor = Predictor(engine: inference.engine(loaded))
            var scores: [Score] = []
            for (path, bytes) in scored {
                let characters = String(decoding: bytes, as: UTF8.self).unicodeScalars.count
                scores.append(
                    Score(
                        path: path, bytes: bytes.count, characters: characters,
                        nats: window.map {
                            predictor.negativeLogLikelihood(of: bytes, window: ContextWindow(interval: $0))
                        }
                            ?? predictor.negativeLogLikelihood(of: bytes),
                        baselineNats: baseline?.negativeLogLikelihood(of: bytes)))
            }
            let total = Score(
                path: "total", bytes: scores.reduce(0) { $0 + $1.bytes },
                characters: scores.reduce(0) { $0 + $1.characters }, nats: scores.reduce(0) { $0 + $1.nats },
                baselineNats: baseline == nil
                    ? nil
                    : scores.reduce(0) { $0 + ($1.baseline_nats_per_char ?? 0) * Double($1.characters) })
            if json {
                struct Output: Encodable {
                    var files: [Score]
                    var total: Score
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                writeOut(
                    String(decoding: try encoder.encode(Output(files: scores, total: total)), as: UTF8.self) + "\n")
            } else {
                let extra = baseline == nil ? "" : "\t\(ngramOrder)-gram nats/char"
                writeOut("file\tbytes\tchars\tnats/byte\tnats/char\tbits/char\(extra)\n")
                for s in scores + (scores.count > 1 ? [total] : []) {
                    writeOut(
                        "\(s.path)\t\(s.bytes)\t\(s.characters)\t"
                            + String(format: "%.4f\t%.4f\t%.4f", s.nats_per_byte, s.nats_per_char, s.bits_per_char)
                            + (s.baseline_nats_per_char.map { String(format: "\t%.4f", $0) } ?? "") + "\n")
                }
            }
        }
    }
}
