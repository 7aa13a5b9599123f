import Foundation
import RecurKernels
import Testing

@testable import RecurModel

@Suite struct SamplerTests {
    static func predictor(cell: CellKind = .lstm) -> (Predictor, RecurrentState) {
        let config = ModelConfig(cell: cell, layers: 2, hidden: 16, embedding: 8)
        var model = LanguageModel<Float>(config: config, seed: 11)
        // Sharpen the head so that distributions are peaked, as a trained model's are.
        let head = model.layout.headWeight
        for i in head..<(head + 256 * 16) { model.parameters[i] *= 6 }
        let predictor = Predictor(engine: InferenceEngine(model: model))
        var state = RecurrentState(config: config)
        predictor.advance(&state, through: Array("Once upon a ti".utf8))
        return (predictor, state)
    }

    @Test func sameSeedSameOutput() {
        let (p, s) = Self.predictor()
        let options = SamplingOptions(count: 5, temperature: 1, maxBytes: 20, stop: .none, seed: 42)
        let a = Sampler.sample(p, from: s, options: options).map(\.bytes)
        let b = Sampler.sample(p, from: s, options: options).map(\.bytes)
        #expect(a == b)
        var other = options
        other.seed = 43
        #expect(Sampler.sample(p, from: s, options: other).map(\.bytes) != a)
    }

    @Test func nearZeroTemperatureEqualsGreedy() {
        let (p, s) = Self.predictor()
        let greedy = Sampler.sample(
            p, from: s, options: SamplingOptions(count: 1, temperature: 0, maxBytes: 30, stop: .none))
        let cold = Sampler.sample(
            p, from: s, options: SamplingOptions(count: 4, temperature: 1e-5, maxBytes: 30, stop: .none, seed: 9))
        #expect(greedy.count == 1)
        #expect(cold.map(\.bytes) == greedy.map(\.bytes))
        // Greedy is the argmax at every step.
        var state = s
        for byte in greedy[0].bytes {
            let logp = Array(p.logProbabilities(state))
            #expect(Int(byte) == logp.indices.max { logp[$0] < logp[$1] })
            p.step(&state, bytes: [byte])
        }
    }

    @Test(arguments: [1, 3, 10])
    func topKNeverLeavesTheTopK(k: Int) {
        let (p, s) = Self.predictor()
        let logp = Array(p.logProbabilities(s))
        let allowed = Set(logp.indices.sorted { logp[$0] > logp[$1] }.prefix(k).map(UInt8.init))
        var rng = SeededGenerator(seed: 1)
        var weights = [Float](repeating: 0, count: 256), order = [Int](repeating: 0, count: 256)
        let options = SamplingOptions(temperature: 2, topK: k)
        logp.withUnsafeBufferPointer { row in
            for _ in 0..<2000 {
                let byte = Sampler.draw(row, options: options, rng: &rng, weights: &weights, order: &order)
                #expect(allowed.contains(byte))
            }
        }
    }

    @Test func topPKeepsTheSmallestNucleus() {
        let (p, s) = Self.predictor()
        let logp = Array(p.logProbabilities(s))
        let sorted = logp.indices.sorted { logp[$0] > logp[$1] }
        var cumulative: Float = 0
        var nucleus = Set<UInt8>()
        for b in sorted {
            nucleus.insert(UInt8(b))
            cumulative += exp(logp[b])
            if cumulative >= 0.5 { break }
        }
        var rng = SeededGenerator(seed: 2)
        var weights = [Float](repeating: 0, count: 256), order = [Int](repeating: 0, count: 256)
        let options = SamplingOptions(temperature: 1, topP: 0.5)
        var seen = Set<UInt8>()
        logp.withUnsafeBufferPointer { row in
            for _ in 0..<3000 {
                seen.insert(Sampler.draw(row, options: options, rng: &rng, weights: &weights, order: &order))
            }
        }
        #expect(seen.isSubset(of: nucleus))
        #expect(seen == nucleus || nucleus.count > 20)
    }

    /// At temperature 1 the empirical distribution matches the softmax: chi-square at a fixed seed.
    @Test func temperatureOneMatchesSoftmax() {
        let config = ModelConfig(cell: .gru, layers: 1, hidden: 8, embedding: 4)
        let model = LanguageModel<Float>(config: config, seed: 21)  // a flat-ish distribution: many bins
        let p = Predictor(engine: InferenceEngine(model: model))
        var state = RecurrentState(config: config)
        p.advance(&state, through: Array("abc".utf8))
        let logp = Array(p.logProbabilities(state))
        let draws = 60_000
        var counts = [Int](repeating: 0, count: 256)
        var rng = SeededGenerator(seed: 1234)
        var weights = [Float](repeating: 0, count: 256), order = [Int](repeating: 0, count: 256)
        let options = SamplingOptions(temperature: 1)
        logp.withUnsafeBufferPointer { row in
            for _ in 0..<draws {
                counts[Int(Sampler.draw(row, options: options, rng: &rng, weights: &weights, order: &order))] += 1
            }
        }
        // Pool bins with expected count below 5 into one.
        var chi2 = 0.0, bins = 0, pooledExpected = 0.0, pooledObserved = 0.0
        for b in 0..<256 {
            let expected = Double(exp(logp[b])) * Double(draws)
            if expected < 5 {
                pooledExpected += expected
                pooledObserved += Double(counts[b])
            } else {
                chi2 += pow(Double(counts[b]) - expected, 2) / expected
                bins += 1
            }
        }
        if pooledExpected >= 5 {
            chi2 += pow(pooledObserved - pooledExpected, 2) / pooledExpected
            bins += 1
        }
        let df = Double(bins - 1)
        // Wilson–Hilferty: the 99.9th percentile of chi-square with df degrees of freedom.
        let z = 3.090
        let critical = df * pow(1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot(), 3)
        #expect(bins > 50, "the test needs many bins to mean anything")
        #expect(chi2 < critical, "chi2 \(chi2) with \(bins) bins, critical \(critical)")
    }

