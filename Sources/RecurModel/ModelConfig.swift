/// The recurrent cell, with PyTorch's gate order.
package enum CellKind: String, Sendable, Codable, CaseIterable {
    /// Gates i, f, g, o.
    case lstm
    /// Gates r, z, n.
    case gru
    /// Elman RNN with tanh.
    case rnn

    /// G: how many H-sized blocks a layer's projections have.
    package var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
    }

    /// Whether the state carries a cell vector `c` beside `h`.
    package var hasCellState: Bool { self == .lstm }
}

/// The architecture of a byte-level language model: embedding, a stack of recurrent layers, a linear head.
package struct ModelConfig: Sendable, Codable, Equatable, CustomStringConvertible {
    package var cell: CellKind
    package var layers: Int
    package var hidden: Int
    package var embedding: Int
    package var vocab: Int

    package init(cell: CellKind, layers: Int, hidden: Int, embedding: Int, vocab: Int = ByteVocabulary.size) {
        self.cell = cell
        self.layers = layers
        self.hidden = hidden
        self.embedding = embedding
        self.vocab = vocab
    }

    /// The width of layer `k`'s input.
    package func inputWidth(ofLayer k: Int) -> Int { k == 0 ? embedding : hidden }

    /// G·H.
    package var gateWidth: Int { cell.gateCount * hidden }

    /// Floats in one sequence's hidden state: h (and c) for every layer.
    package var stateWidth: Int { layers * hidden * (cell.hasCellState ? 2 : 1) }

    package var description: String {
        "\(cell.rawValue) \(layers)×\(hidden), embedding \(embedding), vocab \(vocab)"
    }
}

/// Recur's vocabulary: the 256 byte values, so any text, in any encoding, has no unknown symbols.
package enum ByteVocabulary {
    package static let size = 256

    /// Bytes that belong to a word for completion purposes: ASCII letters, digits, `_`, and every
    /// byte of a multi-byte UTF-8 sequence (so `café` and `naïve` are single words).
    @inline(__always)
    package static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
            || b >= 0x80
    }

    /// ASCII white space: space, tab, newline, vertical tab, form feed, carriage return.
    @inline(__always)
    package static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// Whether `b` starts a UTF-8 sequence (it is not a continuation byte).
    @inline(__always)
    package static func isLeadByte(_ b: UInt8) -> Bool { b & 0xC0 != 0x80 }

    /// The length in bytes of the trailing, incomplete UTF-8 sequence of `bytes`, or 0 when it ends whole.
    package static func incompleteTailLength(_ bytes: some BidirectionalCollection<UInt8>) -> Int {
        var count = 0
        var index = bytes.endIndex
        while index != bytes.startIndex, count < 4 {
            index = bytes.index(before: index)
            let b = bytes[index]
            count += 1
            if isLeadByte(b) {
                let expected: Int
                if b < 0x80 {
                    expected = 1
                } else if b >= 0xF0 {
                    expected = 4
                } else if b >= 0xE0 {
                    expected = 3
                } else if b >= 0xC0 {
                    expected = 2
                } else {
                    expected = 1
                }
                return expected > count ? count : 0
            }
        }
        return 0
    }
}
