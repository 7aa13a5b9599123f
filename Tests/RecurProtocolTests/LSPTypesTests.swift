import Foundation
import RecurProtocol
import Testing

@Suite struct InitializeTests {
    /// What Neovim 0.7's built-in client sends (abridged): no `general` section, so UTF-16 only.
    static let neovim07 = #"""
        {"processId":48213,"rootPath":"/home/ada/proj","rootUri":"file:///home/ada/proj",
         "initializationOptions":{},"clientInfo":{"name":"Neovim","version":"0.7.2"},"trace":"off",
         "workspaceFolders":[{"uri":"file:///home/ada/proj","name":"/home/ada/proj"}],
         "capabilities":{
           "textDocument":{
             "synchronization":{"dynamicRegistration":false,"willSave":false,"willSaveWaitUntil":false,"didSave":true},
             "completion":{"dynamicRegistration":false,"contextSupport":false,
               "completionItem":{"snippetSupport":false,"commitCharactersSupport":false,"preselectSupport":false,
                 "deprecatedSupport":false,"documentationFormat":["markdown","plaintext"]},
               "completionItemKind":{"valueSet":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]}},
             "hover":{"dynamicRegistration":false,"contentFormat":["markdown","plaintext"]}},
           "window":{"workDoneProgress":true,"showMessage":{"messageActionItem":{"additionalPropertiesSupport":false}},
             "showDocument":{"support":false}},
           "workspace":{"applyEdit":true,"configuration":true,"workspaceFolders":true,
             "workspaceEdit":{"resourceOperations":["rename","create","delete"]}}}}
        """#

    /// What Emacs 29's eglot sends (abridged): `general.positionEncodings` with UTF-32 first.
    static let eglot = #"""
        {"processId":9920,"clientInfo":{"name":"Eglot"},"rootPath":"/home/ada/proj/",
         "rootUri":"file:///home/ada/proj","initializationOptions":{},
         "capabilities":{
           "workspace":{"applyEdit":true,"executeCommand":{"dynamicRegistration":false},
             "workspaceEdit":{"documentChanges":true},"configuration":true,"workspaceFolders":true},
           "textDocument":{
             "synchronization":{"dynamicRegistration":false,"willSave":true,"willSaveWaitUntil":true,"didSave":true},
             "completion":{"dynamicRegistration":false,"contextSupport":true,
               "completionItem":{"snippetSupport":true,"deprecatedSupport":true,
                 "resolveSupport":{"properties":["documentation","details","additionalTextEdits"]},
                 "tagSupport":{"valueSet":[1]}}}},
           "window":{"showDocument":{"support":true},"workDoneProgress":true},
           "general":{"positionEncodings":["utf-32","utf-8","utf-16"]},
           "experimental":{}},
         "workspaceFolders":[{"uri":"file:///home/ada/proj","name":"~/proj/"}]}
        """#

    @Test func neovim07() throws {
        let params = try InitializeRequest.decodeParams(json(Self.neovim07))
        #expect(params.processId == 48213)
        #expect(params.rootUri == "file:///home/ada/proj")
        #expect(params.workspaceFolders == [WorkspaceFolder(uri: "file:///home/ada/proj", name: "/home/ada/proj")])
        #expect(params.clientInfo == ClientInfo(name: "Neovim", version: "0.7.2"))
        #expect(params.initializationOptions == [:])
        #expect(params.capabilities.positionEncodings == [.utf16])
        #expect(!params.capabilities.announcesPositionEncodings)
        #expect(params.capabilities.supportsWorkDoneProgress)
        #expect(!params.capabilities.supportsCompletionSnippets)
        #expect(!params.capabilities.supportsInlineCompletion)
    }

    @Test func eglot() throws {
        let params = try InitializeRequest.decodeParams(json(Self.eglot))
        #expect(params.processId == 9920)
        #expect(params.clientInfo == ClientInfo(name: "Eglot"))
        #expect(params.capabilities.positionEncodings == [.utf32, .utf8, .utf16])
        #expect(params.capabilities.announcesPositionEncodings)
        #expect(params.capabilities.supportsWorkDoneProgress)
        #expect(params.capabilities.supportsCompletionSnippets)
    }

    @Test func utf8AndUTF16ClientWithNullsAndInlineCompletion() throws {
        let params = try InitializeRequest.decodeParams(
            json(
                #"""
                {"processId":null,"rootUri":null,"initializationOptions":null,
                 "capabilities":{"general":{"positionEncodings":["utf-8","utf-16"]},
                   "textDocument":{"inlineCompletion":{"dynamicRegistration":false}}}}
                """#))
        #expect(params.processId == nil && params.rootUri == nil && params.initializationOptions == nil)
        #expect(params.capabilities.positionEncodings == [.utf8, .utf16])
        #expect(!params.capabilities.supportsWorkDoneProgress)
        #expect(params.capabilities.supportsInlineCompletion)
    }

    @Test func minimalParamsAreAccepted() throws {
        let params = try InitializeRequest.decodeParams([:])
        #expect(params == InitializeParams())
        #expect(params.capabilities.positionEncodings == [.utf16])
    }

    @Test func capabilitiesMustBeAnObject() {
        #expect(
            paramsFailure(InitializeRequest.self, ["capabilities": "all"])?.message
                == "invalid params: capabilities: expected an object, found a string")
        #expect(
            paramsFailure(InitializeRequest.self, ["processId": "12"])?.message
                == "invalid params: processId: expected an integer, found a string")
    }

    @Test func resultEncoding() throws {
        let result = InitializeResult(
            capabilities: ServerCapabilities(
                positionEncoding: .utf8,
                textDocumentSync: TextDocumentSyncOptions(openClose: true, change: .incremental),
                completionProvider: CompletionOptions(triggerCharacters: [".", " "], resolveProvider: false),
                inlineCompletionProvider: .options(InlineCompletionOptions())),
            serverInfo: ServerInfo(name: "recur", version: "0.1.0"))
        #expect(
            try json(JSONRPC.response(id: 1, result: result))
                == json(
                    #"""
                    {"jsonrpc":"2.0","id":1,"result":{
                      "capabilities":{"positionEncoding":"utf-8","textDocumentSync":{"openClose":true,"change":2},
                        "completionProvider":{"triggerCharacters":["."," "],"resolveProvider":false},
                        "inlineCompletionProvider":{}},
                      "serverInfo":{"name":"recur","version":"0.1.0"}}}
                    """#))
        var plain = result
        plain.capabilities.inlineCompletionProvider = .bool(true)
        plain.capabilities.positionEncoding = nil
        let encoded = try JSONValue(encoding: plain)
        #expect(encoded["capabilities"]?["inlineCompletionProvider"] == true)
        #expect(encoded["capabilities"]?["positionEncoding"] == nil)
        #expect(try encoded.decode(InitializeResult.self) == plain)
    }
}

@Suite struct DocumentSyncTests {
    @Test func didOpen() throws {
        let params = try DidOpenTextDocumentNotification.decodeParams(
            json(
                #"""
                {"textDocument":{"uri":"file:///a.py","languageId":"python","version":0,"text":"print('é')\n"}}
                """#))
        #expect(
            params.textDocument
                == TextDocumentItem(uri: "file:///a.py", languageId: "python", version: 0, text: "print('é')\n"))
    }

    @Test func didChangeWithIncrementalAndFullChanges() throws {
        let params = try DidChangeTextDocumentNotification.decodeParams(
            json(
                #"""
                {"textDocument":{"uri":"file:///a.py","version":7},"contentChanges":[
                  {"range":{"start":{"line":0,"character":5},"end":{"line":0,"character":5}},"rangeLength":0,"text":"x"},
                  {"range":{"start":{"line":1,"character":0},"end":{"line":2,"character":3}},"text":""},
                  {"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"rangeLength":null,"text":"# 🎉\n"},
                  {"text":"whole\ndocument\n"}]}
                """#))
        #expect(params.textDocument == VersionedTextDocumentIdentifier(uri: "file:///a.py", version: 7))
        let at = { (line: Int, character: Int) in Position(line: line, character: character) }
        #expect(
            params.contentChanges == [
                .incremental(range: LSPRange(at: at(0, 5)), rangeLength: 0, text: "x"),
                .incremental(range: LSPRange(start: at(1, 0), end: at(2, 3)), rangeLength: nil, text: ""),
                .incremental(range: LSPRange(at: at(0, 0)), rangeLength: nil, text: "# 🎉\n"),
                .full(text: "whole\ndocument\n"),
            ])
        #expect(params.contentChanges.map(\.text) == ["x", "", "# 🎉\n", "whole\ndocument\n"])
        #expect(params.contentChanges[3].range == nil)
        #expect(try JSONValue(encoding: params).decode(DidChangeTextDocumentParams.self) == params)
    }

    @Test func didChangeErrorsNameTheChange() {
        let params: JSONValue = [
            "textDocument": ["uri": "file:///a", "version": 1],
            "contentChanges": [
                ["text": "ok"],
                ["range": ["start": ["line": 0, "character": -1], "end": ["line": 0, "character": 0]], "text": "x"],
            ],
        ]
        #expect(
            paramsFailure(DidChangeTextDocumentNotification.self, params)?.message
                == "invalid params: contentChanges[1].range.start.character: expected a non-negative integer")
        #expect(
            paramsFailure(
                DidChangeTextDocumentNotification.self, ["textDocument": ["uri": "file:///a"], "contentChanges": []])?
                .message
                == "invalid params: textDocument.version: missing required field")
    }

    @Test func didClose() throws {
        let params = try DidCloseTextDocumentNotification.decodeParams(["textDocument": ["uri": "untitled:1"]])
        #expect(params.textDocument.uri == "untitled:1")
    }

    @Test(arguments: [(JSONValue.int(4), RequestID.int(4)), ("abc", "abc")] as [(JSONValue, RequestID)])
    func cancelRequest(id: JSONValue, expected: RequestID) throws {
        #expect(try CancelRequestNotification.decodeParams(["id": id]).id == expected)
    }

    @Test func cancelRequestRejectsOtherIDs() {
        #expect(
            paramsFailure(CancelRequestNotification.self, ["id": 1.5])?.message
                == "invalid params: id: expected an integer or a string id")
    }

    @Test func paramlessMessagesAcceptAbsentOrEmptyParams() throws {
        _ = try ShutdownRequest.decodeParams(nil)
        _ = try ExitNotification.decodeParams(nil)
        _ = try InitializedNotification.decodeParams([:])
    }
}

@Suite struct CompletionTests {
    @Test func completionParams() throws {
        let params = try CompletionRequest.decodeParams(
            json(
                #"""
                {"textDocument":{"uri":"file:///a.swift"},"position":{"line":3,"character":14},
                 "context":{"triggerKind":2,"triggerCharacter":"."},"workDoneToken":"w1"}
                """#))
        #expect(
            params
                == CompletionParams(
                    textDocument: TextDocumentIdentifier(uri: "file:///a.swift"),
                    position: Position(line: 3, character: 14),
                    context: CompletionContext(triggerKind: .triggerCharacter, triggerCharacter: ".")))
    }

    @Test func inlineCompletionParams() throws {
        let params = try InlineCompletionRequest.decodeParams(
            json(
                #"""
                {"textDocument":{"uri":"file:///a.md"},"position":{"line":0,"character":2},
                 "context":{"triggerKind":1,"selectedCompletionInfo":{"range":{"start":{"line":0,"character":0},
                   "end":{"line":0,"character":2}},"text":"hello"}}}
                """#))
        #expect(params.context.triggerKind == .invoked)
        #expect(params.context.selectedCompletionInfo?.text == "hello")
        let automatic = try InlineCompletionRequest.decodeParams(
            json(
                #"""
                {"textDocument":{"uri":"file:///a.md"},"position":{"line":0,"character":2},"context":{"triggerKind":2}}
                """#))
        #expect(automatic.context == InlineCompletionContext(triggerKind: .automatic))
    }

    @Test func completionListEncoding() throws {
        let range = LSPRange(start: Position(line: 2, character: 4), end: Position(line: 2, character: 7))
        let list = CompletionList(
            isIncomplete: true,
            items: [
                CompletionItem(
                    label: "println", kind: .text, detail: "p = 0.42", sortText: "0000", filterText: "pri",
                    insertTextFormat: .plainText, textEdit: TextEdit(range: range, newText: "println")),
                CompletionItem(label: "print"),
            ])
        #expect(
            try JSONValue(encoding: list)
                == json(
                    #"""
                    {"isIncomplete":true,"items":[
                      {"label":"println","kind":1,"detail":"p = 0.42","sortText":"0000","filterText":"pri","insertTextFormat":1,
                       "textEdit":{"range":{"start":{"line":2,"character":4},"end":{"line":2,"character":7}},"newText":"println"}},
                      {"label":"print"}]}
                    """#))
        #expect(try JSONValue(encoding: list).decode(CompletionList.self) == list)
    }

    @Test func inlineCompletionListEncoding() throws {
        let list = InlineCompletionList(items: [
            InlineCompletionItem(insertText: "ln(\"hi\")", range: LSPRange(at: Position(line: 1, character: 5))),
            InlineCompletionItem(insertText: "x", filterText: "x"),
        ])
        #expect(
            try json(JSONRPC.response(id: "i", result: list))
                == json(
                    #"""
                    {"jsonrpc":"2.0","id":"i","result":{"items":[
                      {"insertText":"ln(\"hi\")","range":{"start":{"line":1,"character":5},"end":{"line":1,"character":5}}},
                      {"insertText":"x","filterText":"x"}]}}
                    """#))
    }

    @Test(
        arguments: [
            (#"{"line":-1,"character":0}"#, "position.line: expected a non-negative integer"),
            (#"{"line":1.5,"character":0}"#, "position.line: expected a non-negative integer"),
            (#"{"line":"1","character":0}"#, "position.line: expected a non-negative integer"),
            (#"{"line":null,"character":0}"#, "position.line: expected a non-negative integer"),
            (#"{"line":0,"character":-3}"#, "position.character: expected a non-negative integer"),
            (#"{"line":0}"#, "position.character: missing required field"),
            (#"[0,0]"#, "position: expected an object, found an array"),
        ] as [(String, String)])
    func invalidPositionNamesTheField(position: String, message: String) throws {
        let params = try json(#"{"textDocument":{"uri":"file:///a"},"position":\#(position)}"#)
        let error = try #require(paramsFailure(CompletionRequest.self, params))
        #expect(error.code == .invalidParams)
        #expect(error.message == "invalid params: \(message)")
    }

    @Test func otherInvalidParams() {
        #expect(paramsFailure(CompletionRequest.self, nil)?.message == "invalid params: missing params")
        #expect(
            paramsFailure(CompletionRequest.self, ["position": ["line": 0, "character": 0]])?.message
                == "invalid params: textDocument: missing required field")
        #expect(
            paramsFailure(
                CompletionRequest.self, ["textDocument": ["uri": 3], "position": ["line": 0, "character": 0]])?.message
                == "invalid params: textDocument.uri: expected a string, found a number")
        #expect(
            paramsFailure(CompletionRequest.self, [1, 2])?.message
                == "invalid params: expected an object, found an array")
    }

    @Test func positionRejectsNegativesThroughJSONDecoderToo() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Position.self, from: Data(#"{"line":-1,"character":0}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Position.self, from: Data(#"{"line":0.5,"character":0}"#.utf8))
        }
        #expect(
            (try? JSONDecoder().decode(Position.self, from: Data(#"{"line":2,"character":9}"#.utf8)))
                == Position(line: 2, character: 9))
    }

    @Test func positionsOrder() {
        #expect(Position(line: 1, character: 9) < Position(line: 2, character: 0))
        #expect(Position(line: 2, character: 1) > Position(line: 2, character: 0))
    }
}

@Suite struct ProgressTests {
    @Test(
        arguments: [
            (
                WorkDoneProgress.begin(.init(title: "Training", cancellable: true, message: "epoch 1", percentage: 5)),
                #"{"kind":"begin","title":"Training","cancellable":true,"message":"epoch 1","percentage":5}"#
            ),
            (.begin(.init(title: "Loading")), #"{"kind":"begin","title":"Loading"}"#),
            (
                .report(.init(message: "epoch 2", percentage: 50)),
                #"{"kind":"report","message":"epoch 2","percentage":50}"#
            ),
            (.end(.init(message: "done")), #"{"kind":"end","message":"done"}"#),
            (.end(.init()), #"{"kind":"end"}"#),
        ] as [(WorkDoneProgress, String)])
    func progressValues(value: WorkDoneProgress, expected: String) throws {
        #expect(try JSONValue(encoding: value) == json(expected))
        #expect(try json(expected).decode(WorkDoneProgress.self) == value)
    }

    @Test func unknownProgressKindIsAnError() {
        #expect(throws: DecodingError.self) { try (["kind": "middle"] as JSONValue).decode(WorkDoneProgress.self) }
    }

    @Test func progressTokens() throws {
        #expect(try JSONValue(encoding: ProgressToken.int(3)) == 3)
        #expect(try ("t" as JSONValue).decode(ProgressToken.self) == .string("t"))
    }
}

@Suite struct MessageRegistryTests {
    @Test func everyMethodIsRegisteredOnce() {
        #expect(
            Set(MessageRegistry.requests.keys) == [
                "initialize", "shutdown", "textDocument/completion", "textDocument/inlineCompletion",
                "window/workDoneProgress/create", "recur/complete", "recur/status", "recur/adapt",
                "recur/cancelAdapt", "recur/setProfile", "recur/setOnlineLearning", "recur/syncOnlineLearning",
            ])
        #expect(
            Set(MessageRegistry.notifications.keys) == [
                "initialized", "exit", "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
                "$/cancelRequest", "$/progress", "recur/adaptFinished", "window/workDoneProgress/cancel",
                "window/logMessage", "window/showMessage",
            ])
        #expect(MessageRegistry.requests["textDocument/completion"] == CompletionRequest.self)
    }
}
