import Foundation
import RecurProtocol
import Testing

/// Everything an editor, a script, a corrupt file or another process can throw at the daemon: each case gets a
/// clear error (a response, or `window/logMessage` for a notification), the server keeps serving the other
/// documents, and nothing in the store is lost. Driven over pipes against the real binary.
@Suite struct HostileInputTests {
    static func start(_ arguments: [String] = ["serve"], options: JSONValue? = nil) throws -> ServerClient {
        let client = try ServerClient(arguments: arguments)
        var params: [String: JSONValue] = ["capabilities": [:]]
        if let options { params["initializationOptions"] = options }
        try client.send(["jsonrpc": "2.0", "id": 0, "method": "initialize", "params": .object(params)])
        _ = try #require(client.response(to: 0))
        try client.send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        return client
    }

    static func open(_ client: ServerClient, _ uri: String, _ text: String, version: Int = 1) throws {
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": [
                "textDocument": [
                    "uri": .string(uri), "languageId": "plaintext", "version": .int(version), "text": .string(text),
                ]
            ],
        ])
    }

    static func complete(
        _ client: ServerClient, id: Int, uri: String, line: JSONValue, character: JSONValue, timeout: TimeInterval = 120
    ) throws -> JSONValue {
        try client.send([
            "jsonrpc": "2.0", "id": .int(id), "method": "recur/complete",
            "params": [
                "textDocument": ["uri": .string(uri)], "position": ["line": line, "character": character],
                "n": 2, "maxChars": 8, "seed": 1,
            ],
        ])
        return try #require(client.response(to: .int(id), timeout: timeout), "request \(id) unanswered")
    }

    /// The next `window/logMessage` whose text contains `text`.
    static func logMessage(_ client: ServerClient, containing text: String) -> JSONValue? {
        client.next(timeout: 30) {
            $0["method"] == "window/logMessage" && ($0["params"]?["message"]?.stringValue ?? "").contains(text)
        }
    }

    /// The server's peak resident memory so far, in MiB.
    static func peakMemoryMiB(_ client: ServerClient) -> Int? {
        guard
            let status = try? String(
                contentsOfFile: "/proc/\(client.process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 / 1024 }
    }

    static func statusRequest(_ client: ServerClient, id: Int) throws -> JSONValue {
        try client.send(["jsonrpc": "2.0", "id": .int(id), "method": "recur/status"])
        return try #require(client.response(to: .int(id))?["result"], "recur/status \(id) unanswered")
    }

    // MARK: Documents

    @Test func aFiftyMegabyteDocumentAndATenMegabyteLine() throws {
        let client = try Self.start()
        defer { client.process.terminate() }
        try Self.open(client, "file:///small.txt", "The quick brown fox jumps over the la")
        let line = String(
            repeating: "It is a truth universally acknowledged, that a single man wants a wife. ", count: 1)
        let lines = 50_000_000 / line.utf8.count
        try Self.open(client, "file:///big.txt", String(repeating: line + "\n", count: lines))
        try Self.open(client, "file:///line.txt", String(repeating: "abcdefghij", count: 1_000_000))
        let end = try Self.complete(client, id: 1, uri: "file:///big.txt", line: .int(lines), character: 0)
        #expect(end["result"]?["completions"] != nil, "\(end)")
        let middle = try Self.complete(client, id: 2, uri: "file:///line.txt", line: 0, character: 5_000_003)
        #expect(middle["result"]?["completions"] != nil, "\(middle)")
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": [
                "textDocument": ["uri": "file:///line.txt", "version": 2],
                "contentChanges": [
                    [
                        "range": [
                            "start": ["line": 0, "character": 4_000_000], "end": ["line": 0, "character": 6_000_000],
                        ], "text": "\n",
                    ]
                ],
            ],
        ])
        let afterEdit = try Self.complete(client, id: 3, uri: "file:///line.txt", line: 1, character: 0)
        #expect(afterEdit["result"]?["completions"] != nil, "\(afterEdit)")
        let small = try Self.complete(client, id: 4, uri: "file:///small.txt", line: 0, character: 37)
        #expect((small["result"]?["completions"]?.arrayValue?.count ?? 0) > 0, "\(small)")
        #expect(try Self.statusRequest(client, id: 5)["openDocuments"] == 3)
        // The text is held once, as bytes: the peak stays within a few copies of the 60 MB opened.
        if let peak = Self.peakMemoryMiB(client) { #expect(peak < 1024, "peak RSS \(peak) MiB") }
    }

    @Test func nulBytesInvalidUTF8AndUnpairedSurrogates() throws {
        let client = try Self.start()
        defer { client.process.terminate() }
        try Self.open(client, "file:///nul.txt", "a\u{0}b\u{0}\u{0}c\nd")
        let nul = try Self.complete(client, id: 1, uri: "file:///nul.txt", line: 0, character: 6)
        #expect(nul["result"]?["completions"] != nil, "\(nul)")
        // A didOpen whose text is not UTF-8: opened with U+FFFD in place of each bad sequence, and a warning.
        let invalid =
            Array(
                #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///latin1.txt","languageId":"plaintext","version":1,"text":"caf"#
                    .utf8) + [0xE9, 0x20, 0xFF, 0xFE, 0xC3] + Array(#" au lait"}}}"#.utf8)
        try client.sendRaw(Data(invalid))
        #expect(Self.logMessage(client, containing: "invalid UTF-8") != nil)
        let latin1 = try Self.complete(client, id: 2, uri: "file:///latin1.txt", line: 0, character: 16)
        #expect(latin1["result"]?["completions"] != nil, "\(latin1)")
        // An edit whose text holds an unpaired surrogate escape (as JSON.stringify writes one).
        try client.sendRaw(
            Data(
                #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///latin1.txt","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"\ud800x"}]}}"#
                    .utf8))
        #expect(Self.logMessage(client, containing: "unpaired surrogate") != nil)
        // "\u{FFFD}x" is two UTF-16 units: the old text now starts at character 2 (16 + 2 = 18 is its end).
        let shifted = try Self.complete(client, id: 3, uri: "file:///latin1.txt", line: 0, character: 18)
        #expect(shifted["result"]?["completions"] != nil, "\(shifted)")
        #expect(try Self.statusRequest(client, id: 4)["openDocuments"] == 2)
    }

    // MARK: Framing and lifecycle

    @Test func aTwoGigabyteContentLengthIsNeverAllocated() throws {
        let client = try Self.start()
        defer { client.process.terminate() }
        try Self.open(client, "file:///a.txt", "some text")
        try client.sendRawBytes(Data("Content-Length: 2147483648\r\n\r\n".utf8) + Data(repeating: 0x7B, count: 1 << 20))
        #expect(Self.logMessage(client, containing: "exceeds the size limit") != nil)
        #expect(client.process.isRunning)
        if let peak = Self.peakMemoryMiB(client) { #expect(peak < 256, "peak RSS \(peak) MiB") }
        // Lengths that do not fit an integer are header errors, and the stream resynchronises after them... but
        // only once the 2 GB body has been skipped, which this client will not send: it hangs up instead.
        try client.closeInput()
        #expect(client.waitForExit() == 1)
        #expect(client.stderr.contains("input ended inside a message"))
    }

    @Test func lengthsThatOverflowAnIntegerResynchronise() throws {
        let client = try Self.start()
        defer { client.process.terminate() }
        for (k, length) in ["9223372036854775808", "18446744073709551616", "99999999999999999999999"].enumerated() {
            try client.sendRawBytes(Data("Content-Length: \(length)\r\n\r\n{}".utf8))
            try client.send(["jsonrpc": "2.0", "id": .int(k + 1), "method": "recur/status"])
            #expect(client.response(to: .int(k + 1))?["result"] != nil, "after Content-Length: \(length)")
        }
        #expect(Self.logMessage(client, containing: "framing error") != nil)
    }

    @Test func aHeaderWithoutItsBodyThenEndOfInput() throws {
        let client = try Self.start()
        defer { client.process.terminate() }
        try client.sendRawBytes(Data("Content-Length: 100\r\n\r\n{\"jsonrpc\":".utf8))
        try client.closeInput()
        #expect(client.waitForExit() == 1, "end of input without shutdown exits with 1")
        #expect(client.stderr.contains("input ended inside a message"))
    }

    @Test func tenThousandRequestsInFlightThenAllCancelled() throws {
        let client = try Self.start()
        defer { client.process.terminate() }
        try Self.open(client, "file:///c.txt", "It is a truth universally acknowledged that a single man")
        let count = 10_000
        var requests = Data()
        for i in 1...count {
            // Each request is real work (4 samples of 200 characters, about 800 RNN steps), so that they are still
            // in flight when the cancellations arrive however fast or loaded the machine is; every tenth is the
            // editor's completion list.
            let message: JSONValue =
                i % 10 == 0
                ? [
                    "jsonrpc": "2.0", "id": .int(i), "method": "textDocument/completion",
                    "params": ["textDocument": ["uri": "file:///c.txt"], "position": ["line": 0, "character": 56]],
                ]
                : [
                    "jsonrpc": "2.0", "id": .int(i), "method": "recur/complete",
                    "params": [
                        "textDocument": ["uri": "file:///c.txt"], "position": ["line": 0, "character": 56],
                        "n": 4, "maxChars": 200, "stop": "none", "seed": .int(i),
                    ],
                ]
            requests.append(Data(MessageFramer.frame(try message.serialized())))
        }
        var cancels = Data()
        for i in 1...count {
            let message: JSONValue = ["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": .int(i)]]
            cancels.append(Data(MessageFramer.frame(try message.serialized())))
        }
        try client.sendRawBytes(requests)
        try client.sendRawBytes(cancels)
        var cancelled = 0
        var answered = 0
        for i in 1...count {
            guard let response = client.response(to: .int(i), timeout: 300) else { break }
            answered += 1
            if response["error"]?["code"] == -32800 {
                cancelled += 1
            } else {
                #expect(response["result"] != nil, "\(response)")
            }
        }
        #expect(answered == count, "every request is answered exactly once")
        // Before completions moved off the threads that read messages, 1 of 10,000 was cancelled: the cancellations
        // were read only after every request had been computed. Now a request still queued is never computed.
        #expect(cancelled > count / 2, "\(cancelled) of \(count) were cancelled")
        #expect(client.next(timeout: 1) { $0["id"] != nil && $0["id"] != .null } == nil, "no extra responses")
        #expect(try Self.statusRequest(client, id: count + 1)["openDocuments"] == 1)
        if let peak = Self.peakMemoryMiB(client) { #expect(peak < 512, "peak RSS \(peak) MiB") }
    }

    // MARK: Models and store

    /// A safetensors header that claims a tensor of 2^70 bytes, and one whose metadata claims 2^62 hidden units.
    @Test func modelFilesThatClaimHugeShapes() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, header: String, data: Int) throws -> String {
            var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Data($0) }
            bytes.append(Data(header.utf8))
            bytes.append(Data(count: data))
            let url = folder.appendingPathComponent(name)
            try bytes.write(to: url)
            return url.path
        }
        let huge = try file(
            "huge.safetensors",
            header: #"{"embedding.weight":{"dtype":"F32","shape":[1099511627776,1073741824],"data_offsets":[0,16]}}"#,
            data: 16)
        let claims = try file(
            "claims.safetensors",
            header:
                #"{"__metadata__":{"hidden":"4611686018427387904","layers":"99999999999"},"embedding.weight":{"dtype":"F32","shape":[256,1],"data_offsets":[0,1024]},"rnn.weight_ih_l0":{"dtype":"F32","shape":[3,1],"data_offsets":[1024,1036]},"rnn.weight_hh_l0":{"dtype":"F32","shape":[3,1],"data_offsets":[1036,1048]}}"#,
            data: 1048)
        for (path, reason) in [(huge, "overflows"), (claims, "contradicts the tensors")] {
            let result = try CLI.run(["complete", "--model", path, "abc"])
            #expect(result.status != 0)
            #expect(result.stderr.contains(reason), "\(result.stderr)")
            let client = try Self.start(options: ["model": .string(path)])
            defer { client.process.terminate() }
            try Self.open(client, "file:///m.txt", "abc")
            let response = try Self.complete(client, id: 1, uri: "file:///m.txt", line: 0, character: 3)
            #expect(response["error"]?["code"] == -32803, "\(response)")
            #expect(response["error"]?["message"]?.stringValue?.contains(reason) == true, "\(response)")
            #expect(try Self.statusRequest(client, id: 2)["openDocuments"] == 1)
            if let peak = Self.peakMemoryMiB(client) { #expect(peak < 256, "peak RSS \(peak) MiB") }
        }
    }

    /// A store that is not SQLite: completions use the base model with a warning, and the file is left as it was.
    @Test func aStoreThatIsNotSQLite() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("notes.sqlite").path
        let original = Data("these are my notes, not a database\n".utf8)
        try original.write(to: URL(fileURLWithPath: path))
        let client = try Self.start(options: ["store": .string(path)])
        defer { client.process.terminate() }
        try Self.open(client, "file:///s.txt", "The quick brown fox")
        let response = try Self.complete(client, id: 1, uri: "file:///s.txt", line: 0, character: 19)
        #expect(response["result"]?["completions"] != nil, "\(response)")
        let warnings = try Self.statusRequest(client, id: 2)["storeWarnings"]?.arrayValue ?? []
        #expect(warnings.contains { $0.stringValue?.contains("not an SQLite database") == true }, "\(warnings)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original, "the file is untouched")
    }
}
