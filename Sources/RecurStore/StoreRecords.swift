import Foundation
import GRDB

/// A base model that adapters were trained from, keyed by the sha256 of its safetensors file.
package struct BaseModelRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "baseModel"
    package var sha256: String
    package var name: String
    package var architecture: String
    package var parameters: Int
    package var createdAt: Date

    package init(sha256: String, name: String, architecture: String, parameters: Int, createdAt: Date = Date()) {
        self.sha256 = sha256
        self.name = name
        self.architecture = architecture
        self.parameters = parameters
        self.createdAt = createdAt
    }
}

/// A named set of adapters with at most one active: `default`, a project path, or a name the user chose.
package struct ProfileRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "profile"
    package var name: String
    package var activeAdapterId: Int64?
    package var createdAt: Date
}

/// One file of an adaptation corpus: its path and the sha256 of its content.
package struct CorpusFile: Codable, Sendable, Equatable, Hashable {
    package var path: String
    package var sha256: String
    package var bytes: Int

    package init(path: String, sha256: String, bytes: Int) {
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// An adapter's description, everything but its weights (which are loaded separately, and checked).
package struct AdapterInfo: Codable, Sendable, Equatable, FetchableRecord {
    package var id: Int64
    package var profile: String
    package var parentId: Int64?
    package var baseSHA256: String
    /// `full`: the complete fine-tuned weights.
    package var kind: String
    package var sha256: String
    package var bytes: Int
    package var corpusFingerprint: String
    package var corpusFiles: [CorpusFile]
    /// The training settings, as JSON object text (steps, learning rate, ...).
    package var hyperparameters: String
    package var trainLoss: Double?
    package var valLossBefore: Double
    package var valLoss: Double
    package var steps: Int
    package var seconds: Double
    package var createdAt: Date

    /// The columns of `AdapterInfo`, so that listing adapters never reads their BLOBs.
    static var columns: [any SQLSelectable] {
        [
            "id", "profile", "parentId", "baseSHA256", "kind", "sha256", "bytes", "corpusFingerprint", "corpusFiles",
            "hyperparameters", "trainLoss", "valLossBefore", "valLoss", "steps", "seconds", "createdAt",
        ].map { Column($0) }
    }
}

/// A new adapter to store.
package struct NewAdapter: Sendable {
    package var profile: String
    package var parentId: Int64?
    package var base: BaseModelRecord
    package var kind = "full"
    /// A safetensors file.
    package var weights: [UInt8]
    package var corpusFingerprint: String
    package var corpusFiles: [CorpusFile]
    package var hyperparameters: String
    package var trainLoss: Double?
    package var valLossBefore: Double
    package var valLoss: Double
    package var steps: Int
    package var seconds: Double

    package init(
        profile: String, parentId: Int64?, base: BaseModelRecord, weights: [UInt8], corpusFingerprint: String,
        corpusFiles: [CorpusFile], hyperparameters: String, trainLoss: Double?, valLossBefore: Double,
        valLoss: Double, steps: Int, seconds: Double
    ) {
        self.profile = profile
        self.parentId = parentId
        self.base = base
        self.weights = weights
        self.corpusFingerprint = corpusFingerprint
        self.corpusFiles = corpusFiles
        self.hyperparameters = hyperparameters
        self.trainLoss = trainLoss
        self.valLossBefore = valLossBefore
        self.valLoss = valLoss
        self.steps = steps
        self.seconds = seconds
    }
}

/// A profile's online layer, everything but its weights.
package struct OnlineLayerInfo: Codable, Sendable, Equatable, FetchableRecord {
    package var profile: String
    /// The adapter it was learned above; nil: the base model.
    package var adapterId: Int64?
    package var baseSHA256: String
    package var sha256: String
    package var bytes: Int
    package var bytesLearned: Int
    package var updates: Int
    package var updatedAt: Date

    static var columns: [any SQLSelectable] {
        ["profile", "adapterId", "baseSHA256", "sha256", "bytes", "bytesLearned", "updates", "updatedAt"].map {
            Column($0)
        }
    }
}

/// An online layer to store: the complete weights (a safetensors file) learned above `adapterId`.
package struct NewOnlineLayer: Sendable {
    package var profile: String
    package var adapterId: Int64?
    package var base: BaseModelRecord
    package var weights: [UInt8]
    package var bytesLearned: Int
    package var updates: Int

    package init(
        profile: String, adapterId: Int64?, base: BaseModelRecord, weights: [UInt8], bytesLearned: Int, updates: Int
    ) {
        self.profile = profile
        self.adapterId = adapterId
        self.base = base
        self.weights = weights
        self.bytesLearned = bytesLearned
        self.updates = updates
    }
}
