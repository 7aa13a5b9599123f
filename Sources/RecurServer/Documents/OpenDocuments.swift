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
    mutating func open(_ document: Document, generation: Int) -> Bool {
        let replaced = entries[document.uri] != nil
        entries[document.uri] = Entry(
            document: document, states: DocumentStates(window: window, generation: generation))
        return replaced
    }

    /// Closes a document; returns whether it was open.
    mutating func close(_ uri: DocumentURI) -> Bool { entries.removeValue(forKey: uri) != nil }

    /// Applies one `didChange` (all or nothing) and invalidates the states after the first byte changed.
    mutating func change(
        _ uri: DocumentURI, _ changes: [TextChange], version: Int, encoding: PositionEncoding,
        usesHalfPrecision: Bool, generation: Int
    ) throws(TextBuffer.Error) -> [EditEffect] {
        // Mutate in place: a copy of the entry would copy the whole text on every keystroke.
        let effects = try entries[uri]!.document.apply(changes, version: version, encoding: encoding)
        if let first = effects.firstChangedOffset {
            entries[uri]!.states.textChanged(from: first)
            reuseAcceptedCandidate(
                uri, firstChanged: first, usesHalfPrecision: usesHalfPrecision, generation: generation)
        }
        return effects
    }

    /// When an edit left the text before the last completion's offset alone and put one of its continuations
    /// right there (the user accepted it), that continuation's state is already known: record it. (With the
    /// half-precision kernels a batched row is bit-identical to a single-row run, so nothing changes but speed.)
    private mutating func reuseAcceptedCandidate(
        _ uri: DocumentURI, firstChanged: Int, usesHalfPrecision: Bool, generation: Int
    ) {
        guard let entry = entries[uri], !entry.candidates.isEmpty, usesHalfPrecision else { return }
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
            entry.states.record(candidate.state, chain: chain, at: end, generation: generation)
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

    /// The weights were replaced: every state and candidate of the old ones is dropped.
    mutating func weightsReplaced(generation: Int) {
        for uri in entries.keys {
            entries[uri]!.states.reset(generation: generation)
            entries[uri]!.candidates = []
        }
    }
}
