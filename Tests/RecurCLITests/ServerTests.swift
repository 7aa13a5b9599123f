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
