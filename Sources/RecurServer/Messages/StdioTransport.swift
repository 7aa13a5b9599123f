import Foundation
import Logging
import RecurProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The stdio connection. stdout belongs to the protocol: at start-up the real stdout is moved to a private
/// descriptor and fd 1 is pointed at stderr, so a stray `print` anywhere cannot corrupt the stream.
package final class StdioTransport: Sendable {
    private let output: Int32
    private let writeLock = Mutex<Void>(())
    private let logger: Logger

    package init(logger: Logger = Logger(label: "recur.transport")) {
        output = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        self.logger = logger
    }

    /// Frames and writes one message body; whole messages never interleave.
    package func send(_ body: [UInt8]) {
        let frame = MessageFramer.frame(body)
        writeLock.withLock { _ in
            var written = 0
            while written < frame.count {
                let n = frame.withUnsafeBytes { write(output, $0.baseAddress! + written, frame.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    logger.error("write to the client failed: \(String(cString: strerror(errno)))")
                    return
                }
                written += n
            }
        }
    }

    /// Reads stdin on the calling thread until end of input, yielding each decoded message in order. Malformed
    /// JSON is answered here (-32700, or -32600 with the id when one could be read); framing errors are logged and
    /// the framer resynchronises. `observe` sees each message on this thread before the server does.
    package func readMessages(
        into continuation: AsyncStream<DecodedMessage>.Continuation,
        observe: (DecodedMessage) -> Void = { _ in }
    ) {
        var framer = MessageFramer()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            framer.append(chunk[0..<n])
            while let event = framer.next() {
                switch event {
                case .message(let body):
                    do {
                        let (message, repaired) = try DecodedMessage.decode(body)
                        if repaired {
                            logToClient(
                                LogMessageParams.warning,
                                "a message held invalid UTF-8 or an unpaired surrogate escape: read with U+FFFD "
                                    + "in their place")
                        }
                        observe(message)
                        continuation.yield(message)
                    } catch {
                        logger.warning("malformed message: \(error)")
                        send(JSONRPC.errorResponse(id: error.id, error: error.responseError))
                    }
                case .error(let error):
                    logToClient(LogMessageParams.error, "framing error: \(error); resynchronising")
                }
            }
        }
        if framer.bufferedByteCount > 0 || framer.isSkippingBody {
            logger.warning("input ended inside a message (\(framer.bufferedByteCount) bytes dropped)")
        }
        continuation.finish()
    }

    /// Logs `message` here and sends it to the client as `window/logMessage`.
    private func logToClient(_ type: Int, _ message: String) {
        if type == LogMessageParams.error { logger.error("\(message)") } else { logger.warning("\(message)") }
        if let body = try? JSONRPC.notification(
            LogMessageNotification.self, LogMessageParams(type: type, message: message))
        {
            send(body)
        }
    }
}
