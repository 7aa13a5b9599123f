/// The hidden state of `rows` sequences: for each layer, h and (for LSTM) c, each (rows, H).
///
/// Layout: block (layer k, part p) starts at `(k·P + p)·rows·H`, with P = 2 for LSTM and 1 otherwise,
/// so a single sequence (`rows == 1`) is simply [h0, c0, h1, c1, ...]. A value type: copying a state
/// is how a document keeps checkpoints and how candidates fork.
package struct RecurrentState: Sendable, Equatable {
    package let config: ModelConfig
    package let rows: Int
    package var values: [Float]

    /// The zero state, as at the start of a text.
    package init(config: ModelConfig, rows: Int = 1) {
        self.config = config
        self.rows = rows
        values = [Float](repeating: 0, count: rows * config.stateWidth)
    }

    package init(config: ModelConfig, rows: Int, values: [Float]) {
        precondition(values.count == rows * config.stateWidth)
        self.config = config
        self.rows = rows
        self.values = values
    }

    var parts: Int { config.cell.hasCellState ? 2 : 1 }

    /// Offset of layer `k`'s h block (part 0) or c block (part 1).
    @inline(__always)
    func offset(layer k: Int, part p: Int) -> Int { (k * parts + p) * rows * config.hidden }

    /// Single-sequence states as the rows of one state, in order.
    package init(stacking states: [RecurrentState]) {
        precondition(!states.isEmpty && states.allSatisfy { $0.rows == 1 && $0.config == states[0].config })
        self.init(config: states[0].config, rows: states.count)
        let H = config.hidden
        for block in 0..<(config.layers * parts) {
            for (r, state) in states.enumerated() {
                for j in 0..<H { values[block * rows * H + r * H + j] = state.values[block * H + j] }
            }
        }
    }

    /// `count` copies of row `row`: the start of `count` samples from one primed state.
    package func replicated(row: Int = 0, count: Int) -> RecurrentState {
        selecting(rows: Array(repeating: row, count: count))
    }

    /// The given rows, in the given order.
    package func selecting(rows selected: [Int]) -> RecurrentState {
        var out = RecurrentState(config: config, rows: selected.count)
        let H = config.hidden
        for block in 0..<(config.layers * parts) {
            for (r, source) in selected.enumerated() {
                let src = block * rows * H + source * H
                let dst = block * selected.count * H + r * H
                for j in 0..<H { out.values[dst + j] = values[src + j] }
            }
        }
        return out
    }

    /// Row `row` alone, as a single-sequence state.
    package func row(_ row: Int) -> RecurrentState { replicated(row: row, count: 1) }

    /// The top layer's h of row `row`: what the head reads.
    package func topHidden(row: Int = 0) -> ArraySlice<Float> {
        let start = offset(layer: config.layers - 1, part: 0) + row * config.hidden
        return values[start..<(start + config.hidden)]
    }
}
