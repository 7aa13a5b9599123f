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
        /// Tensors that do not learn, by name prefix (`head`: the output layer). Freezing the head keeps what a
        /// domain's text teaches from shifting every prediction of another domain: after 100 KB of prose, the
        /// loss on Swift rises 12% instead of 30%, for almost the same gain (README, "Learning while reading").
        package var frozen: [String]

        package init(
            learningRate: Float, span: Int = 100, rule: Rule = .sgd, decay: Float = 0, frozen: [String] = []
        ) {
            self.learningRate = learningRate
            self.span = span
            self.rule = rule
            self.decay = decay
            self.frozen = frozen
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

    /// Text to learn from, read from a state of its own: `context` is read first without learning (from the zero
    /// state), then each byte of `text` after its first is predicted from the bytes before it, and learned.
    package struct Segment: Sendable, Equatable {
        package var context: [UInt8]
        package var text: [UInt8]

        package init(context: [UInt8], text: [UInt8]) {
            self.context = context
            self.text = text
        }
    }

    package let settings: Settings
    package private(set) var model: LanguageModel<Float>
    /// The weights decay pulls toward (the model's own at the start, unless given).
    private let anchor: [Float]
    private var meanSquares: [Float]
    /// The parameters that learn: every tensor but the frozen ones.
    private let learned: [Range<Int>]
    /// β^t, for the bias correction of `meanSquares`.
    private var betaPower: Float = 1
    /// The state after the bytes read so far.
    package private(set) var state: RecurrentState

    /// Starts from `model`; decay pulls toward `anchor` (of the same architecture), or toward `model` itself.
    package init(model: LanguageModel<Float>, anchor: LanguageModel<Float>? = nil, settings: Settings) {
        precondition(settings.span >= 1)
        precondition(anchor == nil || anchor!.config == model.config)
        self.settings = settings
        self.model = model
        self.anchor = anchor?.parameters ?? model.parameters
        meanSquares = settings.rule == .rms ? [Float](repeating: 0, count: model.parameters.count) : []
        state = RecurrentState(config: model.config)
        learned = model.layout.entries.filter { entry in !settings.frozen.contains { entry.name.hasPrefix($0) } }
            .map(\.range)
    }

    /// Reads `text` from the current state: scores each segment, then learns from it when `learning`. Returns the
    /// nats of the bytes scored (each predicted from the ones before it; the first byte of the text is context).
    package mutating func read(_ text: [UInt8], learning: Bool = true) -> Result {
        var result = Result(nats: 0, scoredBytes: 0, updates: 0)
        var start = 0
        var gradients = [Float](repeating: 0, count: model.parameters.count)
        var workspaces = Workspaces()
        while start + 1 < text.count {
            let end = min(start + settings.span, text.count - 1)
            if learning { gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            let (loss, final) = pass(
                Array(text[start...end]), from: state.values, into: &gradients, learning: learning, &workspaces)
            let steps = end - start
            result.nats += Double(loss) * Double(steps)
            result.scoredBytes += steps
            state = RecurrentState(config: model.config, rows: 1, values: final)
            if learning && settings.learningRate > 0 {
                update(with: gradients)
                result.updates += 1
            }
            start = end
        }
        return result
    }

    /// Scores `segments` with the weights as they are, then takes one update on the gradient of their mean loss
    /// per byte (each segment weighted by its length). The carried `state` is left alone. Segments of fewer than
    /// two bytes of text have nothing to learn.
    package mutating func learn(_ segments: [Segment]) -> Result {
        var result = Result(nats: 0, scoredBytes: 0, updates: 0)
        let total = segments.reduce(0) { $0 + max(0, $1.text.count - 1) }
        guard total > 0 else { return result }
        var gradients = [Float](repeating: 0, count: model.parameters.count)
        var segmentGradients = gradients
        var workspaces = Workspaces()
        for segment in segments where segment.text.count >= 2 {
            let start = stateAfter(segment.context, &workspaces)
            segmentGradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            let steps = segment.text.count - 1
            let (loss, _) = pass(segment.text, from: start, into: &segmentGradients, learning: true, &workspaces)
            let weight = Float(steps) / Float(total)
            for i in gradients.indices { gradients[i] += weight * segmentGradients[i] }
            result.nats += Double(loss) * Double(steps)
            result.scoredBytes += steps
        }
        if settings.learningRate > 0 {
            update(with: gradients)
            result.updates = 1
        }
        return result
    }

    /// The state after reading `bytes` from the zero state, with the weights as they are.
    package func stateAfter(_ bytes: [UInt8]) -> [Float] {
        var workspaces = Workspaces()
        return stateAfter(bytes, &workspaces)
    }

    private func stateAfter(_ bytes: [UInt8], _ workspaces: inout Workspaces) -> [Float] {
        var state = RecurrentState(config: model.config).values
        var none: [Float] = []
        var start = 0
        // Fixed-length pieces, so that one workspace serves every context.
        while start + 1 < bytes.count {
            let end = min(start + settings.span, bytes.count - 1)
            state = pass(Array(bytes[start...end]), from: state, into: &none, learning: false, &workspaces).final
            start = end
        }
        // The last byte is read as input too: the state is the one after it.
        if let last = bytes.last {
            state = pass([last, 0], from: state, into: &none, learning: false, &workspaces).final
        }
        return state
    }

    /// One pass over `bytes` (inputs all but the last, targets all but the first) from `initial`: the mean loss
    /// and the state after the last input; when `learning`, the gradient is added into `gradients`.
    private func pass(
        _ bytes: [UInt8], from initial: [Float], into gradients: inout [Float], learning: Bool,
        _ workspaces: inout Workspaces
    ) -> (loss: Float, final: [Float]) {
        let steps = bytes.count - 1
        let batch = SequenceBatch(
            batch: 1, steps: steps, inputs: Array(bytes.dropLast()), targets: Array(bytes.dropFirst()))
        let ws = workspaces.workspace(config: model.config, steps: steps)
        var final = [Float](repeating: 0, count: initial.count)
        var rng = SeededGenerator(seed: 0)
        let loss = initial.withUnsafeBufferPointer { i in
            final.withUnsafeMutableBufferPointer { f in
                if learning {
                    return gradients.withUnsafeMutableBufferPointer { g in
                        model.loss(
                            on: batch, workspace: ws, gradients: g.baseAddress!, rng: &rng,
                            initialState: i.baseAddress!, finalState: f.baseAddress!)
                    }
                }
                return model.loss(
                    on: batch, workspace: ws, rng: &rng, initialState: i.baseAddress!, finalState: f.baseAddress!)
            }
        }
        return (loss, final)
    }

    /// Training workspaces by sequence length, for one call: the span's recurs, and a few tails.
    private struct Workspaces {
        var byLength: [Int: TrainingWorkspace<Float>] = [:]

        mutating func workspace(config: ModelConfig, steps: Int) -> TrainingWorkspace<Float> {
            if let ws = byLength[steps] { return ws }
            let made = TrainingWorkspace<Float>(config: config, batch: 1, steps: steps)
            if byLength.count < 8 { byLength[steps] = made }
            return made
        }
    }

    private mutating func update(with g: [Float]) {
        let lr = settings.learningRate, decay = settings.decay
        switch settings.rule {
        case .sgd:
            for range in learned {
                for i in range { model.parameters[i] += -lr * g[i] + decay * (anchor[i] - model.parameters[i]) }
            }
        case .rms:
            let beta: Float = 0.99
            betaPower *= beta
            let correction = 1 - betaPower
            for range in learned {
                for i in range {
                    meanSquares[i] = beta * meanSquares[i] + (1 - beta) * g[i] * g[i]
                    let rms = (meanSquares[i] / correction).squareRoot()
                    model.parameters[i] += -lr * g[i] / (rms + 1e-8) + decay * (anchor[i] - model.parameters[i])
                }
            }
        }
    }
}
