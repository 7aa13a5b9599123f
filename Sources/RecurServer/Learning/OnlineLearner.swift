import Foundation
import RecurAdaptation
import RecurModel
import RecurStore

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's learning thread: one thread, at low priority, that learns from the settled text the server hands
/// it (`OnlineLearning`), in order, publishes new weights as an engine for the server to swap in, and saves them to
/// the store as the profile's online layer (every `saveInterval` of learning, on `sync`, and when stopped).
///
/// Commands are carried out in the order given, so the weights depend only on the texts and the sync points, never
/// on timing.
final class OnlineLearner: @unchecked Sendable {
    // @unchecked: every stored var below is read and written only while `condition` is locked.

    /// Where a layer is saved: the profile, the adapter it is learned above, the base model's record, the store.
    struct Layer: Sendable {
        var profile: String
        var adapterID: Int64?
        var base: BaseModelRecord?
        var storePath: String?
        /// The engine epoch it belongs to; weights published for an older one are not used.
        var epoch: Int
    }

    /// New weights, for the server to use from now on.
    struct Publication: Sendable {
        var epoch: Int
        /// Counts publications: a later one replaces an earlier one, never the other way round.
        var sequence: Int
        var engine: InferenceEngine
    }

    /// The learner's figures, for `recur/status`.
    struct Figures: Sendable {
        var counters = OnlineLearning.Counters()
        var bytesQueued = 0
        /// Bytes not queued because the queue was full.
        var bytesDropped = 0
        var learningSeconds = 0.0
        var savedAt: Date?
        var unsavedUpdates = 0
        var saveError: String?
    }

