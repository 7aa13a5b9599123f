/// `recur/setOnlineLearning`: turn learning from what the user types on or off for this connection. Turning it off
/// drops the text not yet learned; nothing typed while it is off is ever learned.
package struct RecurSetOnlineLearningRequest: RequestType {
    package static let method = "recur/setOnlineLearning"
    package typealias Params = RecurSetOnlineLearningParams
    package typealias Response = OnlineLearningStatus
}

package struct RecurSetOnlineLearningParams: Codable, Sendable, Hashable {
    package var enabled: Bool

    package init(enabled: Bool) { self.enabled = enabled }
}

/// `recur/syncOnlineLearning`: settle all typed text now (as if the cursor had left every line), learn everything
/// settled, put the new weights in use, save the profile's online layer, then answer. Replaying the same edits
/// with the same sync points gives the same weights and the same states.
package struct RecurSyncOnlineLearningRequest: RequestType {
    package static let method = "recur/syncOnlineLearning"
    package typealias Params = EmptyParams
    package typealias Response = OnlineLearningStatus
}

/// What online learning is doing: in `recur/status`, and the answer to the two requests above.
package struct OnlineLearningStatus: Codable, Sendable, Hashable {
    package var enabled: Bool
    package var learnFromOpenDocuments: Bool
    /// Bytes learned and weight updates in the profile's online layer (kept in the store across restarts).
    package var bytesLearned: Int
    package var updates: Int
    /// Typed bytes not settled yet (on the lines the cursors are on).
    package var bytesPending: Int
    /// Settled bytes waiting for the learning thread.
    package var bytesQueued: Int
    /// This session: settled bytes skipped because their lines looked like secrets, or over the budget.
    package var bytesSkippedSecrets: Int
    package var bytesSkippedBudget: Int
    /// The budget: bytes learned per minute at most.
    package var budgetBytesPerMinute: Int
    /// CPU seconds the learning thread spent this session.
    package var learningSeconds: Double
    /// Nats per byte of the latest update's text, scored before learning it.
    package var recentLoss: Double?
    /// When the layer was last saved to the store (ISO 8601), and the updates since.
    package var savedAt: String?
    package var unsavedUpdates: Int
    /// Why the layer could not be saved, if it could not.
    package var saveError: String?
    /// The sha256 of the online weights (float32 safetensors), in the answer to `recur/syncOnlineLearning`.
    package var weightsSHA256: String?

    package init(
        enabled: Bool, learnFromOpenDocuments: Bool, bytesLearned: Int, updates: Int, bytesPending: Int,
        bytesQueued: Int, bytesSkippedSecrets: Int, bytesSkippedBudget: Int, budgetBytesPerMinute: Int,
        learningSeconds: Double, recentLoss: Double? = nil, savedAt: String? = nil, unsavedUpdates: Int,
        saveError: String? = nil, weightsSHA256: String? = nil
    ) {
        self.enabled = enabled
        self.learnFromOpenDocuments = learnFromOpenDocuments
        self.bytesLearned = bytesLearned
        self.updates = updates
        self.bytesPending = bytesPending
        self.bytesQueued = bytesQueued
        self.bytesSkippedSecrets = bytesSkippedSecrets
        self.bytesSkippedBudget = bytesSkippedBudget
        self.budgetBytesPerMinute = budgetBytesPerMinute
        self.learningSeconds = learningSeconds
        self.recentLoss = recentLoss
        self.savedAt = savedAt
        self.unsavedUpdates = unsavedUpdates
        self.saveError = saveError
        self.weightsSHA256 = weightsSHA256
    }
}
