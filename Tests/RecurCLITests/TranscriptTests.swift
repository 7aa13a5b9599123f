import Foundation
import RecurProtocol
import Testing

/// Replays every transcript in Protocol/transcripts against the real binary over pipes.
@Suite struct TranscriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Protocol/transcripts")

    static var transcripts: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".jsonl") }
            .sorted()
    }

    @Test func transcriptsExist() { #expect(Self.transcripts.count >= 3) }

    @Test(arguments: transcripts)
    func replay(name: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        let client = try ServerClient()
        defer { if client.process.isRunning { client.process.terminate() } }
        for (number, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            let step = try JSONValue(parsing: Data(line.utf8))
            let where_ = "\(name):\(number + 1)"
            if let message = step["send"] {
                try client.send(message)
            } else if case .string(let raw)? = step["sendRaw"] {
                try client.sendRaw(Data(raw.utf8))
            } else if let expected = step["expect"] {
                let id = expected["id"] ?? .null
                let response = try #require(client.response(to: id), "\(where_): no answer to id \(id)")
                #expect(jsonMatches(response, expected), "\(where_): got \(response)")
            } else if let code = step["exitCode"]?.intValue {
                #expect(client.waitForExit() == Int32(code), "\(where_): exit status; stderr: \(client.stderr)")
            }
        }
    }
}
