/// `recur/status`: the model, open documents, memory and recent completion latency.
package struct RecurStatusRequest: RequestType {
    package static let method = "recur/status"
    package typealias Params = EmptyParams
    package typealias Response = RecurStatus
}

package struct RecurStatus: Codable, Sendable, Hashable {
    package struct Model: Codable, Sendable, Hashable {
        package var name: String
        package var architecture: String
        package var parameters: Int
        package var sha256: String?
        package var precision: String

        package init(name: String, architecture: String, parameters: Int, sha256: String?, precision: String) {
            self.name = name
            self.architecture = architecture
            self.parameters = parameters
            self.sha256 = sha256
            self.precision = precision
        }
    }
    package struct Latency: Codable, Sendable, Hashable {
        package var count: Int
        package var p50Milliseconds: Double
        package var p95Milliseconds: Double
        package var p99Milliseconds: Double

        package init(count: Int, p50Milliseconds: Double, p95Milliseconds: Double, p99Milliseconds: Double) {
            self.count = count
            self.p50Milliseconds = p50Milliseconds
            self.p95Milliseconds = p95Milliseconds
            self.p99Milliseconds = p99Milliseconds
        }
    }
    package var model: Model?
    /// Why the model could not be loaded, when it could not.
    package var modelError: String?
    package var openDocuments: Int
    /// Hidden states kept at checkpoints across all documents (bounded by the checkpoint budget).
    package var hiddenStates: Int?
    /// RNN steps run so far to bring open documents' states up to date (not counting sampling).
    package var stateSteps: Int?
    package var residentMemoryBytes: Int
    package var completionLatency: Latency
    package var positionEncoding: String
    /// The connection's profile, its active adapter (nil: the base model) and the store's path.
    package var profile: String?
    package var adapterId: Int64?
    package var store: String?
    /// Why the profile's adapter is not in use, or why the store cannot be opened.
    package var storeWarnings: [String]?
    /// The adaptation job running now, if any.
    package var adaptation: Job?
    /// Completion latency measured while an adaptation was training.
    package var completionLatencyDuringAdaptation: Latency?
    /// Learning from text typed in open documents.
    package var onlineLearning: OnlineLearningStatus?

    package struct Job: Codable, Sendable, Hashable {
        package var jobId: String
        package var profile: String
        package var step: Int
        package var totalSteps: Int
        package var message: String

        package init(jobId: String, profile: String, step: Int, totalSteps: Int, message: String) {
            self.jobId = jobId
            self.profile = profile
            self.step = step
            self.totalSteps = totalSteps
            self.message = message
        }
    }

    package init(
        model: Model?, openDocuments: Int, hiddenStates: Int? = nil, stateSteps: Int? = nil, residentMemoryBytes: Int,
        completionLatency: Latency, positionEncoding: String
    ) {
        self.model = model
        self.openDocuments = openDocuments
        self.hiddenStates = hiddenStates
        self.stateSteps = stateSteps
        self.residentMemoryBytes = residentMemoryBytes
        self.completionLatency = completionLatency
        self.positionEncoding = positionEncoding
    }
}