    private enum Command {
        case reset(Layer, start: LanguageModel<Float>, anchor: LanguageModel<Float>, OnlineLearning.Counters)
        case learn(LearningText)
        case sync(@Sendable (_ latest: Publication?, _ weightsSHA256: String?) -> Void)
        case stop(@Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var commands: [Command] = []
    private var figures = Figures()
    private var stopped = false
    /// Once stopping, queued texts are learned until this moment and dropped after it.
    private var stopDeadline: Date?
    private let publish: @Sendable (Publication) -> Void
    let saveInterval: TimeInterval
    let skipsSecrets: Bool
    /// The precision of the engines it publishes: the daemon's.
    let precision: InferencePrecision

    /// `publish` is called on the learning thread with each new set of weights.
    init(
        saveInterval: TimeInterval = 300, skipsSecrets: Bool = true, precision: InferencePrecision = .standard,
        publish: @escaping @Sendable (Publication) -> Void
    ) {
        self.saveInterval = saveInterval
        self.skipsSecrets = skipsSecrets
        self.precision = precision
        self.publish = publish
        let thread = Thread { [self] in run() }
        thread.name = "recur-learn"
        thread.start()
    }

    var currentFigures: Figures { condition.withLock { figures } }

    /// Learns above `start` (the saved layer, or the anchor) from now on; what was learned before is saved first.
    func reset(
        _ layer: Layer, start: LanguageModel<Float>, anchor: LanguageModel<Float>, counters: OnlineLearning.Counters
    ) {
        // The figures describe the new layer from now on, before the thread gets to it.
        condition.withLock {
            figures.counters = counters
            figures.unsavedUpdates = 0
            figures.saveError = nil
        }
        enqueue(.reset(layer, start: start, anchor: anchor, counters))
    }

    /// At most this many bytes wait for the thread: it runs at low priority, and a machine busy for an hour (a long
    /// build) must not make the queue grow for as long.
    static let queueLimit = 256 * 1024

    /// Queues `text`, unless the queue is full (then it is counted in `bytesDropped`).
    func learn(_ text: LearningText) {
        condition.withLock {
            guard figures.bytesQueued + text.learn.count <= Self.queueLimit else {
                figures.bytesDropped += text.learn.count
                return
            }
            figures.bytesQueued += text.learn.count
            commands.append(.learn(text))
            condition.signal()
        }
    }

    /// Forgets the texts not learned yet (learning was turned off).
    func dropQueued() {
        condition.withLock {
            commands.removeAll { if case .learn = $0 { true } else { false } }
            figures.bytesQueued = 0
        }
    }

    /// Learns everything queued and gathered, publishes, saves; returns the latest publication and the weights'
    /// sha256.
    func sync() async -> (Publication?, String?) {
        await withCheckedContinuation { continuation in
            enqueue(.sync({ continuation.resume(returning: ($0, $1)) }))
        }
    }

    /// Learns the texts queued (for up to `grace` seconds; the rest is dropped) and what has gathered, saves, and
    /// ends the thread.
    func stop(grace: TimeInterval = 1) async {
        condition.withLock { stopDeadline = Date().addingTimeInterval(grace) }
        await withCheckedContinuation { continuation in enqueue(.stop({ continuation.resume() })) }
    }

    /// Ends the thread without saving (the server is gone).
    func close() {
        condition.withLock {
            stopped = true
            commands = []
            condition.signal()
        }
    }

    private func enqueue(_ command: Command) {
        condition.withLock {
            commands.append(command)
            condition.signal()
        }
    }

    // MARK: The thread

    private struct Work {
        var learning: OnlineLearning
        var layer: Layer
        /// What decay pulls toward, and where learning starts again if the layer is dropped from the store.
        var anchor: LanguageModel<Float>
        /// Whether the store has (or had) this layer: then a save only replaces it, never brings it back.
        var hasRow: Bool
        var sequence = 0
        var latest: Publication?
        var dirty = false
        var published = true
        var lastSave = Date()
        var store: ModelStore?
    }

    /// Texts that arrived before the first layer did (the profile's model still loading).
    private var waiting: [LearningText] = []

    private func run() {
        // Below the daemon's other threads, as the adaptation trainer: completions keep their core (Linux nice values
        // are per thread). Not SCHED_IDLE: it measured no faster for completions, and on a machine kept busy (a
        // build, the test suite) it starved learning and made recur/syncOnlineLearning wait for minutes.
        #if canImport(Glibc)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        var work: Work?
        while true {
            condition.lock()
            while commands.isEmpty && !stopped {
                // Wake up to save once the interval has passed with unsaved updates.
                if let w = work, w.dirty {
                    _ = condition.wait(until: w.lastSave.addingTimeInterval(saveInterval))
                    if commands.isEmpty { break }
                } else {
                    condition.wait()
                }
            }
            if stopped && commands.isEmpty {
                condition.unlock()
                return
            }
            let command = commands.isEmpty ? nil : commands.removeFirst()
            let moreToLearn = commands.contains { if case .learn = $0 { true } else { false } }
            condition.unlock()

            let cpuBefore = Self.threadCPUSeconds()
            switch command {
            case nil:
                if var w = work, w.dirty, Date().timeIntervalSince(w.lastSave) >= saveInterval {
                    save(&w)
                    work = w
                }
            case .reset(let layer, let start, let anchor, let counters)?:
                if var w = work { finish(&w) }
                work = Work(
                    learning: OnlineLearning(
                        start: start, anchor: anchor, counters: counters, skipsSecrets: skipsSecrets),
                    layer: layer, anchor: anchor, hasRow: counters.updates > 0)
                // Again here: saving the previous layer (just above) may have changed them.
                condition.withLock {
                    figures.counters = counters
                    savedUpdates = counters.updates
                    figures.unsavedUpdates = 0
                    figures.saveError = nil
                }
                if !waiting.isEmpty, var w = work {
                    for text in waiting where w.learning.add(text) {
                        w.dirty = true
                        w.published = false
                    }
                    waiting = []
                    if !w.published && !moreToLearn { publishWeights(&w) }
                    updateFigures(w)
                    work = w
                }
            case .learn(let text)?:
                let late = condition.withLock { () -> Bool in
                    figures.bytesQueued -= text.learn.count
                    return stopDeadline.map { Date() > $0 } ?? false
                }
                if late { break }
                guard var w = work else {
                    waiting.append(text)
                    break
                }
                if w.learning.add(text) {
                    w.dirty = true
                    w.published = false
                }
                // Publish when the queue has run dry, and every 8 updates meanwhile.
                if !w.published && (!moreToLearn || w.learning.counters.updates % 8 == 0) { publishWeights(&w) }
                if w.dirty && Date().timeIntervalSince(w.lastSave) >= saveInterval { save(&w) }
                updateFigures(w)
                work = w
            case .sync(let reply)?:
                guard var w = work else {
                    reply(nil, nil)
                    break
                }
                if w.learning.flush() {
                    w.dirty = true
                    w.published = false
                }
                if !w.published { publishWeights(&w) }
                if w.dirty { save(&w) }
                updateFigures(w)
                work = w
                reply(w.latest, ModelStore.sha256(Self.encode(w.learning.model)))
            case .stop(let reply)?:
                if var w = work {
                    finish(&w)
                    work = w
                }
                condition.withLock { stopped = true }
                reply()
                return
            }
            let spent = Self.threadCPUSeconds() - cpuBefore
            condition.withLock { figures.learningSeconds += spent }
        }
    }

    /// Learns what has gathered and saves it, before the layer changes or the thread ends.
    private func finish(_ w: inout Work) {
        if w.learning.flush() { w.dirty = true }
        if w.dirty { save(&w) }
    }

    private func publishWeights(_ w: inout Work) {
        w.sequence += 1
        let publication = Publication(
            epoch: w.layer.epoch, sequence: w.sequence, engine: Self.engine(w.learning.model, precision: precision))
        w.latest = publication
        w.published = true
        publish(publication)
    }

    private func updateFigures(_ w: Work) {
        condition.withLock {
            figures.counters = w.learning.counters
            if w.dirty { figures.unsavedUpdates = w.learning.counters.updates - savedUpdates }
        }
    }

    /// The layer's update count at the last save.
    private var savedUpdates = 0

    private func save(_ w: inout Work) {
        w.lastSave = Date()
        guard let path = w.layer.storePath, let base = w.layer.base else {
            w.dirty = false
            return
        }
        do {
            let store = try w.store ?? ModelStore(path: path)
            w.store = store
            let counters = w.learning.counters
            let outcome = try store.saveOnlineLayer(
                NewOnlineLayer(
                    profile: w.layer.profile, adapterId: w.layer.adapterID, base: base,
                    weights: Self.encode(w.learning.model), bytesLearned: counters.bytesLearned,
                    updates: counters.updates),
                replacingOnly: w.hasRow)
            w.dirty = false
            switch outcome {
            case .saved:
                w.hasRow = true
                condition.withLock {
                    savedUpdates = counters.updates
                    figures.unsavedUpdates = 0
                    figures.savedAt = Date()
                    figures.saveError = nil
                }
            case .staleAdapter:
                condition.withLock {
                    figures.saveError =
                        "profile '\(w.layer.profile)' now uses another adapter: this layer was learned above "
                        + "\(w.layer.adapterID.map { "adapter \($0)" } ?? "the base model") and is not saved"
                }
            case .dropped:
                // `recur models rollback` or `forget` removed the layer: what it held is gone here too.
                w.learning = OnlineLearning(
                    start: w.anchor, anchor: w.anchor, settings: w.learning.settings, skipsSecrets: skipsSecrets)
                w.hasRow = false
                publishWeights(&w)
                condition.withLock {
                    savedUpdates = 0
                    figures.counters = w.learning.counters
                    figures.unsavedUpdates = 0
                    figures.saveError =
                        "the online layer of '\(w.layer.profile)' was removed from the store (rolled back or "
                        + "forgotten); learning starts again from \(w.layer.adapterID.map { "adapter \($0)" } ?? "the base model")"
                }
            }
        } catch {
            // Kept in memory and tried again at the next save.
            condition.withLock { figures.saveError = "cannot save the online layer: \(error)" }
        }
    }

    /// Completions run in the daemon's precision on the learned weights. Where that is `.automatic`, on
    /// half-precision copies, as on the float16 model they were learned from: learned weights are no longer exactly
    /// representable in half precision, and the single-precision kernels would make every completion about 1.6
    /// times slower (typing p50 3.9 -> 6.0 ms).
    static func engine(_ model: LanguageModel<Float>, precision: InferencePrecision) -> InferenceEngine {
        InferenceEngine(model: model, precision: precision == .automatic ? .half : precision)
    }

    /// The online layer as stored: float32 safetensors (its updates are smaller than float16 can tell apart).
    static func encode(_ model: LanguageModel<Float>) -> [UInt8] {
        (try? model.encoded(half: false)) ?? []
    }

    private static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
