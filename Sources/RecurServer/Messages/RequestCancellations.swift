import RecurProtocol
import Synchronization

/// Which requests the client has cancelled, known as soon as the message is read rather than when the server
/// actor reaches it. Messages are handled in order, so under a burst the actor may reach a `$/cancelRequest` only
/// after every request before it has been computed (measured with 10,000 requests in flight: 811 cancelled under
/// load). The stdin thread records each request when it is read and marks it when its cancellation is read; the
/// server then never starts, and the workers never compute, a request marked here.
///
/// Only requests not yet answered are kept (a cancellation of an answered or unknown id is dropped), so the
/// board holds at most the requests in flight.
package final class RequestCancellations: Sendable {
    private let state = Mutex<[RequestID: Bool]>([:])

    package init() {}

    /// Called by the reading thread for every message, before it is handed to the server.
    package func observe(_ message: DecodedMessage) {
        switch message {
        case .request(let id, _, _):
            state.withLock { $0[id] = false }
        case .notification(CancelRequestNotification.method, let params):
            guard let id = try? params.get(CancelParams.self).id else { return }
            state.withLock { pending in
                if pending[id] != nil { pending[id] = true }
            }
        default:
            break
        }
    }

    package func isCancelled(_ id: RequestID) -> Bool {
        state.withLock { $0[id] ?? false }
    }

    /// The request was answered: forget it.
    package func answered(_ id: RequestID) {
        _ = state.withLock { $0.removeValue(forKey: id) }
    }
}
