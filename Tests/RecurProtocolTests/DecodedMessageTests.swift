import Foundation
import RecurProtocol
import Testing

/// The server's one-pass decode (`DecodedMessage`) against the careful decode through `JSONValue`: the same
/// message, the same params, the same errors; well-formed messages of registered methods never take the careful way.
@Suite struct DecodedMessageTests {
    static let transcripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Protocol/transcripts")

    /// Every message the transcripts send, as bytes.
    static func sentMessages() throws -> [[UInt8]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: transcripts.path).filter {
            $0.hasSuffix(".jsonl")
        }
        var messages: [[UInt8]] = []
        for file in files.sorted() {
            let text = try String(contentsOf: transcripts.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard case .object(let step) = try JSONValue(parsing: Array(line.utf8)), let send = step["send"] else {
                    continue
                }
                messages.append(try send.serialized())
            }
        }
        return messages
    }

    @Test func transcriptMessagesDecodeAsTheCarefulWayReadsThem() throws {
        let messages = try Self.sentMessages()
        #expect(messages.count >= 30)
        var onePass = 0
        for body in messages {
            let careful: DecodedMessage
            do {
                careful = DecodedMessage(try IncomingMessage.decode(body))
            } catch {
                #expect(DecodedMessage.decodeInOnePass(body) == nil)
                #expect(throws: error) { try DecodedMessage.decode(body) }
                continue
            }
            let decoded = try DecodedMessage.decode(body).message
            #expect(decoded.canonicalDescription == careful.canonicalDescription)
            // A registered method with params that fit is read in one pass, and read the same.
            let fast = DecodedMessage.decodeInOnePass(body)
            if let fast { #expect(fast.canonicalDescription == careful.canonicalDescription) }
            let hasParams = (try JSONValue(parsing: body))["params"].map { $0 != .null } ?? false
            switch careful {
            case .request(_, _, .value), .notification(_, .value):
                if hasParams {
                    #expect(fast != nil, "not in one pass: \(String(decoding: body, as: UTF8.self))")
                    onePass += 1
                }
            default:
                break
            }
        }
        #expect(onePass >= 20)
    }

    @Test func typingMessagesTakeOnePass() throws {
        let change = #"""
            {"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a","version":3},
            "contentChanges":[{"range":{"start":{"line":0,"character":4},"end":{"line":0,"character":4}},"text":"é"}]}}
            """#
        let completion = #"""
            {"jsonrpc":"2.0","id":7,"method":"textDocument/completion",
            "params":{"textDocument":{"uri":"file:///a"},"position":{"line":0,"character":5}}}
            """#
        let decodedChange = try #require(DecodedMessage.decodeInOnePass(Array(change.utf8)))
        guard case .notification("textDocument/didChange", let params) = decodedChange else {
            Issue.record("read as \(decodedChange.canonicalDescription)")
            return
        }
        let change0 = try #require(try params.get(DidChangeTextDocumentParams.self).contentChanges.first)
        #expect(change0.text == "é")
        #expect(change0.range?.start == Position(line: 0, character: 4))
        let decodedCompletion = try #require(DecodedMessage.decodeInOnePass(Array(completion.utf8)))
        guard case .request(.int(7), "textDocument/completion", let completionParams) = decodedCompletion else {
            Issue.record("read as \(decodedCompletion.canonicalDescription)")
            return
        }
        #expect(try completionParams.get(CompletionParams.self).position == Position(line: 0, character: 5))
    }

    @Test func paramsThatDoNotFitAreAnsweredWithTheFieldNamed() throws {
        let body = #"""
            {"jsonrpc":"2.0","id":1,"method":"textDocument/completion",
            "params":{"textDocument":{"uri":"file:///a"},"position":{"line":-1,"character":0}}}
            """#
        #expect(DecodedMessage.decodeInOnePass(Array(body.utf8)) == nil)
        guard case .request(_, _, .invalid(let error)) = try DecodedMessage.decode(Array(body.utf8)).message else {
            Issue.record("bad params were accepted")
            return
        }
        #expect(error.code == .invalidParams)
        #expect(error.message == "invalid params: position.line: expected a non-negative integer")
    }

    /// JSON sets numbers no range. An unknown field holding 1e600 (beyond Double) is not read, so the message is
    /// accepted; the careful way cannot hold that number and refuses the whole message.
    @Test func aHugeNumberInAnUnknownFieldIsNotRead() throws {
        let body = Array(
            #"{"jsonrpc":"2.0","id":4,"method":"recur/adapt","params":{"profile":"p","a":[1,2.5,-0.0,1e+600]}}"#
                .utf8)
        guard case .request(.int(4), "recur/adapt", let params) = try DecodedMessage.decode(body).message else {
            Issue.record("not read as a recur/adapt request")
            return
        }
        #expect(try params.get(RecurAdaptParams.self).profile == "p")
        #expect(throws: MessageDecodingError.self) { try IncomingMessage.decode(body) }
    }

    @Test func unknownMethodsAreNotRead() throws {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"workspace/symbol","params":{"query":[1,{}]}}"#
        guard case .request(_, "workspace/symbol", .unregistered) = try DecodedMessage.decode(Array(body.utf8)).message
        else {
            Issue.record("an unknown method's params were read")
            return
        }
    }

    @Test func invalidUTF8IsRepairedIntoTypedParams() throws {
        let body =
            Array(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"u","#.utf8)
            + Array(#""languageId":"","version":1,"text":"a"#.utf8) + [0xFF] + Array(#"\ud800b"}}}"#.utf8)
        let (message, repaired) = try DecodedMessage.decode(body)
        #expect(repaired)
        guard case .notification(_, let params) = message else {
            Issue.record("read as \(message.canonicalDescription)")
            return
        }
        #expect(try params.get(DidOpenTextDocumentParams.self).textDocument.text == "a\u{FFFD}\u{FFFD}b")
    }

    @Test(arguments: ["{", #"{"jsonrpc":"2.0","id":{},"method":"m"}"#, #"[{"jsonrpc":"2.0","method":"m"}]"#])
    func unusableMessagesFailAsTheCarefulWayFails(text: String) {
        var careful: MessageDecodingError?
        do { _ = try IncomingMessage.decode(Array(text.utf8)) } catch { careful = error }
        var decoded: MessageDecodingError?
        do { _ = try DecodedMessage.decode(Array(text.utf8)) } catch { decoded = error }
        #expect(careful != nil)
        #expect(decoded == careful)
    }
}
