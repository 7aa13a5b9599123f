import RecurModel
import RecurTraining

/// A piece of a document for the online learner: `bytes` holds the text to learn (`learn`), up to 1 KB before it
/// (the context its state is read from, and the start of its first line, for the secret check) and the rest of its
/// last line.
package struct LearningText: Sendable, Equatable {
    package var bytes: [UInt8]
    package var learn: Range<Int>

    package init(bytes: [UInt8], learn: Range<Int>) {
        precondition(learn.lowerBound >= 0 && learn.upperBound <= bytes.count)
        self.bytes = bytes
        self.learn = learn
    }

    /// How far around the range an excerpt reaches.
    package static let margin = 1024

    /// The excerpt of `text` that learning `range` of it needs.
    package init(excerptOf text: [UInt8], range: Range<Int>) {
        let start = max(0, range.lowerBound - Self.margin)
        let limit = min(text.count, range.upperBound + Self.margin)
        let end = range.isEmpty ? range.upperBound : text[(range.upperBound - 1)..<limit].firstIndex(of: 0x0A) ?? limit
        self.init(
            bytes: Array(text[start..<max(end, range.upperBound)]),
            learn: (range.lowerBound - start)..<(range.upperBound - start))
    }
}

/// Learning from what the user writes, as they write it (dynamic evaluation in the daemon): texts arrive one at a
/// time; their lines that look like secrets are dropped (`SecretFilter`); the rest is cut into pieces of at most
/// `span` bytes, each read from a state of its own (up to `contextBytes` of the text before it, from the zero
/// state), and each time `span` bytes have gathered the weights take one step on their gradient, decaying toward
/// the anchor (the profile's active adapter, or the base model) so that they cannot drift far from it.
///
/// Deterministic: the same texts in the same order give the same weights, bit for bit.
package struct OnlineLearning: Sendable {
    package struct Settings: Sendable, Equatable {
        package var dynamic: DynamicEvaluation.Settings
        /// Bytes of context a piece's state is read from (the daemon's window: 64 bytes cost the default model
        /// 0.03% against any longer context).
        package var contextBytes: Int

        /// `recur eval --dynamic`'s defaults, measured on code and prose (README, "Learning while reading"): the
        /// rate that scored best over both, the output layer frozen and a decay of 2% per update, which keep the
        /// loss on another domain within 5% of the anchor's after learning 100 KB of one.
        package static let standard = Settings(
            dynamic: .init(learningRate: 0.0007, span: 100, rule: .rms, decay: 0.02, frozen: ["head"]),
            contextBytes: 64)

        package init(dynamic: DynamicEvaluation.Settings, contextBytes: Int) {
            self.dynamic = dynamic
            self.contextBytes = contextBytes
        }
    }

    /// What the layer has learned.
    package struct Counters: Sendable, Equatable, Codable {
        /// Bytes learned and weight updates, over the layer's life (kept in the store).
        package var bytesLearned = 0
        package var updates = 0
        /// Bytes of settled text skipped because their lines looked like secrets.
        package var bytesSkippedSecrets = 0
        /// Nats per byte of the latest update's text, scored before learning it.
        package var recentLoss: Double?

        package init(bytesLearned: Int = 0, updates: Int = 0) {
            self.bytesLearned = bytesLearned
            self.updates = updates
        }
    }

    package let settings: Settings
    private var evaluation: DynamicEvaluation
    private var gathered: [DynamicEvaluation.Segment] = []
    private var gatheredBytes = 0
    package private(set) var counters: Counters
    /// Whether the weights should skip secrets (always, but for the test that shows what skipping prevents).
    private let skipsSecrets: Bool

    package var model: LanguageModel<Float> { evaluation.model }
    /// Bytes gathered for the next update.
    package var bytesGathered: Int { gatheredBytes }

    /// Starts from `start` (the saved online layer, or the anchor itself), decaying toward `anchor`.
    package init(
        start: LanguageModel<Float>, anchor: LanguageModel<Float>, settings: Settings = .standard,
        counters: Counters = Counters(), skipsSecrets: Bool = true
    ) {
        self.settings = settings
        evaluation = DynamicEvaluation(model: start, anchor: anchor, settings: settings.dynamic)
        self.counters = counters
        self.skipsSecrets = skipsSecrets
    }

    /// Takes in a text; learns each time a span has gathered. Returns whether the weights changed.
    @discardableResult
    package mutating func add(_ text: LearningText) -> Bool {
        let kept =
            skipsSecrets ? SecretFilter.learnableRanges(in: text.bytes, range: text.learn) : [text.learn]
        counters.bytesSkippedSecrets += text.learn.count - kept.reduce(0) { $0 + $1.count }
        var changed = false
        for range in kept {
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + settings.dynamic.span, range.upperBound)
                gather(text.bytes, start..<end)
                start = end
                if gatheredBytes >= settings.dynamic.span { changed = learnGathered() || changed }
            }
        }
        return changed
    }

    /// Learns what has gathered, even if less than a span. Returns whether the weights changed.
    @discardableResult
    package mutating func flush() -> Bool { learnGathered() }

    /// One piece: predicted bytes `range`, read after up to `contextBytes` before them (never across a secret line).
    private mutating func gather(_ bytes: [UInt8], _ range: Range<Int>) {
        let contextStart =
            skipsSecrets
            ? SecretFilter.contextStart(in: bytes, before: range.lowerBound, maxBytes: settings.contextBytes)
            : max(0, range.lowerBound - settings.contextBytes)
        // The byte before the range is the first input; it is context (when allowed) or the newline of a skipped
        // line, which says nothing.
        let first =
            range.lowerBound > 0 && (range.lowerBound - 1 >= contextStart || bytes[range.lowerBound - 1] == 0x0A)
            ? range.lowerBound - 1 : range.lowerBound
        let segment = DynamicEvaluation.Segment(
            context: first > contextStart ? Array(bytes[contextStart..<first]) : [],
            text: Array(bytes[first..<range.upperBound]))
        guard segment.text.count >= 2 else { return }
        gathered.append(segment)
        gatheredBytes += segment.text.count - 1
    }

    private mutating func learnGathered() -> Bool {
        guard !gathered.isEmpty else { return false }
        let result = evaluation.learn(gathered)
        gathered = []
        gatheredBytes = 0
        counters.bytesLearned += result.scoredBytes
        counters.updates += result.updates
        counters.recentLoss = result.natsPerByte
        return result.updates > 0
    }
}
