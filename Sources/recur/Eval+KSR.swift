import ArgumentParser
import Foundation
import RecurAdaptation
import RecurEvaluation
import RecurModel

/// Options of `recur eval --ksr`.
struct KeystrokeSavingsOptions: ParsableArguments {
    @Flag(name: .customLong("ksr"), help: "Simulate typing each file and report keystroke savings against baselines.")
    var enabled = false

    @Option(help: "Completions shown to the simulated user.")
    var top: Int = 3

    @Option(name: .customLong("min-prefix"), help: "Characters typed before completions are offered.")
    var minPrefix: Int = 0

    @Option(
        name: .customLong("max-bytes"),
        help: "Score (with --ksr, simulate) at most this many bytes of each file, from its start (0: all).")
    var maxBytes: Int = 0

    @Option(help: "Beam width of the search for the model's most probable word endings.")
    var beam: Int = WordCompletion.Options().beamWidth

    @Option(
        name: .customLong("model-weight"),
        help: "Weight of the model against the words already typed (1: the model alone), as the daemon uses it.")
    var modelWeight: Double = WordCompletion.Options().modelWeight

    @Flag(
        name: .customLong("inline"),
        help: "With --ksr: simulate ghost text (the daemon's inline completion) instead of the completion list.")
    var inline = false

    @Option(
        name: .customLong("inline-min-probability"),
        help: "With --inline: cut ghost text back to the last word edge the model is this sure of (0: whole lines).")
    var inlineMinimumProbability: Double = InlineCompletion.defaultMinimumProbability

    @Flag(
        name: .customLong("inline-no-words"),
        help: "With --inline: sampled lines only, without the best endings of the word at the cursor.")
    var inlineWithoutWords = false

    func validate() throws {
        guard (0..<1).contains(inlineMinimumProbability) else {
            throw ValidationError("--inline-min-probability must be in [0, 1)")
        }
        guard top >= 1, minPrefix >= 0, beam >= 1, maxBytes >= 0 else {
            throw ValidationError("--top and --beam must be positive; --min-prefix and --max-bytes not negative")
        }
        guard (0...1).contains(modelWeight) else { throw ValidationError("--model-weight must be in [0, 1]") }
    }

    struct Report: Encodable {
        var path: String
        var bytes: Int
        var recur: KeystrokeSavings
        /// Recur learning from each line once it is typed, as the daemon does (`--dynamic`).
        var recur_learning: KeystrokeSavings?
        var learning_updates: Int?
        var buffer_words: KeystrokeSavings
        var ngram: KeystrokeSavings?
    }

