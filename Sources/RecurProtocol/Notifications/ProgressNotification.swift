/// `$/progress`, sent by the server: one step of the work-done progress stream named by `token`.
package struct ProgressNotification: NotificationType {
    package static let method = "$/progress"
    package typealias Params = ProgressParams
}

package struct ProgressParams: Codable, Sendable, Hashable {
    package var token: ProgressToken
    package var value: WorkDoneProgress

    package init(token: ProgressToken, value: WorkDoneProgress) {
        self.token = token
        self.value = value
    }
}
