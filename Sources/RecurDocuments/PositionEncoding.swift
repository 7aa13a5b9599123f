/// The unit in which an LSP `Position.character` counts (`PositionEncodingKind`). The raw values are LSP's names.
package enum PositionEncoding: String, Sendable, Hashable, CaseIterable {
    /// Bytes of UTF-8.
    case utf8 = "utf-8"
    /// UTF-16 code units: an emoji outside the BMP counts 2. LSP's default, and what Neovim and Emacs use.
    case utf16 = "utf-16"
    /// Code points.
    case utf32 = "utf-32"

    /// The encoding to announce in `initialize`: utf-8 when the client offers it (no conversion at all), else
    /// utf-16, which every client must support. `offered` is `general.positionEncodings`, absent in many clients.
    package static func negotiate(offered: [String]?) -> PositionEncoding {
        offered?.contains(PositionEncoding.utf8.rawValue) == true ? .utf8 : .utf16
    }
}
