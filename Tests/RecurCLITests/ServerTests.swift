import Foundation
import RecurProtocol
import Testing

@Suite struct ServerTests {
    static func initialize(_ client: ServerClient, encodings: [String]? = nil) throws {
        var capabilities: [String: JSONValue] = [:]
        if let encodings { capabilities["general"] = ["positionEncodings": .array(encodings.map { .string($0) })] }
        try client.send([
            "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": ["capabilities": .object(capabilities)],
        ])
        _ = try #require(client.response(to: 0))
        try client.send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
    }

    /// Every request is answered, with a result or -32800, and cancellation overtakes queued work.
    @Test func cancelledRequestsAnswerRequestCancelled() throws {
        let client = try ServerClient()
        defer { client.process.terminate() }
        try Self.initialize(client)
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": [
                "textDocument": ["uri": "file:///c.txt", "languageId": "plaintext", "version": 1, "text": "The cat"]
            ],
        ])
        for i in 1...40 {
            try client.send([
                "jsonrpc": "2.0", "id": .int(i), "method": "textDocument/completion",
                "params": ["textDocument": ["uri": "file:///c.txt"], "position": ["line": 0, "character": 7]],
            ])
            try client.send(["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": .int(i)]])
        }
        var cancelled = 0
        for i in 1...40 {
            let response = try #require(client.response(to: .int(i)), "request \(i) unanswered")
            if response["error"]?["code"]?.intValue == -32800 {
                cancelled += 1
            } else {
                #expect(response["result"] != nil)
            }
        }
        #expect(cancelled > 0)
        // The server still serves.
        try client.send(["jsonrpc": "2.0", "id": 100, "method": "recur/status"])
        #expect(client.response(to: 100)?["result"]?["openDocuments"]?.intValue == 1)
    }

    /// Accepting a completion (applying its text edit) reuses the state computed while sampling: the next request
    /// at the end of the accepted text runs no RNN step for the document.
    @Test func acceptedCompletionReusesItsState() throws {
        let client = try ServerClient()
        defer { client.process.terminate() }
        try Self.initialize(client)
        let text = "The cat sat on the mat. The cat"
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": [
                "textDocument": [
                    "uri": "file:///a.txt", "languageId": "plaintext", "version": 1, "text": .string(text),
                ]
            ],
        ])
        let end: JSONValue = ["line": 0, "character": .int(text.count)]
        try client.send([
            "jsonrpc": "2.0", "id": 1, "method": "recur/complete",
            "params": [
                "textDocument": ["uri": "file:///a.txt"], "position": end, "stop": "none", "maxChars": 6, "n": 3,
            ],
        ])
        let first = try #require(client.response(to: 1)?["result"]?["completions"]?[0]?["text"]?.stringValue)
        try client.send(["jsonrpc": "2.0", "id": 2, "method": "recur/status"])
        let stepsBefore = try #require(client.response(to: 2)?["result"]?["stateSteps"]?.intValue)
        // The user accepts it: the editor inserts it at the cursor.
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": [
                "textDocument": ["uri": "file:///a.txt", "version": 2],
                "contentChanges": [["range": ["start": end, "end": end], "text": .string(first)]],
            ],
        ])
        let newEnd: JSONValue = ["line": 0, "character": .int((text + first).utf16.count)]
        try client.send([
            "jsonrpc": "2.0", "id": 3, "method": "recur/complete",
            "params": ["textDocument": ["uri": "file:///a.txt"], "position": newEnd, "n": 1],
        ])
        _ = try #require(client.response(to: 3))
        try client.send(["jsonrpc": "2.0", "id": 4, "method": "recur/status"])
        let stepsAfter = try #require(client.response(to: 4)?["result"]?["stateSteps"]?.intValue)
        #expect(
            stepsAfter == stepsBefore,
            "accepting \(first.debugDescription) recomputed \(stepsAfter - stepsBefore) steps")
    }

    /// Broken framing (a bad header, a non-numeric length, a 2 GB claim) is reported on stderr and the stream
    /// resynchronises: the next good message is answered.
    @Test func brokenFramingResynchronises() throws {
        let client = try ServerClient()
        defer { client.process.terminate() }
        try Self.initialize(client)
        let message: JSONValue = ["jsonrpc": "2.0", "id": 7, "method": "recur/status"]
        let status = Data(try message.serialized())
        let header = Data("Content-Length: \(status.count)\r\n\r\n".utf8)
        var junk = Data("Content-Length: banana\r\n\r\n{}".utf8)
        junk.append(header)
        junk.append(status)
        try client.sendRawBytes(junk)
        #expect(client.response(to: 7)?["result"] != nil)
        try client.sendRawBytes(Data("Content-Length: 2000000000\r\n\r\n".utf8) + Data(repeating: 0x41, count: 4096))
        try client.send(["jsonrpc": "2.0", "id": 8, "method": "recur/status"])
        // The oversized body is skipped as it arrives; the server is still alive and reading.
        #expect(client.process.isRunning)
        try client.closeInput()
        #expect(client.waitForExit() == 1, "end of input without shutdown exits with 1")
        #expect(client.stderr.contains("framing error"))
    }

    /// stdout carries nothing but framed protocol messages, and the log goes to stderr.
    @Test func stdoutCarriesOnlyProtocolMessages() throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--log-level", "debug"]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let messages: [JSONValue] = [
            ["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["capabilities": [:]]],
            [
                "jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": ["textDocument": ["uri": "x", "version": 1], "contentChanges": []],
            ],
            ["jsonrpc": "2.0", "id": 2, "method": "shutdown"],
            ["jsonrpc": "2.0", "method": "exit"],
        ]
        for m in messages { stdin.fileHandleForWriting.write(Data(MessageFramer.frame(try m.serialized()))) }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var framer = MessageFramer()
        framer.append(out)
        var methods: [String] = []
        while let event = framer.next() {
            guard case .message(let body) = event, let message = try? JSONValue(parsing: body) else {
                Issue.record("stdout is not a clean message stream")
                break
            }
            methods.append(message["method"]?.stringValue ?? "response")
        }
        // Two responses, and the warning about the unopened document.
        #expect(methods == ["response", "window/logMessage", "response"] && framer.bufferedByteCount == 0)
        #expect(String(decoding: err, as: UTF8.self).contains("not open"))
    }
}
