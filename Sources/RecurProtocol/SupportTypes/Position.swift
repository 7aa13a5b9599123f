/// A place in a document: zero-based line, and character offset counted in the negotiated position encoding.
///
/// Decoding rejects a negative or fractional `line` or `character` with a `DecodingError` at that field ("expected
/// a non-negative integer"), so a bad position never reaches the document store.
package struct Position: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    package var line: Int
    package var character: Int

    package init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    private enum CodingKeys: String, CodingKey {
        case line, character
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        line = try Self.decodeNonNegative(container, .line)
        character = try Self.decodeNonNegative(container, .character)
    }

    private static func decodeNonNegative(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
        -> Int
    {
        let value: Int
        do {
            value = try container.decode(Int.self, forKey: key)
        } catch DecodingError.keyNotFound(let key, let context) {
            throw DecodingError.keyNotFound(key, context)
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "expected a non-negative integer")
        }
        guard value >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "expected a non-negative integer")
        }
        return value
    }

    package static func < (lhs: Position, rhs: Position) -> Bool {
        (lhs.line, lhs.character) < (rhs.line, rhs.character)
    }

    package var description: String { "\(line):\(character)" }
}
