import Foundation
import RecurKernels
import Testing

@testable import RecurModel

/// Int8 weights: close to float32 in loss, and exact where the daemon relies on exactness.
@Suite struct Int8InferenceTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../Models/default.safetensors")

    /// Text the default model was not trained on: this repository's own prose and code.
    static func unseenText() throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        let readme = try Data(contentsOf: root.appendingPathComponent("Protocol/README.md"))
        let code = try Data(contentsOf: root.appendingPathComponent("Sources/RecurModel/Sampler.swift"))
        return Array([UInt8](readme).prefix(1500)) + Array([UInt8](code).prefix(1500))
    }

    /// The quality guard on a small scale: the shipped model's loss with int8 weights is within 0.5% of float32's
    /// (the README's per-domain table measures +0.3% at most on the held-out tails).
    @Test func shippedModelLossWithInt8IsWithinHalfAPercentOfFloat32() throws {
        let model = try LanguageModel<Float>(contentsOf: Self.shipped)
        let text = try Self.unseenText()
        let single = Predictor(engine: InferenceEngine(model: model, precision: .single))
        let int8Engine = InferenceEngine(model: model, precision: .int8)
        #expect(int8Engine.precision == .int8 && int8Engine.rowsAreIndependent)
        #expect(int8Engine.packedByteCount < model.parameters.count * 4 / 3, "int8 copies are a quarter of float32")
        let int8 = Predictor(engine: int8Engine)
        let f32Loss = single.negativeLogLikelihood(of: text) / Double(text.count)
        let int8Loss = int8.negativeLogLikelihood(of: text) / Double(text.count)
        print("shipped model on \(text.count) unseen bytes: f32 \(f32Loss), int8 \(int8Loss) nats/byte")
        #expect(abs(int8Loss - f32Loss) / f32Loss < 0.005)
        #expect(int8Loss != f32Loss, "int8 is really in use")
    }

    /// Small models of every cell: states and distributions stay close to float32.
    @Test(arguments: InferenceTests.configs)
    func int8StaysCloseToFloat32(config: ModelConfig) {
        let model = LanguageModel<Float>(config: config, seed: 8)
        let single = Predictor(engine: InferenceEngine(model: model, precision: .single))
        let int8 = Predictor(engine: InferenceEngine(model: model, precision: .int8))
        var a = RecurrentState(config: config), b = a
        for byte in Array(InferenceTests.text) {
            single.step(&a, bytes: [byte])
            int8.step(&b, bytes: [byte])
        }
        #expect(InferenceTests.close(a.values, b.values, tolerance: 0.02))
        #expect(
            InferenceTests.close(Array(single.logProbabilities(a)), Array(int8.logProbabilities(b)), tolerance: 0.02))
    }

    /// The exact-state invariant per precision: priming a span, stepping byte by byte, and stepping as one row of a
    /// batch give the same bits, and so do one and two threads.
    @Test(arguments: InferenceTests.configs)
    func int8StatesAreBitIdenticalAcrossPathsBatchesAndThreads(config: ModelConfig) {
        let model = LanguageModel<Float>(config: config, seed: 12)
        let predictor = Predictor(engine: InferenceEngine(model: model, precision: .int8))
        let text = Array(InferenceTests.text) + Array("and a second pass, longer than one priming chunk? ".utf8)
        var stepped = RecurrentState(config: config)
        for byte in text { predictor.step(&stepped, bytes: [byte]) }
        var primed = RecurrentState(config: config)
        predictor.advance(&primed, through: text)
        #expect(primed == stepped)
        BatchedStepExactnessTests.expectBatchedRowsMatchSingleRows(predictor, from: stepped, rows: 6)
        // Scoring a span reads the same distributions as stepping does.
        var logp = [Float](repeating: 0, count: text.count)
        var scored = RecurrentState(config: config)
        logp.withUnsafeMutableBufferPointer {
            predictor.advance(&scored, through: text, logProbabilities: $0.baseAddress!)
        }
        var walk = RecurrentState(config: config)
        for (i, byte) in text.enumerated() {
            #expect(predictor.logProbabilities(walk)[Int(byte)] == logp[i])
            predictor.step(&walk, bytes: [byte])
        }
    }

    /// Priming on two threads runs the layers as a pipeline (layer 1 one step behind layer 0, on the other core),
    /// and a step overlaps them: the same bits as one thread and as each other, for the state and the scores.
    @Test(arguments: InferenceTests.configs.filter { $0.layers > 1 })
    func twoThreadsGiveTheSameBitsAsOne(config: ModelConfig) {
        let model = LanguageModel<Float>(config: config, seed: 21)
        let predictor = Predictor(engine: InferenceEngine(model: model, precision: .int8))
        let text = Array(String(repeating: "pipelined priming, état 🦊; ", count: 12).utf8)  // more than a chunk
        let saved = ThreadPool.threads
        defer { ThreadPool.threads = saved }
        func prime(threads: Int) -> (RecurrentState, [Float]) {
            ThreadPool.threads = threads
            var state = RecurrentState(config: config)
            var logp = [Float](repeating: 0, count: text.count)
            logp.withUnsafeMutableBufferPointer {
                predictor.advance(&state, through: text, logProbabilities: $0.baseAddress!)
            }
            return (state, logp)
        }
        let (one, oneScores) = prime(threads: 1)
        let (two, twoScores) = prime(threads: 2)
        #expect(one == two)
        #expect(oneScores == twoScores)
        // Stepping on two threads overlaps the layers (the upper layers' W_hh products and half of each input
        // projection on the other thread): the same bits as one thread, distributions included.
        func stepAll(threads: Int) -> (RecurrentState, [Float]) {
            ThreadPool.threads = threads
            var state = RecurrentState(config: config)
            var scores: [Float] = []
            for byte in text {
                scores.append(predictor.logProbabilities(state)[Int(byte)])
                predictor.step(&state, bytes: [byte])
            }
            return (state, scores)
        }
        let (steppedOne, stepScoresOne) = stepAll(threads: 1)
        let (steppedTwo, stepScoresTwo) = stepAll(threads: 2)
        #expect(steppedOne == two)
        #expect(steppedTwo == two)
        #expect(stepScoresOne == stepScoresTwo && stepScoresTwo == twoScores)
    }
}
