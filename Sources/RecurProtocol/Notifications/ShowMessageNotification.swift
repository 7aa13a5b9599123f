/// `window/showMessage`, sent by the server when the user should see something now, not only in the LSP log: a
/// setting in `initializationOptions` that was rejected, named by its field. Same params as `window/logMessage`.
package struct ShowMessageNotification: NotificationType {
    package static let method = "window/showMessage"
    package typealias Params = LogMessageParams
}
