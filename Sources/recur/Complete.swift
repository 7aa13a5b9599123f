import ArgumentParser
import Foundation
import RecurKernels
import RecurModel

extension Recur {
    struct Complete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print sampled completions of a prefix, most probable first.",
            discussion: "The prefix is TEXT, or standard input when TEXT is absent. Duplicates are merged.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions
        @OptionGroup(title: "Inference") var inference: InferenceOptions

        @Option(name: .customLong("n"), help: "How many samples to draw (distinct ones are printed).")
        var count: Int = 5

        @Option(name: .customLong("max-chars"), help: "Longest completion, in bytes.")
        var maxChars: Int = 40

        @Option(help: "Where a completion stops: word, line or none.")
        var stop: StopRule = .word

        @OptionGroup var sampling: SamplingArguments

        @Flag(help: "Print JSON: {\"completions\":[{\"text\",\"logprob\",\"probability\"}]}.")
        var json = false

        @Flag(help: "Report on stderr how long priming and sampling took.")
        var timing = false

        @Flag(
            help: """
                Print ghost text as the daemon offers it: lines cut back to the last word edge the model gives at \
                least --min-probability, and the best endings of the word at the end of TEXT; most characters \
                expected to be saved first. --stop does not apply.
                """)
        var inline = false

        @Option(
            name: .customLong("min-probability"),
            help: "With --inline: the least probability of ghost text (0: whole lines).")
        var minProbability: Double = InlineCompletion.defaultMinimumProbability

        @Flag(
            name: .customLong("word-filter"), inversion: .prefixedNo,
            help: "Leave out completions that complete a word of the offensive-word list.")
        var wordFilter = true

        @Argument(help: "The prefix to complete.")
        var text: String?

        func validate() throws {
            guard (0..<1).contains(minProbability) else { throw ValidationError("--min-probability must be in [0, 1)") }
            try SamplingArguments.check { () throws(InvalidSetting) in
                _ = try SamplingOptions().setting(n: count, maxChars: maxChars)
            }
        }

        func run() throws {
            global.bootstrap()
            let prefix: [UInt8]
            if let text {
                prefix = Array(text.utf8)
            } else {
                prefix = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            }
            let predictor = Predictor(engine: inference.engine(try model.load()))
            var state = RecurrentState(config: predictor.config)
            let started = DispatchTime.now().uptimeNanoseconds
            predictor.advance(&state, through: prefix)
            let primed = DispatchTime.now().uptimeNanoseconds
            let filter = SuggestionFilter(blocking: wordFilter)
            var options = sampling.options(count: count, maxBytes: maxChars, stop: stop)
            let completions: [Completion]
            if inline {
                options.minimumProbability = minProbability
                let word = Array(prefix[WordCompletion.typedWord(in: prefix, endingAt: prefix.count)])
                completions = InlineCompletion.suggestions(
                    predictor, from: state, options: options, filter: filter, before: prefix[...],
                    word: (word, WordFrequencies(scanning: prefix[...], prefix: word)))
            } else {
                completions = filter.apply(
                    Sampler.sample(predictor, from: state, options: options), before: prefix[...])
            }
            let sampled = DispatchTime.now().uptimeNanoseconds
            if timing {
                let message = String(
                    format: "primed %d bytes in %.2f ms; drew %d samples in %.2f ms\n", prefix.count,
                    Double(primed - started) / 1e6, count, Double(sampled - primed) / 1e6)
                FileHandle.standardError.write(Data(message.utf8))
            }
            if json {
                struct Item: Encodable {
                    var text: String
                    var logprob: Double
                    var probability: Double
                }
                struct Output: Encodable { var completions: [Item] }
                let output = Output(
                    completions: completions.map {
                        Item(text: $0.text, logprob: $0.logprob, probability: $0.probability)
                    })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                writeOut(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n")
            } else {
                for c in completions {
                    writeOut(String(format: "%7.4f  ", c.probability) + c.text.debugDescriptionWithoutQuotes + "\n")
                }
            }
        }
    }
}

extension String {
    /// Escapes newlines and tabs so that each completion stays on one line.
    var debugDescriptionWithoutQuotes: String {
        replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r", with: "\\r")
    }
}
