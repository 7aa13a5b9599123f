/// `recur/complete`: completions for scripts, of a `text` or of an open document at a position.
package struct RecurCompleteRequest: RequestType {
    package static let method = "recur/complete"
    package typealias Params = RecurCompleteParams
    package typealias Response = RecurCompleteResult
}

package struct RecurCompleteParams: Codable, Sendable, Hashable {
    package var text: String?
    package var textDocument: TextDocumentIdentifier?
    package var position: Position?
    package var n: Int?
    package var temperature: Double?
    package var topK: Int?
    package var topP: Double?
    package var maxChars: Int?
    /// "word", "line" or "none".
    package var stop: String?
    package var seed: UInt64?

    package init(
        text: String? = nil, textDocument: TextDocumentIdentifier? = nil, position: Position? = nil, n: Int? = nil,
        temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, maxChars: Int? = nil,
        stop: String? = nil, seed: UInt64? = nil
    ) {
        self.text = text
        self.textDocument = textDocument
        self.position = position
        self.n = n
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxChars = maxChars
        self.stop = stop
        self.seed = seed
    }
}

package struct RecurCompletion: Codable, Sendable, Hashable {
    package var text: String
    package var logprob: Double
    package var probability: Double

    package init(text: String, logprob: Double, probability: Double) {
        self.text = text
        self.logprob = logprob
        self.probability = probability
    }
}

package struct RecurCompleteResult: Codable, Sendable, Hashable {
    package var completions: [RecurCompletion]
    package init(completions: [RecurCompletion]) { self.completions = completions }
}