    /// `learning`: also simulate the user with Recur learning as they type (`--dynamic`).
    func run(
        files: [(String, [UInt8])], model: LanguageModel<Float>, ngram: CharNGram?,
        learning: OnlineLearning.Settings?, inference: InferenceOptions, json: Bool
    ) throws {
        let predictor = Predictor(engine: inference.engine(model))
        if inline {
            try runInline(files: files, predictor: predictor, json: json)
            return
        }
        var reports: [Report] = []
        let options = WordCompletion.Options(count: top, beamWidth: beam, maxBytes: 32, modelWeight: modelWeight)
        for (path, all) in files {
            let text = all  // already cut to --max-bytes by `eval`
            var completer = ModelWordCompleter(predictor: predictor, options: options)
            var buffer = BufferWordCompleter()
            var report = Report(
                path: path, bytes: text.count,
                recur: KeystrokeSavings.simulate(
                    text: text, completer: &completer, top: top, minimumPrefix: minPrefix),
                buffer_words: KeystrokeSavings.simulate(
                    text: text, completer: &buffer, top: top, minimumPrefix: minPrefix))
            if let learning {
                // Each file starts from the model's own weights.
                var learner = LearningWordCompleter(
                    model: model, options: options, settings: learning, precision: inference.precision)
                report.recur_learning = KeystrokeSavings.simulate(
                    text: text, completer: &learner, top: top, minimumPrefix: minPrefix)
                report.learning_updates = learner.learning.counters.updates
            }
            if let ngram {
                var completer = NGramWordCompleter(model: ngram)
                report.ngram = KeystrokeSavings.simulate(
                    text: text, completer: &completer, top: top, minimumPrefix: minPrefix)
            }
            reports.append(report)
        }
        if json {
            struct Output: Encodable {
                var top: Int
                var min_prefix: Int
                var files: [Report]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Output(top: top, min_prefix: minPrefix, files: reports))
            writeOut(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            writeOut("file\tcompleter\tsavings\taccepted\tkeystrokes\twithout\tmean ms\n")
            for r in reports {
                let rows =
                    [("recur", r.recur)] + (r.recur_learning.map { [("recur+learning", $0)] } ?? [])
                    + [("buffer-words", r.buffer_words)] + (r.ngram.map { [("ngram", $0)] } ?? [])
                for (name, s) in rows {
                    writeOut(
                        "\(r.path)\t\(name)\t" + String(format: "%.1f%%", s.savings * 100)
                            + "\t\(s.acceptedCompletions)\t\(s.keystrokesWith)\t\(s.keystrokesWithout)\t"
                            + String(format: "%.2f\n", s.meanLatencyMilliseconds))
                }
            }
        }
    }
}

extension KeystrokeSavingsOptions {
    /// `--inline`: each file typed with the daemon's ghost text (first item, as typing triggers it).
    func runInline(files: [(String, [UInt8])], predictor: Predictor, json: Bool) throws {
        struct Report: Encodable {
            var path: String
            var bytes: Int
            var min_probability: Double
            var recur_inline: InlineSavings
        }
        var options = SamplingOptions.completionDefaults
        options.minimumProbability = inlineMinimumProbability
        var reports: [Report] = []
        for (path, text) in files {
            var completer = ModelInlineCompleter(
                predictor: predictor, options: options, completesWords: !inlineWithoutWords)
            reports.append(
                Report(
                    path: path, bytes: text.count, min_probability: inlineMinimumProbability,
                    recur_inline: InlineSavings.simulate(text: text, completer: &completer)))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            writeOut(String(decoding: try encoder.encode(reports), as: UTF8.self) + "\n")
            return
        }
        writeOut("file\tmin p\tsavings\tshown\ttaken\tprecision\tchars/taken\tkeystrokes\twithout\tmean ms\n")
        for r in reports {
            let s = r.recur_inline
            writeOut(
                "\(r.path)\t\(r.min_probability)\t" + String(format: "%.1f%%", s.savings * 100)
                    + "\t\(s.shown)\t\(s.accepted)\t" + String(format: "%.1f%%", s.precision * 100) + "\t"
                    + String(format: "%.1f", Double(s.acceptedCharacters) / Double(max(s.accepted, 1)))
                    + "\t\(s.keystrokesWith)\t\(s.keystrokesWithout)\t"
                    + String(format: "%.2f\n", s.meanLatencyMilliseconds))
        }
    }
}

/// Recur's completer learning as the user types, as the daemon does: each line settles when the newline after it
/// is typed, goes to `OnlineLearning` (secret lines skipped, one update per span gathered), and new weights are
/// used from the next keystroke on, with the state carried forward.
struct LearningWordCompleter: WordCompleter {
    private let completer: ModelWordCompleter
    private(set) var learning: OnlineLearning
    private var typed: [UInt8] = []
    private var settled = 0

    private let precision: InferencePrecision

    init(
        model: LanguageModel<Float>, options: WordCompletion.Options, settings: OnlineLearning.Settings,
        precision: InferencePrecision
    ) {
        self.precision = precision
        completer = ModelWordCompleter(
            predictor: Predictor(engine: InferenceEngine(model: model, precision: precision)), options: options)
        learning = OnlineLearning(start: model, anchor: model, settings: settings)
    }

    mutating func type(_ byte: UInt8) {
        completer.type(byte)
        typed.append(byte)
        guard byte == 0x0A else { return }
        if learning.add(LearningText(excerptOf: typed, range: settled..<typed.count)) {
            // In the daemon's precision, as its learner publishes them.
            completer.predictor = Predictor(engine: InferenceEngine(model: learning.model, precision: precision))
        }
        settled = typed.count
    }

    mutating func completions(top: Int) -> [[UInt8]] { completer.completions(top: top) }
}
