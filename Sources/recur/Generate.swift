import ArgumentParser
import Foundation
import RecurModel

extension Recur {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate text from a prompt, one byte at a time, feeding each back in.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions
        @OptionGroup(title: "Inference") var inference: InferenceOptions

        @Option(help: "Text to prime the model with.")
        var prompt: String = "\n"

        @Option(help: "Bytes to generate.")
        var length: Int = 400

        @Flag(help: "Always take the most probable byte (it tends to loop).")
        var greedy = false

        @OptionGroup var sampling: SamplingArguments

        func validate() throws {
            guard length > 0, length <= 10_000_000 else {
                throw ValidationError("--length must be between 1 and 10000000")
            }
        }

        func run() throws {
            global.bootstrap()
            let predictor = Predictor(engine: inference.engine(try model.load()))
            var state = RecurrentState(config: predictor.config)
            predictor.advance(&state, through: Array(prompt.utf8))
            writeOut(prompt)
            // Generate in pieces so that output streams; each piece continues from the last one's state.
            var remaining = length
            var options = sampling.options(count: 1, maxBytes: 0, stop: .none, greedy: greedy)
            var pending: [UInt8] = []
            while remaining > 0 {
                options.maxBytes = min(remaining, 256)
                guard let piece = Sampler.sample(predictor, from: state, options: options).first else { break }
                remaining -= piece.bytes.count
                state = piece.state
                options.seed &+= 1
                pending += piece.bytes
                let tail = ByteVocabulary.incompleteTailLength(pending)
                writeOut(String(decoding: pending.dropLast(tail), as: UTF8.self))
                pending = Array(pending.suffix(tail))
            }
            writeOut("\n")
        }
    }
}
