import RecurModel
import RecurProtocol

/// What `initializationOptions` may set, each field checked by the same rules as the command line and
/// `recur/complete` (`SamplingOptions.setting`). A field that is wrong is named in an error and left at its
/// default; the others still apply.
struct ServerSettings {
    /// Sampling defaults for completion lists, inline completions and `recur/complete`.
    var sampling = SamplingOptions.completionDefaults
    var checkpointBudget: Int
    var model: String?
    var profile: String?
    var store: String?
    var allowAnyPath: Bool
    /// Learning from what the user types (on unless turned off), from opened documents too, and the bytes per
    /// minute it may take in.
    var onlineLearning = true
    var learnFromOpenDocuments = false
    var learningBudget = ServerSettings.defaultLearningBudget
    /// Leave out completions that complete a word of the offensive-word list (`BlockedWords`).
    var filterOffensiveWords = true
    /// Ghost text ends at the last word edge that the model gives at least this probability (0: whole lines).
    var inlineMinProbability = InlineCompletion.defaultMinimumProbability

    /// 32 KB a minute: about 5 CPU seconds of the learning thread with the first default model (0.17 ms a byte); the
    /// GRU 2×384 default costs 1.6 times as much per byte (measured with `recur eval --dynamic`), so about 8 seconds.
    static let defaultLearningBudget = 32_768

    static let minimumCheckpointBudget = 8
    static let knownFields: Set<String> = [
        "n", "temperature", "topK", "topP", "maxChars", "checkpointBudget", "model", "profile", "store",
        "allowAnyPath", "onlineLearning", "learnFromOpenDocuments", "learningBudget", "filterOffensiveWords",
        "inlineMinProbability",
    ]

    /// Applies `options` (a JSON object) over these settings; returns one message per rejected field.
    mutating func apply(initializationOptions options: JSONValue) -> [String] {
        guard case .object(let fields) = options else {
            return options == .null ? [] : ["initializationOptions: must be an object; all ignored"]
        }
        var errors: [String] = []
        func reject(_ field: String, _ rule: String) {
            errors.append("initializationOptions.\(field): \(rule); ignored")
        }

        for field in fields.keys.sorted() where !Self.knownFields.contains(field) {
            reject(field, "unknown option")
        }
        func string(_ field: String) -> String? {
            guard let value = fields[field], value != .null else { return nil }
            guard let text = value.stringValue, !text.isEmpty else {
                reject(field, "must be a non-empty string")
                return nil
            }
            return text
        }
        func number(_ field: String, integer: Bool) -> Double? {
            guard let value = fields[field], value != .null else { return nil }
            guard let number = value.doubleValue, !integer || number.rounded() == number else {
                reject(field, integer ? "must be an integer" : "must be a number")
                return nil
            }
            return number
        }
        if let path = string("model") { model = path }
        if let name = string("profile") { profile = name }
        if let path = string("store") { store = path }
        func flag(_ field: String) -> Bool? {
            guard let value = fields[field], value != .null else { return nil }
            guard let flag = value.boolValue else {
                reject(field, "must be true or false")
                return nil
            }
            return flag
        }
        if let value = flag("allowAnyPath") { allowAnyPath = value }
        if let value = flag("onlineLearning") { onlineLearning = value }
        if let value = flag("learnFromOpenDocuments") { learnFromOpenDocuments = value }
        if let value = flag("filterOffensiveWords") { filterOffensiveWords = value }
        if let budget = number("learningBudget", integer: true) {
            if budget >= 0 && budget <= Double(Int32.max) {
                learningBudget = Int(budget)
            } else {
                reject("learningBudget", "must be a number of bytes per minute, 0 or more")
            }
        }
        if let floor = number("inlineMinProbability", integer: false) {
            if floor >= 0 && floor < 1 {
                inlineMinProbability = floor
            } else {
                reject("inlineMinProbability", "must be at least 0 and below 1")
            }
        }
        if let budget = number("checkpointBudget", integer: true) {
            if budget >= Double(Self.minimumCheckpointBudget) && budget <= Double(Int32.max) {
                checkpointBudget = Int(budget)
            } else {
                reject("checkpointBudget", "must be at least \(Self.minimumCheckpointBudget)")
            }
        }
        // Each sampling field on its own, so one bad value does not discard the others.
        let samplingFields: [(String, Bool, (SamplingOptions, Double) throws(InvalidSetting) -> SamplingOptions)] = [
            ("n", true, { o, v throws(InvalidSetting) in try o.setting(n: Int(exactly: v) ?? 0) }),
            ("temperature", false, { o, v throws(InvalidSetting) in try o.setting(temperature: v) }),
            ("topK", true, { o, v throws(InvalidSetting) in try o.setting(topK: Int(exactly: v) ?? -1) }),
            ("topP", false, { o, v throws(InvalidSetting) in try o.setting(topP: v) }),
            ("maxChars", true, { o, v throws(InvalidSetting) in try o.setting(maxChars: Int(exactly: v) ?? 0) }),
        ]
        for (field, integer, apply) in samplingFields {
            guard let value = number(field, integer: integer) else { continue }
            do throws(InvalidSetting) {
                sampling = try apply(sampling, value)
            } catch {
                reject(field, error.rule)
            }
        }
        return errors
    }
}
