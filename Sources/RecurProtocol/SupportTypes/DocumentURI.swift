/// A document's URI exactly as the client sent it (`file:///...`, `untitled:...`). Kept as text: it is an opaque
/// key, and normalising it would break the match with the client's later messages.
package typealias DocumentURI = String
