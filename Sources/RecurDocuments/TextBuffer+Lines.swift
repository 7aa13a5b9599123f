extension TextBuffer {
    /// The end of the line that holds `offset` (clamped into `0...count`), before its terminator: the limit of
    /// the text after the cursor that a completion may look at or replace. Never before `offset`.
    package func lineEnd(after offset: Int) -> Int {
        let clamped = min(max(offset, 0), bytes.count)
        return max(clamped, lineContentEnd(line(containing: clamped)))
    }
}
