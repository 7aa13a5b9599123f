/// Splits a byte stream into LSP base-protocol frames (`Content-Length: N` headers, an empty line, N body bytes).
///
/// Contract: `append` and `next` never throw or trap on any input. Header names are case-insensitive, lines may end
/// in `\r\n` or a bare `\n`, `Content-Type` and unknown headers are ignored, and stray empty lines between frames
/// are skipped. Faults are reported as `.error` events, after which the framer resynchronises by itself: an
/// oversized body is skipped as it arrives without being stored; any other fault makes it scan forward to the next
/// `Content-Length:` (case-insensitive). Consumed bytes are dropped, so storage stays bounded by the largest single
/// `append` plus the frame in progress (itself capped by `maximumContentLength`); nothing is ever allocated from a
/// header's claim.
package struct MessageFramer: Sendable {
    /// 64 MiB: far above any real LSP message, far below what would hurt the process.
    package static let defaultMaximumContentLength = 64 << 20
    /// 8 KiB: real header sections are under 100 bytes.
    package static let defaultMaximumHeaderLength = 8 << 10

    package let maximumContentLength: Int
    package let maximumHeaderLength: Int

    private enum State: Sendable {
        /// Parsing header lines; `scanned` bytes after `start` are complete lines already examined.
        case readingHeader(scanned: Int, sawHeaderLine: Bool, contentLength: Int?)
        case readingBody(length: Int)
        /// Skipping an oversized body; `remaining` bytes are still to come.
        case discardingBody(remaining: Int)
        /// After a fault: looking for the next `Content-Length:` anywhere in the stream.
        case resynchronising
    }

    private static let headerStart: State = .readingHeader(scanned: 0, sawHeaderLine: false, contentLength: nil)
    /// Lower-case `content-length:`, the resynchronisation anchor.
    private static let anchor: [UInt8] = Array("content-length:".utf8)
    /// Storage above this is released once empty, so one large message does not pin its memory forever.
    private static let retainedCapacity = 1 << 20

    /// Bytes before `start` are consumed and wait to be compacted away.
    private var buffer: [UInt8] = []
    private var start = 0
    private var state: State = MessageFramer.headerStart

    package init(
        maximumContentLength: Int = MessageFramer.defaultMaximumContentLength,
        maximumHeaderLength: Int = MessageFramer.defaultMaximumHeaderLength
    ) {
        self.maximumContentLength = max(0, maximumContentLength)
        self.maximumHeaderLength = max(64, maximumHeaderLength)
    }

    /// Unconsumed bytes held: what is waiting to become a frame.
    package var bufferedByteCount: Int { buffer.count - start }
    /// Whether the framer is skipping the rest of an oversized body: input that ends now ended inside a message.
    package var isSkippingBody: Bool {
        if case .discardingBody = state { return true }
        return false
    }

    /// The storage actually allocated, for tests that check memory stays bounded.
    package var storageCapacity: Int { buffer.capacity }

    /// Adds bytes read from the stream. Bytes of an oversized body being skipped are dropped here, never copied.
    package mutating func append(_ bytes: some Collection<UInt8>) {
        compact()
        if case .discardingBody(let remaining) = state, start == buffer.count {
            let count = bytes.count
            let skipped = min(remaining, count)
            state = remaining == skipped ? Self.headerStart : .discardingBody(remaining: remaining - skipped)
            if skipped < count { buffer.append(contentsOf: bytes.dropFirst(skipped)) }
            return
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message or fault, or nil when more bytes are needed.
    package mutating func next() -> FramerEvent? {
        while true {
            switch state {
            case .readingHeader(let scanned, let sawHeaderLine, let contentLength):
                let lineStart = start + scanned
                guard let newline = buffer[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                    if buffer.count - start > maximumHeaderLength {
                        return fail(.headerTooLarge(limit: maximumHeaderLength))
                    }
                    return nil
                }
                let headerLength = newline + 1 - start
                if headerLength > maximumHeaderLength { return fail(.headerTooLarge(limit: maximumHeaderLength)) }
                var lineEnd = newline
                if lineEnd > lineStart, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                if lineEnd == lineStart {
                    // The empty line: the header section is complete (or, before any header, a stray blank line).
                    guard sawHeaderLine else {
                        start = newline + 1
                        state = Self.headerStart
                        continue
                    }
                    // Without a length, the "header" may be the tail of a body longer than its Content-Length
                    // claimed, with the next real header inside it: rescan it.
                    guard let length = contentLength else { return fail(.invalidHeader("missing Content-Length")) }
                    start = newline + 1
                    if length > maximumContentLength {
                        state = .discardingBody(remaining: length)
                        return .error(.messageTooLarge(length))
                    }
                    state = .readingBody(length: length)
                    continue
                }
                switch Self.parseHeaderLine(buffer[lineStart..<lineEnd]) {
                case .failure(let error):
                    return fail(error)
                case .success(let length?):
                    if let contentLength, contentLength != length {
                        return fail(
                            .invalidHeader("conflicting Content-Length values \(contentLength) and \(length)"),
                            resumeAt: newline + 1)
                    }
                    state = .readingHeader(scanned: headerLength, sawHeaderLine: true, contentLength: length)
                case .success(nil):
                    state = .readingHeader(scanned: headerLength, sawHeaderLine: true, contentLength: contentLength)
                }

            case .readingBody(let length):
                guard buffer.count - start >= length else { return nil }
                let body = Array(buffer[start..<start + length])
                start += length
                state = Self.headerStart
                releaseIfEmpty()
                return .message(body)

            case .discardingBody(let remaining):
                let skipped = min(remaining, buffer.count - start)
                start += skipped
                releaseIfEmpty()
                guard skipped == remaining else {
                    state = .discardingBody(remaining: remaining - skipped)
                    return nil
                }
                state = Self.headerStart

            case .resynchronising:
                if let found = findAnchor() {
                    start = found
                    state = Self.headerStart
                    continue
                }
                // Keep only a tail that could still be the beginning of the anchor.
                start = max(start, buffer.count - (Self.anchor.count - 1))
                releaseIfEmpty()
                return nil
            }
        }
    }

    /// Writes one frame: the `Content-Length` header, the empty line, the body.
    package static func frame(_ body: some Collection<UInt8>) -> [UInt8] {
        let count = body.count
        var bytes = Array("Content-Length: \(count)\r\n\r\n".utf8)
        bytes.reserveCapacity(bytes.count + count)
        bytes.append(contentsOf: body)
        return bytes
    }

    // MARK: - Internals

    /// Reports a fault and resynchronises from `resumeAt`, by default just past the start of the faulty header, so a
    /// real header swallowed by the faulty one is still found.
    private mutating func fail(_ error: FramingError, resumeAt: Int? = nil) -> FramerEvent {
        start = min(resumeAt ?? start + 1, buffer.count)
        state = .resynchronising
        return .error(error)
    }

    /// Parses `Name: value`. Returns the length for a `Content-Length` line and nil for any other header.
    private static func parseHeaderLine(_ line: ArraySlice<UInt8>) -> Result<Int?, FramingError> {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(.invalidHeader("expected 'Name: value', found '\(printable(line))'"))
        }
        let name = trimmed(line[..<colon])
        guard name.count == anchor.count - 1, zip(name, anchor).allSatisfy({ lowercased($0) == $1 }) else {
            return .success(nil)  // Content-Type and unknown headers are accepted and ignored.
        }
        let value = trimmed(line[(colon + 1)...])
        var length = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return .failure(
                    .invalidHeader("Content-Length '\(printable(value))' is not a non-negative decimal integer"))
            }
            let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 {
                return .failure(.invalidHeader("Content-Length '\(printable(value))' is out of range"))
            }
            length = sum
        }
        guard !value.isEmpty else { return .failure(.invalidHeader("empty Content-Length")) }
        return .success(length)
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) })
        else { return bytes[bytes.startIndex..<bytes.startIndex] }
        return bytes[first...last]
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Header text for an error message: ASCII only, at most 64 characters.
    private static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        let shown = bytes.prefix(64).map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "?" }
        return String(shown) + (bytes.count > 64 ? "…" : "")
    }

    /// The index of the next case-insensitive `content-length:` at or after `start`.
    private func findAnchor() -> Int? {
        let anchor = Self.anchor
        let last = buffer.count - anchor.count
        guard start <= last else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            var i = start
            while i <= last {
                if Self.lowercased(bytes[i]) == anchor[0] {
                    var j = 1
                    while j < anchor.count, Self.lowercased(bytes[i + j]) == anchor[j] { j += 1 }
                    if j == anchor.count { return i }
                }
                i += 1
            }
            return nil
        }
    }

    /// Drops consumed bytes once they are at least half the storage, so each byte is moved O(1) times on average.
    private mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            releaseIfEmpty()
        } else if start >= buffer.count - start {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    private mutating func releaseIfEmpty() {
        guard start == buffer.count, start > 0 || buffer.capacity > Self.retainedCapacity else { return }
        if buffer.capacity > Self.retainedCapacity {
            buffer = []
        } else {
            buffer.removeAll(keepingCapacity: true)
        }
        start = 0
    }
}
