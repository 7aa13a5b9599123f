import Foundation
import RecurKernels
import RecurModel

/// How long to train.
package enum TrainingBudget: Sendable, Codable, Equatable {
    case steps(Int)
    case epochs(Double)
    case minutes(Double)
}

/// Hyperparameters of a run. Stored in checkpoints, so a resumed run keeps them.
package struct TrainingOptions: Sendable, Codable, Equatable {
    package var sequenceLength = 100
    package var batchSize = 32
    package var schedule = LearningRateSchedule(peak: 2e-3)
    package var gradientClip: Float = 1
    package var dropout: Double = 0
    /// Dropout on the top layer's output, where the head reads it.
    package var outputDropout: Double = 0
    package var weightDecay: Float = 0
    package var seed: UInt64 = 0
    package var budget: TrainingBudget = .steps(1000)
    /// Steps between validation passes (and checkpoints).
    package var validationInterval = 200
    /// At most this many validation windows are scored per pass.
    package var validationWindows = 256
    package var threads = 2

    package init() {}
}

extension TrainingOptions {
    /// Fields added after checkpoints were first written (`outputDropout`) decode with their defaults, so an older
    /// checkpoint resumes as it was trained.
    package init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sequenceLength = try c.decode(Int.self, forKey: .sequenceLength)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        gradientClip = try c.decode(Float.self, forKey: .gradientClip)
        dropout = try c.decode(Double.self, forKey: .dropout)
        outputDropout = try c.decodeIfPresent(Double.self, forKey: .outputDropout) ?? 0
        weightDecay = try c.decode(Float.self, forKey: .weightDecay)
        seed = try c.decode(UInt64.self, forKey: .seed)
        budget = try c.decode(TrainingBudget.self, forKey: .budget)
        validationInterval = try c.decode(Int.self, forKey: .validationInterval)
        validationWindows = try c.decode(Int.self, forKey: .validationWindows)
        threads = try c.decode(Int.self, forKey: .threads)
    }
}

/// One report from the training loop.
package struct TrainingProgress: Sendable {
    package var step: Int
    /// Known for step and epoch budgets; estimated from the pace for a time budget.
    package var totalSteps: Int
    package var elapsed: Double
    package var bytesPerSecond: Double
    package var trainLoss: Double
    package var validationLoss: Double?
    package var learningRate: Float
    package var isValidation: Bool
    package var etaSeconds: Double? {
        guard step > 0, totalSteps > step else { return nil }
        return elapsed / Double(step) * Double(totalSteps - step)
    }
}

/// A point on a loss curve.
package struct LossPoint: Sendable, Codable, Equatable {
    package var step: Int
    package var loss: Double
}

/// Everything a resumed run needs besides the weights and Adam's moments.
struct TrainerState: Codable, Equatable {
    var step: Int
    var rng: SeededGenerator
    var elapsed: Double
    var options: TrainingOptions
    var config: ModelConfig
    var trainHistory: [LossPoint]
    var validationHistory: [LossPoint]
    /// The lowest validation loss so far; its weights are `Trainer.bestParameters`.
    var best: LossPoint?
}

/// Which weights a finished run hands back.
package enum KeptWeights: String, Sendable, CaseIterable {
    /// The weights of the validation pass with the lowest loss (the default: more steps can overfit).
    case best
    /// The weights after the last step.
    case last
}

