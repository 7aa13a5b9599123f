import Foundation
import RecurProtocol
import Testing

/// Recur never opens a network socket: no socket call is linked into the binary, none is made during a whole
/// session (completions, an adaptation that reads files and writes the store), and a session works in a network
/// namespace with no network at all.
@Suite struct NetworkIsolationTests {
    static let socketCalls = [
        "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "getaddrinfo", "gethostbyname",
        "sendto", "recvfrom", "sendmsg", "recvmsg",
    ]

    static func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test func noSocketCallIsLinked() throws {
        let undefined = try Self.output(["nm", "-D", "--undefined-only", CLI.binary.path])
        let names = Set(
            undefined.split(separator: "\n").compactMap { $0.split(separator: " ").last }
                .map { String($0.split(separator: "@").first ?? "") })
        #expect(names.contains("read") || names.contains("open"), "nm lists the binary's imports")
        for call in Self.socketCalls { #expect(!names.contains(call), "the binary imports \(call)") }
        // Nor does it link Foundation's networking half (URLSession, libcurl).
        let libraries = try Self.output(["ldd", CLI.binary.path])
        #expect(!libraries.contains("FoundationNetworking") && !libraries.contains("libcurl"), "\(libraries)")
    }

    /// A whole session: initialize, open, complete, adapt on files (reading them, writing the store), complete
    /// with the adapted weights, shut down.
    static func session(launcher: [String]) throws -> ServerClient {
        let w = try PersonalModelTests.Workspace()
        let client = try ServerClient(
            arguments: ["serve", "--model", w.model, "--store", w.store], launcher: launcher)
        try client.send([
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": [
                "capabilities": [:], "workspaceFolders": [["uri": .string(w.root.absoluteString), "name": "w"]],
            ],
        ])
        _ = try #require(client.response(to: 0, timeout: 120))
        try client.send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        let uri = JSONValue.string(w.notes.appendingPathComponent("open.txt").absoluteString)
        try client.send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": [
                "textDocument": ["uri": uri, "languageId": "text", "version": 1, "text": "the cat sat on the m"]
            ],
        ])
        let complete: JSONValue = [
            "jsonrpc": "2.0", "id": 1, "method": "textDocument/completion",
            "params": ["textDocument": ["uri": uri], "position": ["line": 0, "character": 20]],
        ]
        try client.send(complete)
        #expect(client.response(to: 1, timeout: 120)?["result"] != nil)
        try client.send([
            "jsonrpc": "2.0", "id": 2, "method": "recur/adapt",
            "params": ["paths": [.string(w.notes.path)], "steps": 10],
        ])
        #expect(client.response(to: 2, timeout: 120)?["result"]?["jobId"] != nil)
        let finished = client.next(timeout: 600) { $0["method"] == "recur/adaptFinished" }
        #expect(finished?["params"]?["outcome"] == "improved", "\(String(describing: finished))")
        try client.send(complete.merging(["id": 3]))
        #expect(client.response(to: 3, timeout: 120)?["result"] != nil)
        try client.send(["jsonrpc": "2.0", "id": 4, "method": "shutdown"])
        _ = client.response(to: 4, timeout: 120)
        try client.send(["jsonrpc": "2.0", "method": "exit"])
        #expect(client.waitForExit(timeout: 120) == 0, "\(client.stderr)")
        return client
    }

    @Test func noSocketIsOpenedDuringASession() throws {
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("recur-strace-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: trace) }
        _ = try Self.session(launcher: ["strace", "-f", "-qq", "-e", "trace=%network", "-o", trace.path])
        let calls = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n")
            .filter { line in Self.socketCalls.contains { line.contains("\($0)(") } }
        // The one exception: glibc's user lookup (getpwuid, which Foundation's file attributes call inside GRDB)
        // asks the name-service cache daemon over a local Unix socket. That is not a network socket.
        // (Without its closing parenthesis: with several threads strace may split the call, `... 0 <unfinished ...>`.)
        let nameService = calls.filter { line in
            line.contains("socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0")
                || line.contains("sun_path=\"/var/run/nscd/socket\"")
        }
        #expect(
            calls.count == nameService.count, "network calls: \(calls.filter { !nameService.contains($0) }.prefix(5))")
        #expect(!calls.contains { $0.contains("AF_INET") || $0.contains("AF_NETLINK") || $0.contains("AF_PACKET") })
    }

    @Test func servesInANetworkNamespaceWithoutNetwork() throws {
        // As root a plain new network namespace; otherwise inside a user namespace of its own.
        let launcher = getuid() == 0 ? ["unshare", "-n"] : ["unshare", "-rn"]
        let client = try Self.session(launcher: launcher)
        #expect(!client.stderr.contains("error"), "\(client.stderr)")
    }
}

extension JSONValue {
    /// This object with `other`'s members added or replaced.
    fileprivate func merging(_ other: [String: JSONValue]) -> JSONValue {
        guard case .object(var members) = self else { return self }
        for (key, value) in other { members[key] = value }
        return .object(members)
    }
}
