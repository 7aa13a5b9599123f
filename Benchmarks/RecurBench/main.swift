// recur-bench: Recur's side of `make bench`, on the shapes of Benchmarks/pytorch_baseline.py.
// A char LSTM (and GRU) with 2 layers, embedding 64, hidden 256 and 512; random weights (speed does not depend on
// them), stored as float16 like the shipped model. Inference runs in each precision (f32, f16, int8) on 1 and 2
// threads; training on 2 threads. Prints medians over repeats; --json prints
// {"machine":{...},"results":{"256":{...},"512":{...}}} with keys such as "step_b1_us_int8_t2".
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
            Data(
                "usage: recur-bench [--hidden H...] [--repeats N] [--only step|prime|sample|train|roofline] [--json]\n"
                    .utf8))
        exit(2)
    }
}

@MainActor func wanted(_ name: String) -> Bool { only == nil || only == name }

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The CPU as /proc/cpuinfo names it, with the flags the kernels choose by.
func machine() -> [String: Any] {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    func field(_ name: String) -> String {
        info.split(separator: "\n").first { $0.hasPrefix(name) }.map {
            String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces)
        } ?? "?"
    }
    let flags = Set(field("flags").split(separator: " ").map(String.init))
    return [
        "cpu": field("model name"), "family": field("cpu family"), "model": field("model"),
        "avx2": flags.contains("avx2"), "avx512f": flags.contains("avx512f"),
        "avx512_vnni": flags.contains("avx512_vnni"), "avx512_bf16": flags.contains("avx512_bf16"),
        "cores": ProcessInfo.processInfo.activeProcessorCount,
        "int8_path": Int8KernelPath.best.description, "sgemm_path": SmallGEMM.description,
        "vector_math_path": VectorMath.path,
        "blas_core": BLASThreads.core,
        "openblas_coretype_env": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "",
    ]
}

/// Streaming read bandwidth (GB/s) over a buffer of `bytes`, read `passes` times: L2-sized and L3-sized buffers give
/// the roofline for a batch-1 step, whose weights stream from cache once per step.
func readBandwidth(bytes: Int, passes: Int) -> Double {
    let count = bytes / MemoryLayout<SIMD16<Float>>.size
    let data = [SIMD16<Float>](repeating: SIMD16(repeating: 1), count: count)
    var sink = SIMD16<Float>()
    let times = (0..<5).map { _ in
        seconds {
            data.withUnsafeBufferPointer { p in
                for _ in 0..<passes {
                    var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
                    var i = 0
                    while i + 4 <= count {
                        a += p[i]
                        b += p[i + 1]
                        c += p[i + 2]
                        d += p[i + 3]
                        i += 4
                    }
                    sink += a + b + c + d
                }
            }
        }
    }
    if sink[0] == -1 { print(sink) }
    return Double(bytes * passes) / median(times) / 1e9
}

var rng = SeededGenerator(seed: 1)
let text: [UInt8] = (0..<1_000_000).map { _ in UInt8(truncatingIfNeeded: 32 + rng.next() % 95) }
var results: [String: [String: Double]] = [:]
let precisions: [InferencePrecision] = [.single, .half, .int8]

/// Step, priming and sampling for one engine on `threads` threads, under keys suffixed `suffix`.
@MainActor func measureInference(
    _ engine: InferenceEngine, threads: Int, suffix: String, into r: inout [String: Double]
) {
    ThreadPool.threads = threads
    let config = engine.config
    let predictor = Predictor(engine: engine)
    // One step at batch 1, with the full next-byte distribution, as an editor needs per keystroke.
    let steps = config.hidden >= 512 ? 300 : 1000
    if wanted("step") {
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
        // Weight bytes a step reads: the products' copies (float32 for f32).
        let weightBytes =
            engine.packedByteCount > 0
            ? engine.packedByteCount
            : (config.layers * 2 * config.gateWidth * config.hidden + config.vocab * config.hidden) * 4
        r["step_weight_bytes" + suffix] = Double(weightBytes)
    }
    // Priming 2,000 bytes: the layer-by-layer span path, no head.
    let span = Array(text[0..<2000])
    if wanted("prime") {
        r["prime_2000_ms" + suffix] = median(
            (0..<repeats).map { _ in
                var state = RecurrentState(config: config)
                return seconds { predictor.advance(&state, through: span) } * 1e3
            })
    }
    // 5 samples × 40 bytes from a state primed on 100 bytes, advanced as one batch.
    var primed = RecurrentState(config: config)
    predictor.advance(&primed, through: text[0..<100])
    if wanted("sample") {
        r["sample_5x40_ms" + suffix] = median(
            (0..<repeats).map { i in
                let options = SamplingOptions(count: 5, temperature: 1, maxBytes: 40, stop: .none, seed: UInt64(i))
                return seconds { _ = Sampler.sample(predictor, from: primed, options: options) } * 1e3
            })
    }
}

/// Training throughput: batch 32, sequence 100, Adam, clipping; both cores.
@MainActor func measureTraining(_ model: LanguageModel<Float>) -> Double {
    BLASThreads.set(2)
    defer { BLASThreads.set(1) }
    let corpus = try! Corpus(texts: [("random", text)], validationFraction: 0)
    var options = TrainingOptions()
    options.batchSize = 32
    options.sequenceLength = 100
    options.threads = 2
    options.validationInterval = Int.max
    let trainSteps = model.config.hidden >= 512 ? 8 : 20
    return median(
        (0..<max(1, repeats / 2)).map { _ in
            options.budget = .steps(3)
            try! Trainer(model: model, corpus: corpus, options: options).run()  // warm caches and the BLAS pool
            options.budget = .steps(trainSteps)
            let timed = try! Trainer(model: model, corpus: corpus, options: options)
            return Double(trainSteps * 32 * 100) / seconds { try! timed.run() }
        })
}

BLASThreads.set(1)
var machineInfo = machine()
if wanted("roofline") || wanted("step") {
    machineInfo["l2_read_gb_per_s"] = readBandwidth(bytes: 256 * 1024, passes: 400)
    machineInfo["l3_read_gb_per_s"] = readBandwidth(bytes: 32 * 1024 * 1024, passes: 4)
}

for hidden in hiddens {
    var r: [String: Double] = [:]
    for cell in [CellKind.lstm, .gru] {
        let config = ModelConfig(cell: cell, layers: 2, hidden: hidden, embedding: 64)
        var model = LanguageModel<Float>(config: config, seed: 7)
        // Stored as float16, like the shipped default model.
        model.parameters = model.parameters.map { Float(Float16($0)) }
        let cellSuffix = cell == .lstm ? "" : "_gru"
        // LSTM in every precision; GRU in the default one.
        for precision in cell == .lstm ? precisions : [InferencePrecision.standard] {
            let engine = InferenceEngine(model: model, precision: precision)
            for threads in [1, 2] {
                measureInference(
                    engine, threads: threads, suffix: "\(cellSuffix)_\(precision.rawValue)_t\(threads)", into: &r)
            }
        }
        if wanted("train") { r["train_bytes_per_s" + cellSuffix] = measureTraining(model) }
    }
    results[String(hidden)] = r
}

if json {
    let object: [String: Any] = ["engine": "recur", "machine": machineInfo, "results": results]
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print(machineInfo.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n"))
    for (hidden, r) in results.sorted(by: { Int($0.key)! < Int($1.key)! }) {
        print("hidden \(hidden):")
        for (key, value) in r.sorted(by: { $0.key < $1.key }) { print("  \(key): \(String(format: "%.2f", value))") }
    }
}
