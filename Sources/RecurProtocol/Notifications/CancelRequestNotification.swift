/// `$/cancelRequest`: the client no longer wants the answer to `id`. The server still answers it, with
/// `requestCancelled` unless the result was already sent.
package struct CancelRequestNotification: NotificationType {
    package static let method = "$/cancelRequest"
    package typealias Params = CancelParams
}

package struct CancelParams: Codable, Sendable, Hashable {
    package var id: RequestID

    package init(id: RequestID) {
        self.id = id
    }
}
