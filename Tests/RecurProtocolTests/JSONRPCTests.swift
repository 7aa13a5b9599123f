import Foundation
import RecurProtocol
import Testing

@Suite struct JSONRPCTests {
    @Test(arguments: [RequestID.int(7), .int(0), .int(-3), .string("abc"), .string("7"), .string("")])
    func requestRoundTrip(id: RequestID) throws {
        let body = try JSONRPC.request(id: id, method: "textDocument/completion", params: ["x": [1, 2]] as JSONValue)
        #expect(
            try IncomingMessage.decode(body)
                == .request(id: id, method: "textDocument/completion", params: ["x": [1, 2]]))
    }

    @Test func notificationHasNoID() throws {
        let body = try JSONRPC.notification(method: "initialized", params: EmptyParams())
        #expect(try json(body) == ["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        #expect(try IncomingMessage.decode(body) == .notification(method: "initialized", params: [:]))
    }

    @Test func notificationWithoutParamsOmitsThem() throws {
        let body = try JSONRPC.notification(method: "exit")
        #expect(try json(body) == ["jsonrpc": "2.0", "method": "exit"])
        #expect(try IncomingMessage.decode(body) == .notification(method: "exit", params: nil))
    }

    @Test(
        arguments: [
            (#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#, .request(id: 1, method: "shutdown", params: nil)),
            (
                #"{"jsonrpc":"2.0","id":1,"method":"shutdown","params":null}"#,
                .request(id: 1, method: "shutdown", params: nil)
            ),
            (#"{"jsonrpc":"2.0","id":"a","method":"m","params":[1]}"#, .request(id: "a", method: "m", params: [1])),
            (#"{"jsonrpc":"2.0","method":"exit","extra":true}"#, .notification(method: "exit", params: nil)),
            (#"{"jsonrpc":"2.0","id":4,"result":null}"#, .response(id: 4, result: nil)),
            (#"{"jsonrpc":"2.0","id":4,"result":[],"error":null}"#, .response(id: 4, result: [])),
            (#"{"jsonrpc":"2.0","id":"r","result":{"ok":1}}"#, .response(id: "r", result: ["ok": 1])),
            (
                #"{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"no"}}"#,
                .errorResponse(id: 5, error: ResponseError(code: .methodNotFound, message: "no"))
            ),
            (
                #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad","data":[1]}}"#,
                .errorResponse(id: nil, error: ResponseError(code: .parseError, message: "bad", data: [1]))
            ),
        ] as [(String, IncomingMessage)])
    func decodesEachKind(text: String, expected: IncomingMessage) throws {
        #expect(try IncomingMessage.decode(bytes(text)) == expected)
    }

    @Test(arguments: ["", "{", "not json", #"{"a":}"#, #"{"jsonrpc":"2.0","method":"m"} trailing"#, "\u{FEFF}{]"])
    func parseErrors(text: String) {
        let error = decodingFailure(bytes(text))
        guard case .parseError? = error else {
            Issue.record("expected a parse error for \(text), got \(String(describing: error))")
            return
        }
        #expect(error?.responseError.code == .parseError)
        #expect(error?.id == nil)
    }

    @Test func invalidUTF8IsAParseErrorOnlyWhenTheJSONIsBrokenToo() throws {
        #expect(
            decodingFailure([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]) == .parseError("the message body is not valid JSON"))
        // A message that is sound but for its text encoding is read with U+FFFD in place of each bad sequence.
        let body =
            Array(#"{"jsonrpc":"2.0","method":"m","params":{"text":"a"#.utf8) + [0xFF, 0xC3, 0x41, 0xED, 0xA0, 0x80]
            + Array(#""}}"#.utf8)
        let (message, repaired) = try IncomingMessage.decodeRepairingTextEncoding(body)
        #expect(repaired)
        #expect(message == .notification(method: "m", params: ["text": "a\u{FFFD}\u{FFFD}A\u{FFFD}\u{FFFD}\u{FFFD}"]))
    }

    @Test(
        arguments: [
            (#""\ud800""#, "\u{FFFD}"), (#""a\udc00b""#, "a\u{FFFD}b"), (#""\ud83d\ude00""#, "😀"),
            (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"), (#""\\ud800""#, "\\ud800"),
            (#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"),
            (#""\ud800\u0041""#, "\u{FFFD}A"), (#""\ud800"#, nil),
        ] as [(String, String?)])
    func unpairedSurrogateEscapesReadAsReplacementCharacters(json: String, expected: String?) throws {
        let body = Array(#"{"jsonrpc":"2.0","method":"m","params":{"text":"#.utf8) + Array(json.utf8) + Array("}}".utf8)
        guard let expected else {
            #expect(decodingFailure(body) == .parseError("the message body is not valid JSON"))
            return
        }
        let (message, _) = try IncomingMessage.decodeRepairingTextEncoding(body)
        #expect(message == .notification(method: "m", params: ["text": .string(expected)]))
    }

    @Test(
        arguments: [
            (#"{"id":3,"method":"m"}"#, 3, #"expected "jsonrpc": "2.0", found nothing"#),
            (#"{"jsonrpc":"1.0","id":"x","method":"m"}"#, "x", #"expected "jsonrpc": "2.0", found '1.0'"#),
            (#"{"jsonrpc":2.0,"id":3,"method":"m"}"#, 3, #"expected "jsonrpc": "2.0", found a number"#),
            (#"{"jsonrpc":"2.0","id":3,"method":42}"#, 3, "method must be a string, found a number"),
            (#"{"jsonrpc":"2.0","id":3,"method":null}"#, 3, "method must be a string, found null"),
            (#"{"jsonrpc":"2.0","id":{},"method":"m"}"#, nil, "id must be an integer or a string, found an object"),
            (#"{"jsonrpc":"2.0","id":true,"method":"m"}"#, nil, "id must be an integer or a string, found a boolean"),
            (
                #"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#, nil,
                "id must be an integer or a string, found the number 1.5"
            ),
            (#"{"jsonrpc":"2.0","id":[1],"method":"m"}"#, nil, "id must be an integer or a string, found an array"),
            (#"{"jsonrpc":"2.0","id":null,"method":"m"}"#, nil, "a request id must not be null"),
            (
                #"{"jsonrpc":"2.0","id":3,"method":"m","params":"s"}"#, 3,
                "params must be an object or an array, found a string"
            ),
            (#"{"jsonrpc":"2.0","id":3}"#, 3, "expected a method, a result or an error"),
            (#"{"jsonrpc":"2.0","result":1}"#, nil, "a response needs an id"),
            (
                #"{"jsonrpc":"2.0","id":3,"result":1,"error":{"code":1,"message":""}}"#, 3,
                "a response must not have both result and error"
            ),
            (
                #"{"jsonrpc":"2.0","id":3,"error":{"code":"x","message":""}}"#, 3,
                "malformed error object: code: expected an integer, found a string"
            ),
            (#"[{"jsonrpc":"2.0","method":"m"}]"#, nil, "batches are not supported"),
            ("42", nil, "expected a JSON object, found a number"),
        ] as [(String, RequestID?, String)])
    func invalidRequests(text: String, id: RequestID?, detail: String) throws {
        let error = try #require(decodingFailure(bytes(text)))
        #expect(error == .invalidRequest(id: id, detail))
        #expect(error.id == id)
        #expect(error.responseError.code == .invalidRequest)
        #expect(error.responseError.message == "invalid request: \(detail)")
    }

    @Test func responseKeepsTheIDType() throws {
        let list = CompletionList(isIncomplete: false, items: [CompletionItem(label: "x")])
        #expect(try json(JSONRPC.response(id: 12, result: list))["id"] == .int(12))
        #expect(try json(JSONRPC.response(id: "12", result: list))["id"] == .string("12"))
        #expect(
            try json(JSONRPC.response(id: 1, result: list)) == [
                "jsonrpc": "2.0", "id": 1, "result": ["isIncomplete": false, "items": [["label": "x"]]],
            ])
    }

    @Test func responseIsCompact() {
        let body = String(decoding: JSONRPC.response(id: 1, result: ["a b": "file:///c"] as JSONValue), as: UTF8.self)
        #expect(body == #"{"id":1,"jsonrpc":"2.0","result":{"a b":"file:///c"}}"#)
    }

    @Test func voidResultIsExplicitNull() throws {
        let message = try json(JSONRPC.response(id: 2, result: NullResponse()))
        #expect(message == ["jsonrpc": "2.0", "id": 2, "result": nil])
        #expect(message.objectValue?.keys.contains("result") == true)
    }

    @Test func unencodableResultBecomesAnInternalError() throws {
        let message = try json(JSONRPC.response(id: 9, result: JSONValue.double(.nan)))
        #expect(message["id"] == 9)
        #expect(message["error"]?["code"] == .int(-32603))
        #expect(message["result"] == nil)
    }

    @Test func errorResponseCarriesCodeMessageAndData() throws {
        let error = ResponseError(code: .requestFailed, message: "model not loaded", data: ["retry": true])
        #expect(
            try json(JSONRPC.errorResponse(id: "q", error: error)) == [
                "jsonrpc": "2.0", "id": "q",
                "error": ["code": -32803, "message": "model not loaded", "data": ["retry": true]],
            ])
        #expect(
            try json(JSONRPC.errorResponse(id: nil, error: .parseError("x"))) == [
                "jsonrpc": "2.0", "id": nil, "error": ["code": -32700, "message": "parse error: x"],
            ])
        let unencodable = ResponseError(code: .internalError, message: "m", data: .double(.infinity))
        #expect(
            try json(JSONRPC.errorResponse(id: 1, error: unencodable))["error"] == ["code": -32603, "message": "m"])
    }

    @Test func errorResponseRoundTrips() throws {
        let error = ResponseError.invalidParams("position.line: expected a non-negative integer")
        #expect(
            try IncomingMessage.decode(JSONRPC.errorResponse(id: 3, error: error))
                == .errorResponse(id: 3, error: error))
    }

    @Test(
        arguments: [
            (.parseError, -32700), (.invalidRequest, -32600), (.methodNotFound, -32601),
            (.invalidParams, -32602), (.internalError, -32603), (.serverNotInitialized, -32002),
            (.unknownErrorCode, -32001), (.requestCancelled, -32800), (.contentModified, -32801),
            (.requestFailed, -32803),
        ] as [(ResponseError.ErrorCode, Int)])
    func errorCodes(code: ResponseError.ErrorCode, value: Int) {
        #expect(code.rawValue == value)
    }

    @Test func convenienceErrors() {
        #expect(
            ResponseError.methodNotFound("foo/bar")
                == ResponseError(code: .methodNotFound, message: "method not found: foo/bar"))
        #expect(ResponseError.requestCancelled.code == .requestCancelled)
        #expect(ResponseError.serverNotInitialized.code == .serverNotInitialized)
        #expect(ResponseError.contentModified.code == .contentModified)
        #expect(ResponseError.internalError("x").code == .internalError)
        #expect(ResponseError.requestFailed("x").code == .requestFailed)
        #expect(ResponseError.invalidRequest("x").code == .invalidRequest)
        #expect(MessageDecodingError.parseError("x").responseError == .parseError("x"))
    }

    @Test func typedEncoders() throws {
        let request = try JSONRPC.request(
            CreateWorkDoneProgressRequest.self, id: "p1", .init(token: .string("recur/train")))
        #expect(
            try json(request) == [
                "jsonrpc": "2.0", "id": "p1", "method": "window/workDoneProgress/create",
                "params": ["token": "recur/train"],
            ])
        let begin = WorkDoneProgressBegin(title: "Training", cancellable: false, percentage: 0)
        let notification = try JSONRPC.notification(
            ProgressNotification.self, .init(token: .int(1), value: .begin(begin)))
        #expect(
            try json(notification) == [
                "jsonrpc": "2.0", "method": "$/progress",
                "params": [
                    "token": 1, "value": ["kind": "begin", "title": "Training", "cancellable": false, "percentage": 0],
                ],
            ])
    }

    /// Bytes in, dispatch by table, typed params out: what the server's read loop does.
    @Test func framedStreamToTypedParams() throws {
        let didOpen =
            #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.swift","languageId":"swift","version":1,"text":"let x = 1\n"}}}"#
        let completion =
            #"{"jsonrpc":"2.0","id":2,"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///a.swift"},"position":{"line":0,"character":9}}}"#
        var framer = MessageFramer()
        framer.append(framed(didOpen) + framed(completion))
        var seen: [String] = []
        while case .message(let body)? = framer.next() {
            switch try IncomingMessage.decode(body) {
            case .notification(let method, let params):
                #expect(MessageRegistry.notifications[method] != nil)
                let open = try DidOpenTextDocumentNotification.decodeParams(params)
                seen.append("\(method) \(open.textDocument.uri) v\(open.textDocument.version)")
            case .request(let id, let method, let params):
                #expect(MessageRegistry.requests[method] != nil)
                let completion = try CompletionRequest.decodeParams(params)
                seen.append("\(method) #\(id) \(completion.position)")
            default:
                Issue.record("unexpected message")
            }
        }
        #expect(seen == ["textDocument/didOpen file:///a.swift v1", "textDocument/completion #2 0:9"])
    }
}
