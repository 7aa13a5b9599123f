/// A fault in the byte stream's framing. The framer reports it and resynchronises on its own, so the connection
/// survives; none of these carry a request id, so the server can only log them (or answer with id null).
package enum FramingError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// A header section that cannot be used: no `Content-Length`, a value that is not a non-negative decimal integer,
    /// conflicting lengths, or a line that is not `Name: value`.
    case invalidHeader(String)
    /// The `Content-Length` exceeds the framer's limit. Its body is skipped as it arrives, never stored.
    case messageTooLarge(Int)
    /// The header section grew past the framer's header limit without its terminating empty line.
    case headerTooLarge(limit: Int)

    package var description: String {
        switch self {
        case .invalidHeader(let reason): "invalid message header: \(reason)"
        case .messageTooLarge(let length): "message of \(length) bytes exceeds the size limit; its body was skipped"
        case .headerTooLarge(let limit): "message header exceeds \(limit) bytes without a terminating empty line"
        }
    }
}

/// What `MessageFramer.next()` yields: a complete message body, or a framing fault it has already recovered from.
package enum FramerEvent: Equatable, Hashable, Sendable {
    case message([UInt8])
    case error(FramingError)
}
