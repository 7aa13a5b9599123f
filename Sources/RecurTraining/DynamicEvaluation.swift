import RecurKernels
import RecurModel

/// Learning from text while reading it (dynamic evaluation, Krause et al. 2017): the text is read in segments of
/// `span` bytes with the state carried from one to the next; each segment is scored with the weights as they are,
/// then the weights take one step on that segment's gradient (backpropagation stops at the segment's start), and
/// the next segment is read from the state the scored pass ended in.
package struct DynamicEvaluation: Sendable {
    /// How the weights move after each segment.
    package enum Rule: String, Sendable, CaseIterable {
        /// θ ← θ − lr·g, then decay toward the original weights.
        case sgd
        /// RMSprop-normalised (the running mean of g², β = 0.99, bias-corrected), then decay toward the original
        /// weights: Krause et al.'s RMS rule, with the mean square gathered from the text read so far instead of
        /// the training set.
        case rms
    }

    package struct Settings: Sendable, Equatable {
        package var learningRate: Float
        /// Bytes per update.
        package var span: Int
        package var rule: Rule
        /// λ: each update also moves every weight this fraction of the way back toward its original value.
        package var decay: Float

        package init(learningRate: Float, span: Int = 100, rule: Rule = .sgd, decay: Float = 0) {
            self.learningRate = learningRate
            self.span = span
            self.rule = rule
            self.decay = decay
        }
    }

    /// What reading a text gave.
    package struct Result: Sendable, Equatable {
        /// Total negative log-likelihood of the scored bytes (every byte but the first), in nats.
        package var nats: Double
        package var scoredBytes: Int
        package var updates: Int
        package var natsPerByte: Double { scoredBytes == 0 ? 0 : nats / Double(scoredBytes) }
    }

    package let settings: Settings
    package private(set) var model: LanguageModel<Float>
    private let original: [Float]
    private var meanSquares: [Float]
    /// β^t, for the bias correction of `meanSquares`.
    private var betaPower: Float = 1
    /// The state after the bytes read so far.
    package private(set) var state: RecurrentState

    package init(model: LanguageModel<Float>, settings: Settings) {
        precondition(settings.span >= 1)
        self.settings = settings
        self.model = model
        original = model.parameters
        meanSquares = settings.rule == .rms ? [Float](repeating: 0, count: model.parameters.count) : []
        state = RecurrentState(config: model.config)
    }

    /// Reads `text` from the current state: scores each segment, then learns from it when `learning`. Returns the
    /// nats of the bytes scored (each predicted from the ones before it; the first byte of the text is context).
    package mutating func read(_ text: [UInt8], learning: Bool = true) -> Result {
        var result = Result(nats: 0, scoredBytes: 0, updates: 0)
        var start = 0
        var workspaces: [Int: TrainingWorkspace<Float>] = [:]
        var gradients = [Float](repeating: 0, count: model.parameters.count)
        var finalState = [Float](repeating: 0, count: state.values.count)
        var rng = SeededGenerator(seed: 0)
        while start + 1 < text.count {
            let end = min(start + settings.span, text.count - 1)
            let steps = end - start
            let batch = SequenceBatch(
                batch: 1, steps: steps, inputs: Array(text[start..<end]), targets: Array(text[(start + 1)...end]))
            let ws =
                workspaces[steps]
                ?? {
                    let made = TrainingWorkspace<Float>(config: model.config, batch: 1, steps: steps)
                    workspaces[steps] = made
                    return made
                }()
            if learning { gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            let loss = state.values.withUnsafeBufferPointer { initial in
                finalState.withUnsafeMutableBufferPointer { final in
                    gradients.withUnsafeMutableBufferPointer { g in
                        model.loss(
                            on: batch, workspace: ws, gradients: learning ? g.baseAddress! : nil, rng: &rng,
                            initialState: initial.baseAddress!, finalState: final.baseAddress!)
                    }
                }
            }
            result.nats += Double(loss) * Double(steps)
            result.scoredBytes += steps
            state = RecurrentState(config: model.config, rows: 1, values: finalState)
            if learning && settings.learningRate > 0 {
                update(with: gradients)
                result.updates += 1
            }
            start = end
        }
        return result
    }

    private mutating func update(with g: [Float]) {
        let lr = settings.learningRate, decay = settings.decay
        switch settings.rule {
        case .sgd:
            for i in model.parameters.indices {
                model.parameters[i] += -lr * g[i] + decay * (original[i] - model.parameters[i])
            }
        case .rms:
            let beta: Float = 0.99
            betaPower *= beta
            let correction = 1 - betaPower
            for i in model.parameters.indices {
                meanSquares[i] = beta * meanSquares[i] + (1 - beta) * g[i] * g[i]
                let rms = (meanSquares[i] / correction).squareRoot()
                model.parameters[i] += -lr * g[i] / (rms + 1e-8) + decay * (original[i] - model.parameters[i])
            }
        }
    }
}
