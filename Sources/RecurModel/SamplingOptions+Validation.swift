/// A setting outside what it accepts: names the field (as `recur/complete` and `initializationOptions` spell it;
/// the command line maps it to its flag) and says what is allowed.
package struct InvalidSetting: Error, Equatable, CustomStringConvertible {
    package let field: String
    package let rule: String

    package init(field: String, rule: String) {
        self.field = field
        self.rule = rule
    }

    package var description: String { "\(field): \(rule)" }
}

/// The one rule for each sampling setting, shared by `recur complete`/`generate`, `recur/complete` and the
/// daemon's `initializationOptions`.
extension SamplingOptions {
    package static let countRange = 1...1000
    package static let maxBytesRange = 1...100_000

    /// These options with each given setting (nil keeps the current one) checked and applied. `topK` 0 means all
    /// bytes; `stop` is `word`, `line` or `none`.
    package func setting(
        n: Int? = nil, temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, maxChars: Int? = nil,
        stop: String? = nil, seed: UInt64? = nil
    ) throws(InvalidSetting) -> SamplingOptions {
        var options = self
        if let n {
            guard Self.countRange.contains(n) else {
                throw InvalidSetting(field: "n", rule: "must be between 1 and \(Self.countRange.upperBound)")
            }
            options.count = n
        }
        if let temperature {
            guard temperature >= 0, temperature.isFinite else {
                throw InvalidSetting(field: "temperature", rule: "must be 0 (greedy) or more")
            }
            options.temperature = Float(temperature)
        }
        if let topK {
            guard topK >= 0 else { throw InvalidSetting(field: "topK", rule: "must be 0 (off) or a positive count") }
            options.topK = topK == 0 ? nil : topK
        }
        if let topP {
            guard topP > 0, topP <= 1 else { throw InvalidSetting(field: "topP", rule: "must be in (0, 1]") }
            options.topP = Float(topP)
        }
        if let maxChars {
            guard Self.maxBytesRange.contains(maxChars) else {
                throw InvalidSetting(field: "maxChars", rule: "must be between 1 and \(Self.maxBytesRange.upperBound)")
            }
            options.maxBytes = maxChars
        }
        if let stop {
            guard let rule = StopRule(rawValue: stop) else {
                throw InvalidSetting(field: "stop", rule: "must be word, line or none")
            }
            options.stop = rule
        }
        if let seed { options.seed = seed }
        return options
    }
}
