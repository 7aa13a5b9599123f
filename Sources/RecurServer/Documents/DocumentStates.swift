import RecurModel
import Synchronization

/// One document's hidden-state checkpoints, shared by the server, which invalidates them as edits arrive, and the
/// completion workers, which compute states from them off the message loop.
///
/// A request is made at one version of the text: it carries the `serial` of the states at that moment and the
/// bytes it needs (`TextTail`). A worker starts from a copy of the checkpoints without those that edits since then
/// made unusable for its version, computes there, and merges back only states that are still valid for the text as
/// it is now: those at or before the first byte changed since the request. So every state kept is the state of the
/// current text, bit for bit, however edits and computations interleave, and the lock is held only for copies.
final class DocumentStates: Sendable {
    private struct Shared {
        var checkpoints: HiddenStateCheckpoints
        /// The epoch of the weights the checkpoints were computed with (`EngineHost.epoch`: online updates keep
        /// the states, a reload drops them).
        var epoch: Int
        /// Counts edits; `changes` has the first byte each of the most recent edits changed.
        var serial = 0
        var changes: [(serial: Int, offset: Int)] = []

        /// The first byte changed by an edit after `serial`: states at or before it are still valid. Int.max when
        /// nothing changed since; nil when the edits since are no longer all known (nothing can be trusted).
        func validUpTo(since serial: Int) -> Int? {
            if serial == self.serial { return Int.max }
            guard let first = changes.first, first.serial <= serial + 1 else { return nil }
            return changes.lazy.filter { $0.serial > serial }.map(\.offset).min()
        }
    }

    /// Edits remembered for requests still computing; a request older than that recomputes its states.
    private static let changeMemory = 256
    private let shared: Mutex<Shared>
    let window: ContextWindow

    init(window: ContextWindow, epoch: Int) {
        self.window = window
        shared = Mutex(Shared(checkpoints: HiddenStateCheckpoints(window: window), epoch: epoch))
    }

    /// The current edit count, which a request made now carries.
    var serial: Int { shared.withLock { $0.serial } }
    var count: Int { shared.withLock { $0.checkpoints.count } }
    var steps: Int { shared.withLock { $0.checkpoints.steps } }

    /// The text changed from byte `offset` on.
    func textChanged(from offset: Int) {
        shared.withLock { s in
            s.serial += 1
            s.changes.append((s.serial, offset))
            if s.changes.count > Self.changeMemory { s.changes.removeFirst(s.changes.count - Self.changeMemory) }
            s.checkpoints.invalidate(after: offset)
        }
    }

    /// Forgets every checkpoint (memory budget); they are recomputed when needed.
    func removeAll() { shared.withLock { $0.checkpoints.removeAll() } }

    /// Keeps only the few checkpoints that resuming where the document was last completed needs (memory budget).
    func trimToLastRequest() -> Int {
        shared.withLock { s in
            s.checkpoints.trimToLastRequest()
            return s.checkpoints.count
        }
    }

    /// The weights were reloaded: states of the old ones are never used again.
    func reset(epoch: Int) {
        shared.withLock { s in
            s.checkpoints.removeAll()
            s.epoch = epoch
        }
    }

    /// Records `state` as chain `chain`'s state at `offset` of the text as it is now (weights of `epoch`).
    func record(_ state: RecurrentState, chain: Int, at offset: Int, epoch: Int) {
        shared.withLock { s in
            guard s.epoch == epoch else { return }
            s.checkpoints.record(state, chain: chain, at: offset)
        }
    }

    /// The state at `q` of the text as it was at `serial` (its bytes from the reset point are `tail`), computed
    /// with `predictor` of weights of `epoch` on the calling thread.
    func state(at q: Int, tail: TextTail, serial: Int, epoch: Int, predictor: Predictor) -> RecurrentState {
        var work = shared.withLock { s -> HiddenStateCheckpoints in
            guard s.epoch == epoch, let valid = s.validUpTo(since: serial) else {
                return HiddenStateCheckpoints(window: window, spacing: s.checkpoints.spacing)
            }
            var copy = s.checkpoints
            if valid != Int.max { copy.invalidate(after: valid) }
            return copy
        }
        let stepsBefore = work.steps
        let state = work.state(at: q, tail: tail, predictor: predictor)
        shared.withLock { s in
            guard s.epoch == epoch, let valid = s.validUpTo(since: serial) else { return }
            s.checkpoints.merge(work, validUpTo: valid, stepsBefore: stepsBefore)
        }
        return state
    }
}
