import Foundation
import RecurProtocol

/// SplitMix64: a tiny seeded generator, so random tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension MessageFramer {
    /// Every event available now.
    mutating func drain() -> [FramerEvent] {
        var events: [FramerEvent] = []
        while let event = next() { events.append(event) }
        return events
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func framed(_ body: String) -> [UInt8] { MessageFramer.frame(bytes(body)) }

/// Parses JSON text for comparisons that must not depend on key order or spacing.
func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: bytes(text)) }

func json(_ body: [UInt8]) throws -> JSONValue { try JSONValue(parsing: body) }

/// The error `IncomingMessage.decode` throws for `body`, or nil when it decodes.
func decodingFailure(_ body: [UInt8]) -> MessageDecodingError? {
    do throws(MessageDecodingError) {
        _ = try IncomingMessage.decode(body)
        return nil
    } catch {
        return error
    }
}

/// The error `decodeParams` throws for `params`, or nil when they decode.
func paramsFailure<R: RequestType>(_ type: R.Type, _ params: JSONValue?) -> ResponseError? {
    do throws(ResponseError) {
        _ = try R.decodeParams(params)
        return nil
    } catch {
        return error
    }
}

func paramsFailure<N: NotificationType>(_ type: N.Type, _ params: JSONValue?) -> ResponseError? {
    do throws(ResponseError) {
        _ = try N.decodeParams(params)
        return nil
    } catch {
        return error
    }
}
