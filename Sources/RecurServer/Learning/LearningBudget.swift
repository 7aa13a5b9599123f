import Foundation

/// How many bytes the learner may take in: a bucket of one minute's worth that refills continuously, so that a
/// 50 MB paste costs the learning thread one minute's budget (a few CPU seconds), not minutes of a core, and typing
/// afterwards is learned again within a minute.
struct LearningBudget {
    let bytesPerMinute: Int
    private var available: Double
    private var refilled: ContinuousClock.Instant

    init(bytesPerMinute: Int, now: ContinuousClock.Instant = .now) {
        self.bytesPerMinute = bytesPerMinute
        available = Double(bytesPerMinute)
        refilled = now
    }

    /// Takes up to `count` bytes; returns how many may be learned.
    mutating func take(_ count: Int, now: ContinuousClock.Instant = .now) -> Int {
        let elapsed = now - refilled
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        available = min(Double(bytesPerMinute), available + seconds * Double(bytesPerMinute) / 60)
        refilled = now
        let granted = min(count, Int(available))
        available -= Double(granted)
        return granted
    }
}
