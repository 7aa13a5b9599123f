/// The latencies of the most recent completions, for `recur/status` percentiles. A ring of fixed size.
struct LatencyRecorder: Sendable {
    private var samples: [Double] = []
    private var next = 0
    let capacity: Int
    private(set) var total = 0

    init(capacity: Int = 1000) { self.capacity = capacity }

    mutating func record(milliseconds: Double) {
        total += 1
        if samples.count < capacity {
            samples.append(milliseconds)
        } else {
            samples[next] = milliseconds
            next = (next + 1) % capacity
        }
    }

    /// The q-th percentile (0...100) of the recorded samples, nearest rank; 0 when empty.
    func percentile(_ q: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let rank = Int((q / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
