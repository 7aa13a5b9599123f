// recur-bench: Recur's side of `make bench`, on the shapes of Benchmarks/pytorch_baseline.py.
// A char LSTM with 2 layers, embedding 64, hidden 256 and 512; random weights (speed does not depend on them).
// Prints medians over repeats; --json prints {"threads":{...},"results":{"256":{...},"512":{...}}}.
import Foundation
import RecurKernels
import RecurModel
import RecurTraining

var hiddens = [256, 512]
var repeats = 5
var json = false
var only: String?
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--json": json = true
    case "--only": only = args.popFirst()
    case "--repeats": repeats = Int(args.popFirst() ?? "") ?? repeats
    case "--hidden":
        hiddens = []
        while let next = args.first, let h = Int(next) {
            hiddens.append(h)
            args.removeFirst()
        }
    default:
        FileHandle.standardError.write(
            Data("usage: recur-bench [--hidden H...] [--repeats N] [--only step|prime|sample|train] [--json]\n".utf8))
        exit(2)
    }
}

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

var rng = SeededGenerator(seed: 1)
let text: [UInt8] = (0..<1_000_000).map { _ in UInt8(truncatingIfNeeded: 32 + rng.next() % 95) }
var results: [String: [String: Double]] = [:]

for hidden in hiddens {
    let config = ModelConfig(cell: .lstm, layers: 2, hidden: hidden, embedding: 64)
    var model = LanguageModel<Float>(config: config, seed: 7)
    // Stored as float16, like the shipped default model: inference then runs on the half-precision kernels.
    model.parameters = model.parameters.map { Float(Float16($0)) }
    let engines = [("", InferenceEngine(model: model)), ("_f32", InferenceEngine(model: model, precision: .single))]
    var r: [String: Double] = [:]
    BLASThreads.set(1)

    for (suffix, engine) in engines {
        let predictor = Predictor(engine: engine)
        // One step at batch 1, with the full next-byte distribution, as an editor needs per keystroke.
        let steps = hidden >= 512 ? 300 : 1000
        if only == nil || only == "step" {
            r["step_b1_us" + suffix] = median(
                (0..<repeats).map { _ in
                    var state = RecurrentState(config: config)
                    return seconds {
                        for i in 0..<steps {
                            predictor.step(&state, bytes: [text[i]])
                            _ = predictor.logProbabilities(state)
                        }
                    } / Double(steps) * 1e6
                })
        }

        // Priming 2,000 bytes: the layer-by-layer span path, no head.
        let span = Array(text[0..<2000])
        if only == nil || only == "prime" {
            r["prime_2000_ms" + suffix] = median(
                (0..<repeats).map { _ in
                    var state = RecurrentState(config: config)
                    return seconds { predictor.advance(&state, through: span) } * 1e3
                })
        }

        // 5 samples × 40 bytes from a state primed on 100 bytes, advanced as one batch.
        var primed = RecurrentState(config: config)
        predictor.advance(&primed, through: text[0..<100])
        if only == nil || only == "sample" {
            r["sample_5x40_ms" + suffix] = median(
                (0..<repeats).map { i in
                    let options = SamplingOptions(count: 5, temperature: 1, maxBytes: 40, stop: .none, seed: UInt64(i))
                    return seconds { _ = Sampler.sample(predictor, from: primed, options: options) } * 1e3
                })
        }
    }

    // Training throughput: batch 32, sequence 100, Adam, clipping; both cores.
    BLASThreads.set(2)
    let corpus = try Corpus(texts: [("random", text)], validationFraction: 0)
    var options = TrainingOptions()
    options.batchSize = 32
    options.sequenceLength = 100
    options.threads = 2
    options.validationInterval = Int.max
    let trainSteps = hidden >= 512 ? 8 : 20
    if only == nil || only == "train" {
        r["train_bytes_per_s"] = median(
            (0..<max(1, repeats / 2)).map { _ in
                options.budget = .steps(3)
                try! Trainer(model: model, corpus: corpus, options: options).run()  // warm caches and the BLAS pool
                options.budget = .steps(trainSteps)
                let timed = try! Trainer(model: model, corpus: corpus, options: options)
                return Double(trainSteps * 32 * 100) / seconds { try! timed.run() }
            })
    }
    results[String(hidden)] = r
}

if json {
    let object: [String: Any] = ["engine": "recur", "results": results]
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    for (hidden, r) in results.sorted(by: { Int($0.key)! < Int($1.key)! }) {
        print("hidden \(hidden):")
        for (key, value) in r.sorted(by: { $0.key < $1.key }) { print("  \(key): \(String(format: "%.2f", value))") }
    }
}