    @Test func stopRulesAndLogprobs() {
        let (p, s) = Self.predictor()
        for rule in StopRule.allCases {
            let results = Sampler.sample(
                p, from: s, options: SamplingOptions(count: 8, temperature: 1.2, maxBytes: 25, stop: rule, seed: 5))
            #expect(!results.isEmpty)
            #expect(Set(results.map(\.bytes)).count == results.count, "distinct")
            #expect(zip(results, results.dropFirst()).allSatisfy { $0.logprob >= $1.logprob }, "most probable first")
            for c in results {
                #expect(c.bytes.count <= 25)
                #expect(ByteVocabulary.incompleteTailLength(c.bytes) == 0)
                switch rule {
                case .word:
                    // Optional leading non-word bytes, then word bytes only; never a newline.
                    let word = c.bytes.drop { !ByteVocabulary.isWordByte($0) }
                    #expect(word.allSatisfy(ByteVocabulary.isWordByte))
                    #expect(!c.bytes.contains(0x0A))
                case .line: #expect(!c.bytes.contains(0x0A))
                case .none: break
                }
                // The logprob is the model's: recompute it byte by byte.
                var state = s
                var total = 0.0
                for byte in c.bytes {
                    total += Double(p.logProbabilities(state)[Int(byte)])
                    p.step(&state, bytes: [byte])
                }
                #expect(InferenceTests.close(state.values, c.state.values, tolerance: 1e-5))
                if rule == .none || c.bytes.count == 25 {
                    #expect(abs(total - c.logprob) < 1e-3 || c.bytes.count < 25)
                } else {
                    #expect(c.logprob < total + 1e-4)
                }
            }
        }
    }

    @Test func edgesAreWordEndsSpacesAndPunctuationBeforeWords() {
        let edge = { (a: Character, b: Character) in Sampler.isEdge(a.asciiValue!, b.asciiValue!) }
        #expect(edge("y", " ") && edge("o", ",") && edge(",", " ") && edge(".", "a") && edge("(", "a"))
        #expect(!edge("l", "a") && !edge(" ", "d") && !edge(")", ")") && !edge(" ", " "))
    }

    /// A model sure of what comes next, whatever came before: mostly "a", else "b" or a space (about 56/21/21%),
    /// rarely a newline; so its continuations have word edges.
    static func confident() -> Predictor {
        var model = LanguageModel<Float>(config: ModelConfig(cell: .gru, layers: 1, hidden: 8, embedding: 4), seed: 2)
        for (byte, logit) in [(UInt8(ascii: "a"), Float(9)), (UInt8(ascii: "b"), 8), (0x20, 8), (0x0A, 5)] {
            model.parameters[model.layout.headBias + Int(byte)] += logit
        }
        return Predictor(engine: InferenceEngine(model: model))
    }

    @Test func aProbabilityFloorCutsEachContinuationBackToItsLastEdgeAboveIt() {
        let p = Self.confident()
        let s = RecurrentState(config: p.config)
        var unlimited = SamplingOptions(count: 8, temperature: 1, maxBytes: 60, stop: .line, seed: 9)
        let whole = Sampler.sample(p, from: s, options: unlimited)
        for floor in [0.5, 0.2, 0.05] {
            unlimited.minimumProbability = floor
            let cut = Sampler.sample(p, from: s, options: unlimited)
            #expect(!cut.isEmpty)
            #expect(Set(cut.map(\.bytes)).count == cut.count, "distinct")
            for c in cut {
                #expect(!c.bytes.isEmpty)
                #expect(c.byteLogprobs.count == c.bytes.count)
                #expect(c.byteLogprobs.reduce(0, +) >= log(floor) - 1e-9, "at or above the floor")
                // It ends where a word ends, or where its line did.
                var state = s
                var total = 0.0
                for byte in c.bytes {
                    total += Double(p.logProbabilities(state)[Int(byte)])
                    p.step(&state, bytes: [byte])
                }
                #expect(abs(total - c.byteLogprobs.reduce(0, +)) < 1e-3, "the model's own probability")
                #expect(InferenceTests.close(state.values, c.state.values, tolerance: 1e-5), "the state after it")
                let endsLine = c.logprob < total - 1e-6  // a newline's probability was added
                #expect(!ByteVocabulary.isWhitespace(c.bytes.last!) || endsLine, "no trailing space but a line's")
            }
        }
        // Without a floor, lines run long; with one, they stop where the model is no longer sure.
        #expect(whole.map(\.bytes.count).max()! > 20)
        unlimited.minimumProbability = 0.5
        #expect(Sampler.sample(p, from: s, options: unlimited).allSatisfy { $0.bytes.count < 20 })
    }
}
