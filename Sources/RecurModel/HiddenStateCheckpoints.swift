/// The bytes of a text from `origin` up to `end`: all that computing the state at `end` under a window rule needs
/// (see `init(of:before:window:)`), so a request can take them off the text in a few hundred bytes.
package struct TextTail: Sendable, Equatable {
    /// The offset in the text of `bytes[0]`.
    package let origin: Int
    package let bytes: [UInt8]

    package init(origin: Int, bytes: [UInt8]) {
        self.origin = origin
        self.bytes = bytes
    }

    /// The bytes that the state at `q` (clamped into the text) reads: from `window.resetPoint(q)` up to `q`,
    /// fewer than `window.maximumContext`.
    package init(of text: some RandomAccessCollection<UInt8>, before q: Int, window: ContextWindow) {
        let q = min(max(q, 0), text.count)
        let start = window.resetPoint(q)
        let first = text.index(text.startIndex, offsetBy: start)
        self.init(origin: start, bytes: Array(text[first..<text.index(first, offsetBy: q - start)]))
    }

    /// The offset just past the last byte.
    package var end: Int { origin + bytes.count }
}

/// A document's hidden states at checkpoints, so that typing costs a step or two per byte, not a re-read.
///
/// States are kept per chain (a chain is the run that starts from zero at one reset point) at offsets every
/// `spacing` bytes and wherever a request was answered. An edit at byte p invalidates only the checkpoints after p.
/// A request at q resumes chain `resetPoint(q)` from its nearest valid checkpoint at or before q. It also brings the
/// next chain (starting at `resetPoint(q) + interval`) up to q when q is past that point, so that crossing into the
/// next window costs nothing extra: about two steps per typed byte, never a spike of `interval` steps.
///
/// Every state is bit-identical to a fresh run of single-row steps over the same bytes. Where the two chains both
/// have to advance, they do so as one two-row step when the engine's rows are computed independently (the
/// half-precision and int8 kernels), which halves the cost of a jump; otherwise one chain after the other.
package struct HiddenStateCheckpoints: Sendable {
    package let window: ContextWindow
    package let spacing: Int
    /// At most this many checkpoints are kept; the ones farthest from the last request go first.
    package var capacity: Int
    /// checkpoints[resetPoint] = sorted (offset, state) pairs of that chain.
    private var chains: [Int: [(offset: Int, state: RecurrentState)]] = [:]
    private var lastRequest = 0
    /// RNN steps run so far (for tests and metrics): a two-row step counts as two.
    package private(set) var steps = 0

    package init(window: ContextWindow, spacing: Int = 64, capacity: Int = 256) {
        self.window = window
        self.spacing = max(1, spacing)
        self.capacity = max(4, capacity)
    }

    package var count: Int { chains.values.reduce(0) { $0 + $1.count } }

    /// Forgets every checkpoint (memory pressure from other documents); the next request recomputes.
    package mutating func removeAll() { chains.removeAll() }

    /// Keeps only what resuming at the last request needs: in the two chains a request there uses, the checkpoint
    /// nearest before it, and the nearest at least `spacing` bytes before it (for backspaces). A document the user
    /// left keeps four states instead of up to `capacity`, and coming back to where it was left costs a step per
    /// chain, or fewer than 2 · `spacing` after deleting up to `spacing` bytes, not two windows.
    package mutating func trimToLastRequest() {
        let start = window.resetPoint(lastRequest)
        var kept: [Int: [(offset: Int, state: RecurrentState)]] = [:]
        for chain in [start, start + window.interval] {
            let points = chains[chain] ?? []
            let nearest = points.last { $0.offset <= lastRequest }
            let earlier = points.last { $0.offset <= lastRequest - spacing }
            kept[chain] = [earlier, nearest].compactMap { $0 }.reduce(into: []) { result, point in
                if result.last?.offset != point.offset { result.append(point) }
            }
            if kept[chain]!.isEmpty { kept[chain] = nil }
        }
        chains = kept
    }

    /// Forgets every checkpoint after byte `offset`: the text from there on changed.
    package mutating func invalidate(after offset: Int) {
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
    package mutating func state(at q: Int, in text: some RandomAccessCollection<UInt8>, predictor: Predictor)
        -> RecurrentState
    {
        state(at: q, tail: TextTail(of: text, before: q, window: window), predictor: predictor)
    }

    /// The state at `tail.end`, where `tail` holds the text from `window.resetPoint(tail.end)` on (or earlier).
    package mutating func state(at q: Int, tail: TextTail, predictor: Predictor) -> RecurrentState {
        let q = min(max(q, 0), tail.end)
        let start = window.resetPoint(q)
        precondition(tail.origin <= start, "the tail must reach back to the chain's reset point")
        lastRequest = q
        let next = start + window.interval
        let state: RecurrentState
        if next <= q && q > 0 {
            state = advance(chains: [start, next], to: q, tail: tail, predictor: predictor)[0]
        } else {
            state = advance(chains: [start], to: q, tail: tail, predictor: predictor)[0]
        }
        evictIfNeeded()
        return state
    }

    /// Records a state computed elsewhere, such as that of an accepted completion: `state` must be chain
    /// `resetPoint`'s state at `offset` over the current text.
    package mutating func record(_ state: RecurrentState, chain resetPoint: Int, at offset: Int) {
        insert(state, chain: resetPoint, at: offset)
        evictIfNeeded()
    }

    /// Takes over `other`'s checkpoints at or before `offset` (states computed from a copy of these checkpoints,
    /// over a text that is still the same up to `offset`), and the steps it ran since `stepsBefore`.
    package mutating func merge(_ other: HiddenStateCheckpoints, validUpTo offset: Int, stepsBefore: Int) {
        for (start, points) in other.chains where start <= offset {
            // A checkpoint both have is the same state (both are states of the same text), so only the new ones,
            // usually one or two, are inserted.
            let new = Self.points(points, upTo: offset, missingFrom: chains[start] ?? [])
            for point in new { insert(point.state, chain: start, at: point.offset) }
        }
        steps += other.steps - stepsBefore
        lastRequest = other.lastRequest
        evictIfNeeded()
    }

    /// Brings each chain (by reset point, in increasing order) from its best checkpoint up to `q`, recording
    /// checkpoints on the way; returns the chains' states at `q`, in order.
    private mutating func advance(chains starts: [Int], to q: Int, tail: TextTail, predictor: Predictor)
        -> [RecurrentState]
    {
        var offsets: [Int] = []
        var states: [RecurrentState] = []
        for start in starts {
            if let best = chains[start]?.last(where: { $0.offset <= q }) {
                offsets.append(best.offset)
                states.append(best.state)
            } else {
                offsets.append(start)
                states.append(RecurrentState(config: predictor.config))
            }
        }
        let batched = starts.count > 1 && predictor.engine.rowsAreIndependent
        if batched {
            // The chain that is behind catches up alone; from there on, both advance as rows of one step.
            let lead = offsets.max()!
            for i in starts.indices where offsets[i] < lead {
                states[i] = run(chain: starts[i], from: offsets[i], to: lead, state: states[i], tail: tail, predictor)
                offsets[i] = lead
            }
            var rows = RecurrentState(stacking: states)
            var offset = lead
            while offset < q {
                let byte = tail.bytes[offset - tail.origin]
                predictor.step(&rows, bytes: [UInt8](repeating: byte, count: starts.count))
                steps += starts.count
                offset += 1
                if offset % spacing == 0 && offset < q {
                    for (i, start) in starts.enumerated() { insert(rows.row(i), chain: start, at: offset) }
                }
            }
            states = starts.indices.map { rows.row($0) }
        } else {
            for i in starts.indices {
                states[i] = run(chain: starts[i], from: offsets[i], to: q, state: states[i], tail: tail, predictor)
            }
        }
        for (i, start) in starts.enumerated() { insert(states[i], chain: start, at: q) }
        return states
    }

    /// Single-row steps of one chain from `offset` to `end`, recording a checkpoint every `spacing` bytes.
    private mutating func run(
        chain start: Int, from offset: Int, to end: Int, state: RecurrentState, tail: TextTail, _ predictor: Predictor
    ) -> RecurrentState {
        var state = state
        var offset = offset
        while offset < end {
            predictor.step(&state, bytes: [tail.bytes[offset - tail.origin]])
            steps += 1
            offset += 1
            if offset % spacing == 0 && offset < end { insert(state, chain: start, at: offset) }
        }
        return state
    }

    /// Inserts in place: a copy of the chain taken out of the dictionary would make every insert copy it whole.
    private mutating func insert(_ state: RecurrentState, chain start: Int, at offset: Int) {
        let (i, found) = Self.position(of: offset, in: chains[start] ?? [])
        if found {
            chains[start]![i].state = state
        } else {
            chains[start, default: []].insert((offset, state), at: i)
        }
    }

    /// The points of `points` at or before `offset` that `known` lacks.
    private static func points(
        _ points: [(offset: Int, state: RecurrentState)], upTo offset: Int,
        missingFrom known: [(offset: Int, state: RecurrentState)]
    ) -> [(offset: Int, state: RecurrentState)] {
        points.filter { $0.offset <= offset && !position(of: $0.offset, in: known).found }
    }

    /// Where a point at `offset` is, or would go, in `points` (sorted by offset), by bisection.
    private static func position(of offset: Int, in points: [(offset: Int, state: RecurrentState)])
        -> (index: Int, found: Bool)
    {
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].offset < offset { low = mid + 1 } else { high = mid }
        }
        return (low, low < points.count && points[low].offset == offset)
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
