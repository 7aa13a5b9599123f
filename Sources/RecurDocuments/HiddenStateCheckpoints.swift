import RecurModel

/// A document's hidden states at checkpoints, so that typing costs a step or two per byte, not a re-read.
///
/// States are kept per chain (a chain is the run that starts from zero at one reset point) at offsets every
/// `spacing` bytes and wherever a request was answered. An edit at byte p invalidates only the checkpoints after p.
/// A request at q resumes chain `resetPoint(q)` from its nearest valid checkpoint at or before q. It also brings the
/// next chain (starting at `resetPoint(q) + interval`) up to q when q is past that point, so that crossing into the
/// next window costs nothing extra: about two steps per typed byte, never a spike of `interval` steps.
///
/// Every state is computed with single-row steps, so it is bit-identical to a fresh run over the same bytes.
public struct HiddenStateCheckpoints: Sendable {
    public let window: ContextWindow
    public let spacing: Int
    /// At most this many checkpoints are kept; the ones farthest from the last request go first.
    public var capacity: Int
    /// checkpoints[resetPoint] = sorted (offset, state) pairs of that chain.
    private var chains: [Int: [(offset: Int, state: RecurrentState)]] = [:]
    private var lastRequest = 0
    /// RNN steps run so far (for tests and metrics).
    public private(set) var steps = 0

    public init(window: ContextWindow, spacing: Int = 64, capacity: Int = 256) {
        self.window = window
        self.spacing = max(1, spacing)
        self.capacity = max(4, capacity)
    }

    public var count: Int { chains.values.reduce(0) { $0 + $1.count } }

    /// Forgets every checkpoint (memory pressure from other documents); the next request recomputes.
    public mutating func removeAll() { chains.removeAll() }

    /// Forgets every checkpoint after byte `offset`: the text from there on changed.
    public mutating func invalidate(after offset: Int) {
        for (start, points) in chains {
            if start > offset {
                chains[start] = nil
            } else {
                let kept = points.filter { $0.offset <= offset }
                chains[start] = kept.isEmpty ? nil : kept
            }
        }
    }

    /// The state at byte `q` of `text` under the window rule.
    public mutating func state(at q: Int, in text: some RandomAccessCollection<UInt8>, predictor: Predictor)
        -> RecurrentState
    {
        let q = min(max(q, 0), text.count)
        lastRequest = q
        let start = window.resetPoint(q)
        let state = advance(chain: start, to: q, in: text, predictor: predictor)
        let next = start + window.interval
        if next <= q && q > 0 { _ = advance(chain: next, to: q, in: text, predictor: predictor) }
        evictIfNeeded()
        return state
    }

    /// Records a state computed elsewhere, such as that of an accepted completion: `state` must be chain
    /// `resetPoint`'s state at `offset` over the current text.
    public mutating func record(_ state: RecurrentState, chain resetPoint: Int, at offset: Int) {
        insert(state, chain: resetPoint, at: offset)
        evictIfNeeded()
    }

    private mutating func advance(
        chain start: Int, to q: Int, in text: some RandomAccessCollection<UInt8>, predictor: Predictor
    ) -> RecurrentState {
        var offset = start
        var state = RecurrentState(config: predictor.config)
        if let best = chains[start]?.last(where: { $0.offset <= q }) {
            offset = best.offset
            state = best.state
        }
        var index = text.index(text.startIndex, offsetBy: offset)
        while offset < q {
            predictor.step(&state, bytes: [text[index]])
            steps += 1
            offset += 1
            index = text.index(after: index)
            if offset % spacing == 0 && offset < q { insert(state, chain: start, at: offset) }
        }
        insert(state, chain: start, at: q)
        return state
    }

    private mutating func insert(_ state: RecurrentState, chain start: Int, at offset: Int) {
        var points = chains[start] ?? []
        if let i = points.firstIndex(where: { $0.offset >= offset }) {
            if points[i].offset == offset {
                points[i].state = state
            } else {
                points.insert((offset, state), at: i)
            }
        } else {
            points.append((offset, state))
        }
        chains[start] = points
    }

    private mutating func evictIfNeeded() {
        var excess = count - capacity
        guard excess > 0 else { return }
        // Drop the checkpoints farthest from the last request, never the two nearest ones of each chain.
        var candidates: [(distance: Int, chain: Int, offset: Int)] = []
        for (start, points) in chains {
            for point in points.dropLast(2) {
                candidates.append((abs(point.offset - lastRequest), start, point.offset))
            }
        }
        candidates.sort { $0.distance > $1.distance }
        for victim in candidates where excess > 0 {
            chains[victim.chain]?.removeAll { $0.offset == victim.offset }
            excess -= 1
        }
    }
}
