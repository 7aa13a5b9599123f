/// `recur/adaptFinished`, sent by the server when an adaptation job ends, however it ends.
package struct RecurAdaptFinishedNotification: NotificationType {
    package static let method = "recur/adaptFinished"
    package typealias Params = RecurAdaptFinishedParams
}

package struct RecurAdaptFinishedParams: Codable, Sendable, Hashable {
    package var jobId: String
    package var profile: String
    /// `improved`, `notImproved`, `reused`, `cancelled` or `failed`.
    package var outcome: String
    package var adapterId: Int64?
    package var valLossBefore: Double?
    package var valLossAfter: Double?
    package var steps: Int?
    package var seconds: Double?
    package var message: String

    package init(
        jobId: String, profile: String, outcome: String, adapterId: Int64? = nil, valLossBefore: Double? = nil,
        valLossAfter: Double? = nil, steps: Int? = nil, seconds: Double? = nil, message: String
    ) {
        self.jobId = jobId
        self.profile = profile
        self.outcome = outcome
        self.adapterId = adapterId
        self.valLossBefore = valLossBefore
        self.valLossAfter = valLossAfter
        self.steps = steps
        self.seconds = seconds
        self.message = message
    }
}

/// `window/workDoneProgress/cancel`, sent by the client: the user cancelled the work behind a progress token.
package struct WorkDoneProgressCancelNotification: NotificationType {
    package static let method = "window/workDoneProgress/cancel"
    package typealias Params = WorkDoneProgressCancelParams
}

package struct WorkDoneProgressCancelParams: Codable, Sendable, Hashable {
    package var token: ProgressToken

    package init(token: ProgressToken) { self.token = token }
}
