/// `exit`: terminate; status 0 after a `shutdown`, 1 without one.
package struct ExitNotification: NotificationType {
    package static let method = "exit"
    package typealias Params = EmptyParams
}
