import Foundation
import GRDB

/// A base model that adapters were trained from, keyed by the sha256 of its safetensors file.
public struct BaseModelRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "baseModel"
    public var sha256: String
    public var name: String
    public var architecture: String
    public var parameters: Int
    public var createdAt: Date

    public init(sha256: String, name: String, architecture: String, parameters: Int, createdAt: Date = Date()) {
        self.sha256 = sha256
        self.name = name
        self.architecture = architecture
        self.parameters = parameters
        self.createdAt = createdAt
    }
}

/// A named set of adapters with at most one active: `default`, a project path, or a name the user chose.
public struct ProfileRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "profile"
    public var name: String
    public var activeAdapterId: Int64?
    public var createdAt: Date
}

/// One file of an adaptation corpus: its path and the sha256 of its content.
public struct CorpusFile: Codable, Sendable, Equatable, Hashable {
    public var path: String
    public var sha256: String
    public var bytes: Int

    public init(path: String, sha256: String, bytes: Int) {
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// An adapter's description, everything but its weights (which are loaded separately, and checked).
public struct AdapterInfo: Codable, Sendable, Equatable, FetchableRecord {
    public var id: Int64
    public var profile: String
    public var parentId: Int64?
    public var baseSHA256: String
    /// `full`: the complete fine-tuned weights.
    public var kind: String
    public var sha256: String
    public var bytes: Int
    public var corpusFingerprint: String
    public var corpusFiles: [CorpusFile]
    /// The training settings, as JSON object text (steps, learning rate, ...).
    public var hyperparameters: String
    public var trainLoss: Double?
    public var valLossBefore: Double
    public var valLoss: Double
    public var steps: Int
    public var seconds: Double
    public var createdAt: Date

    /// The columns of `AdapterInfo`, so that listing adapters never reads their BLOBs.
    static var columns: [any SQLSelectable] {
        [
            "id", "profile", "parentId", "baseSHA256", "kind", "sha256", "bytes", "corpusFingerprint", "corpusFiles",
            "hyperparameters", "trainLoss", "valLossBefore", "valLoss", "steps", "seconds", "createdAt",
        ].map { Column($0) }
    }
}

/// A new adapter to store.
public struct NewAdapter: Sendable {
    public var profile: String
    public var parentId: Int64?
    public var base: BaseModelRecord
    public var kind = "full"
    /// A safetensors file.
    public var weights: [UInt8]
    public var corpusFingerprint: String
    public var corpusFiles: [CorpusFile]
    public var hyperparameters: String
    public var trainLoss: Double?
    public var valLossBefore: Double
    public var valLoss: Double
    public var steps: Int
    public var seconds: Double

    public init(
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
