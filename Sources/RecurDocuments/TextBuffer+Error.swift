extension TextBuffer {
    /// Input that no clamping can make sense of. A client that sends these is broken; the change is refused and
    /// the document is left as it was.
    package enum Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        /// A line or character below zero.
        case negativePosition(TextPosition)
        /// A range whose end comes before its start.
        case reversedRange(TextRange)

        package var description: String {
            switch self {
            case .negativePosition(let position):
                "position \(position) is negative; LSP lines and characters count from 0"
            case .reversedRange(let range):
                "range \(range) ends before it starts; send the start first"
            }
        }
    }
}
