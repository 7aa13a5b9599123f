/// `window/logMessage`, sent by the server when input it could not act on arrived as a notification (which has no
/// response to carry an error): a change to an unopened document, a rejected edit, repaired text. Editors show
/// these in their LSP log.
package struct LogMessageNotification: NotificationType {
    package static let method = "window/logMessage"
    package typealias Params = LogMessageParams
}

package struct LogMessageParams: Codable, Sendable, Hashable {
    /// LSP's MessageType: 1 error, 2 warning, 3 info, 4 log.
    package var type: Int
    package var message: String

    package static let error = 1
    package static let warning = 2

    package init(type: Int, message: String) {
        self.type = type
        self.message = message
    }
}
