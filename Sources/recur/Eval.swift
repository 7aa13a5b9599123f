import ArgumentParser
import Foundation
import RecurKernels
import RecurModel

extension Recur {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score files with the model, each read as one stream with its state carried throughout.",
            discussion: "Reports nats per byte, and nats and bits per character (total nats over Unicode scalars).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup(title: "Keystroke savings") var ksr: KeystrokeSavingsOptions

        @Argument(help: "Text files to score.")
        var files: [String]

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("name at least one file to score") }
        }

        struct Score: Encodable {
            var path: String
            var bytes: Int
            var characters: Int
            var nats: Double
            var nats_per_byte: Double
            var nats_per_char: Double
            var bits_per_char: Double

            init(path: String, bytes: Int, characters: Int, nats: Double) {
                self.path = path
                self.bytes = bytes
                self.characters = characters
                self.nats = nats
                nats_per_byte = bytes == 0 ? 0 : nats / Double(bytes)
                nats_per_char = characters == 0 ? 0 : nats / Double(characters)
                bits_per_char = nats_per_char / log(2)
            }
        }

        func run() throws {
            global.bootstrap()
            BLASThreads.set(1)
            let predictor = Predictor(engine: InferenceEngine(model: try model.load()))
            if ksr.enabled {
                var texts: [(String, [UInt8])] = []
                for path in files {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw CommandFailure("cannot read \(path)")
                    }
                    texts.append((path, [UInt8](data)))
                }
                try ksr.run(files: texts, predictor: predictor, json: json)
                return
            }
            var scores: [Score] = []
            for path in files {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                    throw CommandFailure("cannot read \(path): \(error.localizedDescription)")
                }
                let bytes = [UInt8](data)
                let characters = String(decoding: bytes, as: UTF8.self).unicodeScalars.count
                scores.append(
                    Score(
                        path: path, bytes: bytes.count, characters: characters,
                        nats: predictor.negativeLogLikelihood(of: bytes)))
            }
            let total = Score(
                path: "total", bytes: scores.reduce(0) { $0 + $1.bytes },
                characters: scores.reduce(0) { $0 + $1.characters },
                nats: scores.reduce(0) { $0 + $1.nats })
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
                writeOut("file\tbytes\tchars\tnats/byte\tnats/char\tbits/char\n")
                for s in scores + (scores.count > 1 ? [total] : []) {
                    writeOut(
                        "\(s.path)\t\(s.bytes)\t\(s.characters)\t"
                            + String(format: "%.4f\t%.4f\t%.4f\n", s.nats_per_byte, s.nats_per_char, s.bits_per_char))
                }
            }
        }
    }
}
