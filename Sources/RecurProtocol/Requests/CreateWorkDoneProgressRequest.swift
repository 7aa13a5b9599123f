/// `window/workDoneProgress/create`, sent by the server: asks the client to accept progress under `token`, which
/// `$/progress` notifications then use. Only send it when the client announced `window.workDoneProgress`.
package struct CreateWorkDoneProgressRequest: RequestType {
    package static let method = "window/workDoneProgress/create"
    package typealias Params = WorkDoneProgressCreateParams
    package typealias Response = NullResponse
}

package struct WorkDoneProgressCreateParams: Codable, Sendable, Hashable {
    package var token: ProgressToken

    package init(token: ProgressToken) {
        self.token = token
    }
}
