/// `initialized`: the client has received the `initialize` result; the server may now send requests.
package struct InitializedNotification: NotificationType {
    package static let method = "initialized"
    package typealias Params = EmptyParams
}
