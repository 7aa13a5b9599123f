/// `shutdown`: stop work and answer null; the process exits on the following `exit` notification.
package struct ShutdownRequest: RequestType {
    package static let method = "shutdown"
    package typealias Params = EmptyParams
    package typealias Response = NullResponse
}
