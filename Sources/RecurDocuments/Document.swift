/// An open document, as the server keeps it between `didOpen` and `didClose`.
package struct Document: Sendable, Equatable {
    package let uri: String
    package var languageId: String
    /// The client's version. It only ever comes from the client, and may jump (versions have gaps in practice).
    package var version: Int
    package var buffer: TextBuffer

    package init(uri: String, languageId: String, version: Int, text: String) {
        self.uri = uri
        self.languageId = languageId
        self.version = version
        self.buffer = TextBuffer(text)
    }

    /// Applies one `didChange`: its changes in order, then its version. All or nothing: on error neither the
    /// text nor the version changes.
    @discardableResult
    package mutating func apply(_ changes: [TextChange], version: Int, encoding: PositionEncoding)
        throws(TextBuffer.Error) -> [EditEffect]
    {
        let effects = try buffer.applyAll(changes, encoding: encoding)
        self.version = version
        return effects
    }
}
