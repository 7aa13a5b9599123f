import RecurDocuments
import RecurModel
import RecurProtocol

/// The documents open in the editor: their text, their hidden-state checkpoints, and the memory budget that the
/// checkpoints of all of them share. Owned by the server actor; requests take what they need from a document as
/// values (`CompletionInput`), never a reference to its text, so the next keystroke never copies the whole text.
struct OpenDocuments {
    struct Entry {
        var document: Document
        let states: DocumentStates
        /// The continuations last offered at `candidatesOffset`, with the states after them: when the next edit
        /// inserts one of them there, its state is recorded instead of recomputed.
        var candidates: [Completion] = []
        var candidatesOffset = 0
        /// The states' serial when the candidates were computed.
        var candidatesSerial = 0
        /// When a completion last used this document, for the least-recently-used eviction of checkpoints.
        var lastUsed: UInt64 = 0
        /// Text typed and not settled yet (followed only while online learning is on).
        var typed = TypedText()
    }

    let window: ContextWindow
    /// At most this many hidden states are kept across all documents; the least recently used documents give
    /// theirs up first (see `enforceCheckpointBudget`).
    var checkpointBudget: Int
    private(set) var entries: [DocumentURI: Entry] = [:]
    private var useCounter: UInt64 = 0
    /// The document whose entry holds the candidates of the last completion.
    private var candidatesHolder: DocumentURI?

    init(window: ContextWindow, checkpointBudget: Int) {
        self.window = window
        self.checkpointBudget = checkpointBudget
    }

    subscript(uri: DocumentURI) -> Entry? { entries[uri] }
    var count: Int { entries.count }
    var hiddenStates: Int { entries.values.reduce(0) { $0 + $1.states.count } }
    var stateSteps: Int { entries.values.reduce(0) { $0 + $1.states.steps } }
    /// The documents the user opened (not the scratch texts of `recur/complete`).
    var userDocuments: [Document] { entries.values.map(\.document).filter { !$0.uri.hasPrefix("recur-scratch:") } }

    /// Opens (or replaces) a document; returns whether it was open already.
    mutating func open(_ document: Document, epoch: Int) -> Bool {
        let replaced = entries[document.uri] != nil
        entries[document.uri] = Entry(
            document: document, states: DocumentStates(window: window, epoch: epoch))
        return replaced
    }

    /// Closes a document; returns whether it was open.
    mutating func close(_ uri: DocumentURI) -> Bool { entries.removeValue(forKey: uri) != nil }

    /// Applies one `didChange` (all or nothing) and invalidates the states after the first byte changed. When
    /// `tracksTyping`, the inserted text is followed as typed (`TypedText`), and what the edit's cursor left is
    /// settled and returned.
    mutating func change(
        _ uri: DocumentURI, _ changes: [TextChange], version: Int, encoding: PositionEncoding,
        rowsAreIndependent: Bool, epoch: Int, tracksTyping: Bool = false
    ) throws(TextBuffer.Error) -> (effects: [EditEffect], settled: [Range<Int>]) {
        // A whole-text change from a client that syncs in full: only the part that differs was typed.
        let before = tracksTyping && changes.count == 1 && changes[0].isFull ? entries[uri]!.document.buffer : nil
        // Mutate in place: a copy of the entry would copy the whole text on every keystroke.
        let effects = try entries[uri]!.document.apply(changes, version: version, encoding: encoding)
        var settled: [Range<Int>] = []
        if tracksTyping, let last = effects.last {
            var cursor = last.insertedRange.upperBound
            if let before, let effect = effects.first {
                let edit = Self.difference(before, entries[uri]!.document.buffer, from: effect.firstChangedOffset)
                entries[uri]!.typed.apply(replaced: edit.replaced, insertedCount: edit.inserted.count)
                cursor = edit.inserted.upperBound
            } else {
                for effect in effects { entries[uri]!.typed.apply(effect) }
            }
            settled = entries[uri]!.typed.settle(outside: entries[uri]!.document.buffer.lineRange(containing: cursor))
        }
        if let first = effects.firstChangedOffset {
            entries[uri]!.states.textChanged(from: first)
            reuseAcceptedCandidate(
                uri, firstChanged: first, rowsAreIndependent: rowsAreIndependent, epoch: epoch)
        }
        return (effects, settled)
    }

    /// What a whole-text change replaced and inserted: the bytes between the common prefix (from `prefix`) and the
    /// common suffix.
    private static func difference(_ old: TextBuffer, _ new: TextBuffer, from prefix: Int) -> (
        replaced: Range<Int>, inserted: Range<Int>
    ) {
        let start = min(prefix, old.count, new.count)
        var suffix = 0
        old.bytes.withUnsafeBufferPointer { o in
            new.bytes.withUnsafeBufferPointer { n in
                while suffix < min(o.count, n.count) - start && o[o.count - 1 - suffix] == n[n.count - 1 - suffix] {
                    suffix += 1
                }
            }
        }
        return (start..<(old.count - suffix), start..<(new.count - suffix))
    }

