/// The window rule that bounds how far back a document's RNN state reaches.
///
/// The state used at byte offset q is the model run from the zero state over `text[resetPoint(q)..<q]`, where
/// reset points are multiples of `interval` and `resetPoint(q) = max(0, (⌊q / interval⌋ − 1) · interval)`. So the
/// context is between `interval` and `2·interval` bytes (less at the start of a text), a jump anywhere in a 10 MB
/// file costs fewer than `2·interval` steps, and the state at q is a pure function of the text: the same whatever
/// edits and requests came before, which is what makes incremental updates testable bit for bit.
package struct ContextWindow: Sendable, Equatable {
    package var interval: Int

    package init(interval: Int) {
        precondition(interval > 0)
        self.interval = interval
    }

    /// The longest context: `2 · interval`.
    package var maximumContext: Int { 2 * interval }

    @inline(__always)
    package func resetPoint(_ q: Int) -> Int { max(0, (q / interval - 1) * interval) }
}
