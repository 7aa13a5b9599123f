/// `recur/adapt`: fine-tune a profile on the user's text in the background. Answered at once with a job id;
/// progress follows as `$/progress`, and the end as `recur/adaptFinished`.
package struct RecurAdaptRequest: RequestType {
    package static let method = "recur/adapt"
    package typealias Params = RecurAdaptParams
    package typealias Response = RecurAdaptResult
}

package struct RecurAdaptParams: Codable, Sendable, Hashable {
    package var profile: String?
    /// Files or directories the server reads (inside the workspace folders unless allowed otherwise).
    package var paths: [String]?
    /// `file://` URIs; open documents are taken from memory.
    package var uris: [DocumentURI]?
    /// The text of every open document.
    package var openDocuments: Bool?
    package var steps: Int?
    package var minutes: Double?
    package var lr: Double?
    package var workDoneToken: ProgressToken?

    package init(
        profile: String? = nil, paths: [String]? = nil, uris: [DocumentURI]? = nil, openDocuments: Bool? = nil,
        steps: Int? = nil, minutes: Double? = nil, lr: Double? = nil, workDoneToken: ProgressToken? = nil
    ) {
        self.profile = profile
        self.paths = paths
        self.uris = uris
        self.openDocuments = openDocuments
        self.steps = steps
        self.minutes = minutes
        self.lr = lr
        self.workDoneToken = workDoneToken
    }
}

package struct RecurAdaptResult: Codable, Sendable, Hashable {
    package var jobId: String
    package var profile: String
    package var token: ProgressToken

    package init(jobId: String, profile: String, token: ProgressToken) {
        self.jobId = jobId
        self.profile = profile
        self.token = token
    }
}

/// `recur/cancelAdapt`: stop a running adaptation; nothing is stored.
package struct RecurCancelAdaptRequest: RequestType {
    package static let method = "recur/cancelAdapt"
    package typealias Params = RecurCancelAdaptParams
    package typealias Response = NullResponse
}

package struct RecurCancelAdaptParams: Codable, Sendable, Hashable {
    package var jobId: String

    package init(jobId: String) { self.jobId = jobId }
}

/// `recur/setProfile`: switch the connection to another profile's model.
package struct RecurSetProfileRequest: RequestType {
    package static let method = "recur/setProfile"
    package typealias Params = RecurSetProfileParams
    package typealias Response = RecurSetProfileResult
}

package struct RecurSetProfileParams: Codable, Sendable, Hashable {
    package var profile: String

    package init(profile: String) { self.profile = profile }
}

package struct RecurSetProfileResult: Codable, Sendable, Hashable {
    package var profile: String
    package var adapterId: Int64?
    /// Why the profile's adapter is not used, when it is not (corrupt, another base model...).
    package var warnings: [String]?

    package init(profile: String, adapterId: Int64?, warnings: [String]? = nil) {
        self.profile = profile
        self.adapterId = adapterId
        self.warnings = warnings
    }
}