    // MARK: Typed text

    /// Settles the typed text of `uri` that is not on the cursor's line; returns it.
    mutating func settle(_ uri: DocumentURI, cursor: Int) -> [Range<Int>] {
        guard let entry = entries[uri], !entry.typed.pending.isEmpty else { return [] }
        return entries[uri]!.typed.settle(outside: entry.document.buffer.lineRange(containing: cursor))
    }

    /// Settles all typed text of `uri`; returns it.
    mutating func settleAll(_ uri: DocumentURI) -> [Range<Int>] {
        guard entries[uri]?.typed.pending.isEmpty == false else { return [] }
        return entries[uri]!.typed.settleAll()
    }

    /// Forgets all typed text not settled yet (learning was turned off).
    mutating func forgetTyped() {
        for uri in entries.keys where !entries[uri]!.typed.pending.isEmpty { entries[uri]!.typed = TypedText() }
    }

    var pendingTypedBytes: Int { entries.values.reduce(0) { $0 + $1.typed.pendingBytes } }

    /// When an edit left the text before the last completion's offset alone and put one of its continuations
    /// right there (the user accepted it), that continuation's state is already known: record it. (With the
    /// half-precision and int8 kernels a batched row is bit-identical to a single-row run, so nothing changes but
    /// speed.)
    private mutating func reuseAcceptedCandidate(
        _ uri: DocumentURI, firstChanged: Int, rowsAreIndependent: Bool, epoch: Int
    ) {
        guard let entry = entries[uri], !entry.candidates.isEmpty, rowsAreIndependent else { return }
        entries[uri]!.candidates = []
        let offset = entry.candidatesOffset
        guard firstChanged >= offset else { return }
        let bytes = entry.document.buffer.bytes
        let chain = window.resetPoint(offset)
        for candidate in entry.candidates {
            let end = offset + candidate.bytes.count
            guard end <= bytes.count, window.resetPoint(end) == chain,
                bytes[offset..<end].elementsEqual(candidate.bytes)
            else { continue }
            // Valid for the text before this edit, which changed nothing before `offset`; the edit inserted the
            // candidate's bytes, so the state after them is that of the text now.
            entry.states.record(candidate.state, chain: chain, at: end, epoch: epoch)
            return
        }
    }

    /// Keeps the continuations a completion offered, if the document is still at the version they were made for.
    /// Only the document completed last keeps them: a completion is accepted where it was offered, and each
    /// continuation holds a state (4 KB with the default model), 3 MB over 100 documents.
    mutating func offered(_ candidates: [Completion], uri: DocumentURI, version: Int, offset: Int) {
        guard entries[uri]?.document.version == version else { return }
        if let previous = candidatesHolder, previous != uri { entries[previous]?.candidates = [] }
        candidatesHolder = uri
        entries[uri]!.candidates = candidates
        entries[uri]!.candidatesOffset = offset
    }

    /// Marks a document as used now (for the budget's least-recently-used order).
    mutating func touch(_ uri: DocumentURI) {
        useCounter += 1
        entries[uri]?.lastUsed = useCounter
    }

    /// Brings the checkpoints of all documents within the budget, least recently used documents first: first they
    /// keep only the states near where they were last completed (switching back to one costs a few steps), and
    /// only if that is not enough do they lose all of them.
    mutating func enforceCheckpointBudget(keeping current: DocumentURI) {
        var counts = entries.mapValues { $0.states.count }
        var total = counts.values.reduce(0, +)
        guard total > checkpointBudget else { return }
        let byAge = entries.filter { $0.key != current && counts[$0.key]! > 0 }.sorted {
            $0.value.lastUsed < $1.value.lastUsed
        }
        for (uri, entry) in byAge where total > checkpointBudget {
            let left = entry.states.trimToLastRequest()
            total -= counts[uri]! - left
            counts[uri] = left
        }
        for (uri, entry) in byAge where total > checkpointBudget && counts[uri]! > 0 {
            total -= counts[uri]!
            counts[uri] = 0
            entry.states.removeAll()
        }
    }

    /// The weights were reloaded: every state and candidate of the old ones is dropped.
    mutating func weightsReloaded(epoch: Int) {
        for uri in entries.keys {
            entries[uri]!.states.reset(epoch: epoch)
            entries[uri]!.candidates = []
        }
    }
}
