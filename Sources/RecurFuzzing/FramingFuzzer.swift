import RecurProtocol

/// Bytes as they would arrive on stdin: framed, then decoded as JSON-RPC, then each method's params decoded.
///
/// Invariants: the framer yields the same events however the stream is split into reads; every decoded message
/// survives a serialise/parse round trip; nothing traps.
enum FramingFuzzer {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        let stream = UnsafeRawBufferPointer(rebasing: data[1...])
        // Small limits, so that oversized bodies and headers are reachable from short inputs.
        let whole = events(of: stream, chunkSeed: nil)
        let split = events(of: stream, chunkSeed: Int(first))
        precondition(whole == split, "framing depends on how the input is split into reads")
        for case .message(let body) in whole { decode(body) }
    }

    static func makeFramer() -> MessageFramer {
        MessageFramer(maximumContentLength: 512, maximumHeaderLength: 64)
    }

    /// The framer's events for `stream`, appended whole (`chunkSeed` nil) or in reads of varying sizes.
    static func events(of stream: UnsafeRawBufferPointer, chunkSeed: Int?) -> [FramerEvent] {
        var framer = makeFramer()
        var events: [FramerEvent] = []
        var i = 0
        var size = (chunkSeed ?? 0) % 13 + 1
        repeat {
            let n = chunkSeed == nil ? stream.count : min(size, stream.count - i)
            framer.append(UnsafeRawBufferPointer(rebasing: stream[i..<(i + n)]))
            i += n
            size = (size * 5 + 3) % 29 + 1
            while let event = framer.next() { events.append(event) }
        } while i < stream.count
        return events
    }

    static let requestTypes = MessageRegistry.requests.sorted { $0.key < $1.key }.map(\.value)
    static let notificationTypes = MessageRegistry.notifications.sorted { $0.key < $1.key }.map(\.value)

    static func decode(_ body: [UInt8]) {
        let message: IncomingMessage
        do {
            message = try IncomingMessage.decodeRepairingTextEncoding(body).message
        } catch {
            _ = error.responseError  // every failure must be answerable
            // An invalid request is refused both ways. Refused JSON may still be read in one pass: `JSONValue`
            // cannot hold a number beyond Double's range (1e600), which JSON allows, and the one-pass decode never
            // reads the unknown field that holds it (found by this fuzzer; the input is in its corpus).
            if case .invalidRequest = error {
                precondition(
                    (try? DecodedMessage.decode(body)) == nil,
                    "the one-pass decode accepted what the careful one refuses")
            }
            return
        }
        // The server's one-pass decode must read every message as the careful decode through `JSONValue` does.
        guard let decoded = try? DecodedMessage.decode(body).message else {
            preconditionFailure("the one-pass decode refused what the careful one accepts")
        }
        let careful = DecodedMessage(message)
        precondition(
            decoded.canonicalDescription == careful.canonicalDescription,
            "one-pass decode: \(decoded.canonicalDescription); careful: \(careful.canonicalDescription)")
        let params: JSONValue?
        switch message {
        case .request(_, let method, let p):
            params = p
            if let type = MessageRegistry.requests[method] { _ = try? type.decodeParams(p) }
        case .notification(let method, let p):
            params = p
            if let type = MessageRegistry.notifications[method] { _ = try? type.decodeParams(p) }
        case .response(_, let result):
            params = result
        case .errorResponse(_, let error):
            params = error.data
        }
        guard let params else { return }
        // Whatever the method was, every decoder must cope with these params: one more, picked by the body.
        let requests = Self.requestTypes, notifications = Self.notificationTypes
        let pick = body.count % (requests.count + notifications.count)
        if pick < requests.count {
            _ = try? requests[pick].decodeParams(params)
        } else {
            _ = try? notifications[pick - requests.count].decodeParams(params)
        }
        guard let text = try? params.serialized() else { return }
        guard let reparsed = try? JSONValue(parsing: text) else {
            preconditionFailure("serialised JSON does not parse: \(String(decoding: text, as: UTF8.self))")
        }
        precondition(reparsed == params, "JSON round trip changed \(params) into \(reparsed)")
    }
}
