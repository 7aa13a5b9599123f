/// Names one progress report stream, chosen by the server in `window/workDoneProgress/create`. Like a request id
/// it is an integer or a string kept exactly as sent, so it is the same type.
package typealias ProgressToken = RequestID

/// The value of a `$/progress` notification for work-done progress: one `begin`, any `report`s, one `end`.
package enum WorkDoneProgress: Codable, Sendable, Hashable {
    case begin(WorkDoneProgressBegin)
    case report(WorkDoneProgressReport)
    case end(WorkDoneProgressEnd)

    private enum CodingKeys: String, CodingKey {
        case kind
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "begin": self = .begin(try WorkDoneProgressBegin(from: decoder))
        case "report": self = .report(try WorkDoneProgressReport(from: decoder))
        case "end": self = .end(try WorkDoneProgressEnd(from: decoder))
        case let kind:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "expected 'begin', 'report' or 'end', found '\(kind)'")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        switch self {
        case .begin(let value): try value.encode(to: encoder)
        case .report(let value): try value.encode(to: encoder)
        case .end(let value): try value.encode(to: encoder)
        }
    }
}

private enum ProgressKeys: String, CodingKey {
    case kind, title, cancellable, message, percentage
}

/// Starts a progress stream. `percentage` (0...100) makes the client show a bar rather than a spinner.
package struct WorkDoneProgressBegin: Codable, Sendable, Hashable {
    package var title: String
    package var cancellable: Bool?
    package var message: String?
    package var percentage: Int?

    package init(title: String, cancellable: Bool? = nil, message: String? = nil, percentage: Int? = nil) {
        self.title = title
        self.cancellable = cancellable
        self.message = message
        self.percentage = percentage
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ProgressKeys.self)
        title = try container.decode(String.self, forKey: .title)
        cancellable = try container.decodeIfPresent(Bool.self, forKey: .cancellable)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        percentage = try container.decodeIfPresent(Int.self, forKey: .percentage)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ProgressKeys.self)
        try container.encode("begin", forKey: .kind)
        try container.encode(title, forKey: .title)
        try container.encodeIfPresent(cancellable, forKey: .cancellable)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(percentage, forKey: .percentage)
    }
}

/// Updates a progress stream.
package struct WorkDoneProgressReport: Codable, Sendable, Hashable {
    package var cancellable: Bool?
    package var message: String?
    package var percentage: Int?

    package init(cancellable: Bool? = nil, message: String? = nil, percentage: Int? = nil) {
        self.cancellable = cancellable
        self.message = message
        self.percentage = percentage
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ProgressKeys.self)
        cancellable = try container.decodeIfPresent(Bool.self, forKey: .cancellable)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        percentage = try container.decodeIfPresent(Int.self, forKey: .percentage)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ProgressKeys.self)
        try container.encode("report", forKey: .kind)
        try container.encodeIfPresent(cancellable, forKey: .cancellable)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(percentage, forKey: .percentage)
    }
}

/// Ends a progress stream.
package struct WorkDoneProgressEnd: Codable, Sendable, Hashable {
    package var message: String?

    package init(message: String? = nil) {
        self.message = message
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ProgressKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ProgressKeys.self)
        try container.encode("end", forKey: .kind)
        try container.encodeIfPresent(message, forKey: .message)
    }
}
