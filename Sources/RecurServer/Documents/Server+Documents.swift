import RecurDocuments
import RecurProtocol

/// `didOpen`, `didChange`, `didClose`: the text of open documents. An edit costs the text's own update plus an
/// invalidation of the checkpoints after it; states are recomputed by the next request, off the message loop.
extension Server {
    func didOpen(_ params: DidOpenTextDocumentParams) {
        let item = params.textDocument
        let document = Document(uri: item.uri, languageId: item.languageId, version: item.version, text: item.text)
        if documents.open(document, epoch: engineHost.epoch) {
            warnClient("didOpen for \(item.uri), which is already open: its text replaced")
        }
        if learningIsOn && settings.learnFromOpenDocuments {
            queueLearning(document.buffer.bytes, [0..<document.buffer.count])
        }
        if item.text.utf8.count > 1 << 16 { ProcessMemory.returnFreedMemory() }
    }

    func didChange(_ params: DidChangeTextDocumentParams) {
        let uri = params.textDocument.uri
        guard documents[uri] != nil else {
            return warnClient("didChange for \(uri), which is not open: ignored")
        }
        let changes = params.contentChanges.map { event -> TextChange in
            switch event {
            case .full(let text): return .full(text)
            case .incremental(let range, _, let text):
                return .replace(
                    range: TextRange(
                        start: TextPosition(line: range.start.line, character: range.start.character),
                        end: TextPosition(line: range.end.line, character: range.end.character)), text: text)
            }
        }
        do {
            let (effects, settled) = try documents.change(
                uri, changes, version: params.textDocument.version, encoding: encoding,
                rowsAreIndependent: rowsAreIndependent, epoch: engineHost.epoch, tracksTyping: learningIsOn)
            queueLearning(settled, of: uri)
            if effects.contains(where: \.wasAdjusted) {
                logger.debug("didChange \(uri): positions clamped to the document")
            }
            if changes.contains(where: { $0.insertedByteCount > 1 << 16 }) { ProcessMemory.returnFreedMemory() }
        } catch {
            warnClient("didChange \(uri) rejected, document unchanged: \(error)", type: LogMessageParams.error)
        }
    }

    func didClose(_ params: DidCloseTextDocumentParams) {
        let size = documents[params.textDocument.uri]?.document.buffer.count ?? 0
        // Closing settles what was typed: the text is final.
        queueLearning(documents.settleAll(params.textDocument.uri), of: params.textDocument.uri)
        if !documents.close(params.textDocument.uri) {
            warnClient("didClose for \(params.textDocument.uri), which is not open: ignored")
        }
        // A large text is freed now; glibc would keep the pages for the next allocations.
        if size > 1 << 16 { ProcessMemory.returnFreedMemory() }
    }
}

extension TextChange {
    var isFull: Bool {
        if case .full = self { true } else { false }
    }

    /// The bytes this change brings in.
    var insertedByteCount: Int {
        switch self {
        case .full(let text): text.utf8.count
        case .replace(_, let text): text.utf8.count
        }
    }
}