/// Truncated BPTT over random windows with Adam, clipping, a schedule and periodic validation.
/// Deterministic for a given seed, and a checkpointed run resumes bit for bit.
package final class Trainer {
    package private(set) var model: LanguageModel<Float>
    package let corpus: Corpus
    package let options: TrainingOptions
    var optimizer: Adam
    var state: TrainerState
    /// The weights at `state.best`, kept in memory and in the checkpoint.
    var bestParameters: [Float]?
    private let sampler: BatchSampler
    private let validation: [SequenceBatch]

    package var step: Int { state.step }
    package var trainHistory: [LossPoint] { state.trainHistory }
    package var validationHistory: [LossPoint] { state.validationHistory }
    package var best: LossPoint? { state.best }

    package init(model: LanguageModel<Float>, corpus: Corpus, options: TrainingOptions) throws {
        self.model = model
        self.corpus = corpus
        self.options = options
        optimizer = Adam(parameterCount: model.parameters.count)
        optimizer.weightDecay = options.weightDecay
        state = TrainerState(
            step: 0, rng: SeededGenerator(seed: options.seed), elapsed: 0, options: options, config: model.config,
            trainHistory: [], validationHistory: [])
        sampler = try BatchSampler(
            documents: corpus.documents.map(\.train), batch: options.batchSize, steps: options.sequenceLength)
        validation = BatchSampler.validationBatches(
            documents: corpus.documents.map(\.validation), batch: options.batchSize, steps: options.sequenceLength,
            limit: options.validationWindows)
    }

    /// Continues a run from a checkpoint written by `writeCheckpoint`. The corpus must be the same text.
    package convenience init(resumingFrom url: URL, corpus: Corpus, budget: TrainingBudget? = nil) throws {
        let checkpoint = try Checkpoint.read(from: url)
        var options = checkpoint.state.options
        if let budget { options.budget = budget }
        try self.init(model: checkpoint.model, corpus: corpus, options: options)
        optimizer = checkpoint.optimizer
        state = checkpoint.state
        state.options = options
        bestParameters = checkpoint.bestParameters
    }

    /// Steps in one pass over the training bytes.
    package var stepsPerEpoch: Int {
        max(1, corpus.trainBytes / (options.batchSize * options.sequenceLength))
    }

    /// The step budget, or for a time budget an estimate from the pace so far.
    func totalSteps(elapsed: Double) -> Int {
        switch options.budget {
        case .steps(let n): return n
        case .epochs(let e): return max(1, Int((e * Double(stepsPerEpoch)).rounded()))
        case .minutes(let m):
            guard state.step > 0, elapsed > 0 else { return max(state.step + 1, 1) }
            return max(state.step + 1, Int(Double(state.step) / elapsed * m * 60))
        }
    }

    private func progressFraction(elapsed: Double) -> Double {
        switch options.budget {
        case .minutes(let m): return elapsed / (m * 60)
        default: return Double(state.step) / Double(totalSteps(elapsed: elapsed))
        }
    }

    private func finished(elapsed: Double) -> Bool {
        switch options.budget {
        case .minutes(let m): return elapsed >= m * 60
        default: return state.step >= totalSteps(elapsed: elapsed)
        }
    }

    /// Mean cross-entropy (nats per byte) over the validation windows, from a zero state per window.
    package func validationLoss() -> Double? {
        guard !validation.isEmpty else { return nil }
        var total = 0.0, count = 0
        var rng = SeededGenerator(seed: 0)
        for batch in validation {
            let ws = TrainingWorkspace<Float>(config: model.config, batch: batch.batch, steps: batch.steps)
            let loss = model.loss(on: batch, workspace: ws, rng: &rng)
            total += Double(loss) * Double(batch.batch * batch.steps)
            count += batch.batch * batch.steps
        }
        return total / Double(count)
    }

    /// Trains until the budget is spent or `shouldStop` returns true (checked between minibatches).
    /// `checkpoint` is called after every validation pass and at the end.
    package func run(
        shouldStop: () -> Bool = { false }, checkpoint: ((Trainer) throws -> Void)? = nil,
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws {
        let parallel = DataParallelGradients(
            config: model.config, parameterCount: model.parameters.count, batch: options.batchSize,
            steps: options.sequenceLength, threads: options.threads, outputDropout: options.outputDropout > 0)
        BLASThreads.set(parallel.shards > 1 ? 1 : options.threads)
        var gradients = [Float](repeating: 0, count: model.parameters.count)
        let started = Date()
        let elapsedBefore = state.elapsed
        var smoothed: Double? = state.trainHistory.last?.loss
        var lastReport = Date.distantPast
        let bytesPerStep = Double(options.batchSize * options.sequenceLength)
        let stepsBefore = state.step
        while !finished(elapsed: elapsedBefore + Date().timeIntervalSince(started)) && !shouldStop() {
            let batch = sampler.next(rng: &state.rng)
            let loss = parallel.compute(
                model: model, batch: batch, dropout: options.dropout, outputDropout: options.outputDropout,
                rng: &state.rng, gradients: &gradients)
            clipGradientNorm(&gradients, maxNorm: options.gradientClip)
            let elapsed = elapsedBefore + Date().timeIntervalSince(started)
            let lr = options.schedule.rate(step: state.step, progress: progressFraction(elapsed: elapsed))
            optimizer.update(parameters: &model.parameters, gradients: gradients, learningRate: lr)
            state.step += 1
            smoothed = smoothed.map { 0.95 * $0 + 0.05 * Double(loss) } ?? Double(loss)
            if state.step % 10 == 0 || state.step == 1 {
                state.trainHistory.append(LossPoint(step: state.step, loss: smoothed!))
            }
            let now = Date()
            let since = now.timeIntervalSince(started)
            let pace = Double(state.step - stepsBefore) * bytesPerStep / max(since, 1e-9)
            var report = TrainingProgress(
                step: state.step, totalSteps: totalSteps(elapsed: elapsedBefore + since),
                elapsed: elapsedBefore + since,
                bytesPerSecond: pace, trainLoss: smoothed!, validationLoss: state.validationHistory.last?.loss,
                learningRate: lr, isValidation: false)
            let done = finished(elapsed: elapsedBefore + since)
            if state.step % options.validationInterval == 0 || done {
                if let v = validationLoss() {
                    recordValidation(v)
                    report.validationLoss = v
                }
                report.isValidation = true
                state.elapsed = elapsedBefore + Date().timeIntervalSince(started)
                try checkpoint?(self)
                progress(report)
                lastReport = now
            } else if now.timeIntervalSince(lastReport) >= 0.25 {
                progress(report)
                lastReport = now
            }
        }
        state.elapsed = elapsedBefore + Date().timeIntervalSince(started)
        if state.validationHistory.last?.step != state.step, let v = validationLoss() {
            recordValidation(v)
        }
        try checkpoint?(self)
    }

    private func recordValidation(_ loss: Double) {
        let point = LossPoint(step: state.step, loss: loss)
        state.validationHistory.append(point)
        if loss < state.best?.loss ?? .infinity {
            state.best = point
            bestParameters = model.parameters
        }
    }

    /// Writes weights, optimizer moments and loop state, atomically.
    package func writeCheckpoint(to url: URL) throws {
        try Checkpoint(model: model, optimizer: optimizer, state: state, bestParameters: bestParameters).write(to: url)
    }

    /// The trained model with its training facts in metadata: the best validation pass's weights by default, or
    /// the last step's (the same when no pass has run or the last pass was the best).
    package func trainedModel(keeping kept: KeptWeights = .best, extraMetadata: [String: String] = [:])
        -> LanguageModel<Float>
    {
        var m = model
        var validation = state.validationHistory.last
        if kept == .best, let best = state.best, let bestParameters {
            m.parameters = bestParameters
            validation = best
            m.metadata["kept_step"] = String(best.step)
        }
        m.metadata["train_steps"] = String(state.step)
        m.metadata["train_seconds"] = String(format: "%.1f", state.elapsed)
        if let t = state.trainHistory.last { m.metadata["train_loss"] = String(format: "%.4f", t.loss) }
        if let validation { m.metadata["val_loss"] = String(format: "%.4f", validation.loss) }
        m.metadata["seq_len"] = String(options.sequenceLength)
        m.metadata["batch"] = String(options.batchSize)
        m.metadata["seed"] = String(options.seed)
        m.metadata.merge(extraMetadata) { $1 }
        return m
    }
}
