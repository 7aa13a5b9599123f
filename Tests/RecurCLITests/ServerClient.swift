import Foundation
import RecurProtocol
import Synchronization

/// Drives `recur serve` over pipes, as an editor does: framed messages in, framed messages out.
final class ServerClient: Sendable {
    let process: Process
    private let input: FileHandle
    private let received = Mutex<[JSONValue]>([])
    private let stderrText = Mutex<String>("")

    /// `launcher` runs the binary under another program (`strace -f ...`, `unshare -n`), found on PATH.
    init(arguments: [String] = ["serve"], launcher: [String] = [], environment: [String: String] = CLI.environment)
        throws
    {
        process = Process()
        if launcher.isEmpty {
            process.executableURL = CLI.binary
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = launcher + [CLI.binary.path] + arguments
        }
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        input = stdin.fileHandleForWriting
        try process.run()
        let output = stdout.fileHandleForReading
        let errors = stderr.fileHandleForReading
        Thread { [self] in
            var framer = MessageFramer()
            while true {
                let data = output.availableData
                if data.isEmpty { break }
                framer.append(data)
                while let event = framer.next() {
                    if case .message(let body) = event, let value = try? JSONValue(parsing: Data(body)) {
                        self.received.withLock { $0.append(value) }
                    }
                }
            }
        }.start()
        Thread { [self] in
            let data = errors.readDataToEndOfFile()
            self.stderrText.withLock { $0 = String(decoding: data, as: UTF8.self) }
            self.stderrRead.signal()
        }.start()
    }

    private let stderrRead = DispatchSemaphore(value: 0)

    /// Everything the server wrote to stderr: complete once it has exited (this waits up to 10 s for the reader to
    /// catch up), empty while it runs.
    var stderr: String {
        if !process.isRunning && stderrRead.wait(timeout: .now() + 10) == .success { stderrRead.signal() }
        return stderrText.withLock { $0 }
    }

    func send(_ message: JSONValue) throws { try sendRaw(Data(try message.serialized())) }

    func sendRaw(_ body: Data) throws {
        try input.write(contentsOf: Data(MessageFramer.frame([UInt8](body))))
    }

    /// Writes bytes as they are, with no framing.
    func sendRawBytes(_ bytes: Data) throws { try input.write(contentsOf: bytes) }

    func closeInput() throws { try input.close() }

    /// Waits for the first message not yet taken that satisfies `matches`, and takes it.
    func next(timeout: TimeInterval = 60, where matches: (JSONValue) -> Bool) -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found: JSONValue? = received.withLock { messages in
                guard let index = messages.firstIndex(where: matches) else { return nil }
                return messages.remove(at: index)
            }
            if let found { return found }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return nil
    }

    /// The response to request `id`.
    func response(to id: JSONValue, timeout: TimeInterval = 60) -> JSONValue? {
        next(timeout: timeout) { $0["id"] == id && ($0["result"] != nil || $0["error"] != nil) }
    }

    /// Waits for the process to end and returns its status (nil on timeout, after killing it).
    func waitForExit(timeout: TimeInterval = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }
}

/// Whether `actual` contains everything `expected` states. Objects match key by key (extra keys allowed), arrays
/// element by element; the strings "$any", "$nonempty" and "$contains:TEXT" are wildcards.
func jsonMatches(_ actual: JSONValue?, _ expected: JSONValue) -> Bool {
    switch expected {
    case .string("$any"):
        return actual != nil
    case .string("$nonempty"):
        switch actual {
        case .array(let a)?: return !a.isEmpty
        case .string(let s)?: return !s.isEmpty
        case .object(let o)?: return !o.isEmpty
        default: return false
        }
    case .string(let s) where s.hasPrefix("$contains:"):
        guard case .string(let a)? = actual else { return false }
        return a.contains(s.dropFirst("$contains:".count))
    case .object(let fields):
        guard case .object(let a)? = actual else { return false }
        return fields.allSatisfy { key, value in
            if value == .null { return a[key] == .null }
            return jsonMatches(a[key], value)
        }
    case .array(let items):
        guard case .array(let a)? = actual, a.count == items.count else { return false }
        return zip(a, items).allSatisfy { jsonMatches($0, $1) }
    case .int(let i):
        if case .double(let d)? = actual { return d == Double(i) }
        return actual == expected
    default:
        return actual == expected
    }
}
