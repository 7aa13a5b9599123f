/// How `Position.character` counts: in UTF-8 bytes, UTF-16 code units (LSP's default, and the only choice of
/// clients that do not announce `general.positionEncodings`), or Unicode scalars. Open-ended: unknown kinds a
/// client lists are kept, and simply never chosen.
package struct PositionEncodingKind: RawRepresentable, Codable, Sendable, Hashable {
    package var rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }

    package static let utf8 = PositionEncodingKind(rawValue: "utf-8")
    package static let utf16 = PositionEncodingKind(rawValue: "utf-16")
    package static let utf32 = PositionEncodingKind(rawValue: "utf-32")
}
