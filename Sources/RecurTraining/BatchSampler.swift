import RecurKernels
import RecurModel

/// Draws training batches: B random windows of T+1 bytes (inputs and their next bytes), never crossing a file.
/// Files are chosen in proportion to their number of valid window starts, so every byte is equally likely.
struct BatchSampler {
    let documents: [[UInt8]]
    let cumulativeStarts: [Int]  // running total of valid starts per document
    let batch: Int
    let steps: Int

    init(documents: [[UInt8]], batch: Int, steps: Int) throws(Corpus.Error) {
        let usable = documents.filter { $0.count >= steps + 1 }
        guard !usable.isEmpty else { throw .tooShort(steps + 1) }
        self.documents = usable
        var total = 0
        cumulativeStarts = usable.map { doc in
            total += doc.count - steps
            return total
        }
        self.batch = batch
        self.steps = steps
    }

    func next(rng: inout SeededGenerator) -> SequenceBatch {
        let T = steps
        var inputs = [UInt8](repeating: 0, count: batch * T)
        var targets = inputs
        let total = cumulativeStarts.last!
        for b in 0..<batch {
            let global = Int(rng.next() % UInt64(total))
            var lo = 0, hi = cumulativeStarts.count - 1
            while lo < hi {  // first document whose running total exceeds `global`
                let mid = (lo + hi) / 2
                if cumulativeStarts[mid] > global { hi = mid } else { lo = mid + 1 }
            }
            let start = global - (lo == 0 ? 0 : cumulativeStarts[lo - 1])
            let doc = documents[lo]
            for t in 0..<T {
                inputs[b * T + t] = doc[start + t]
                targets[b * T + t] = doc[start + t + 1]
            }
        }
        return SequenceBatch(batch: batch, steps: T, inputs: inputs, targets: targets)
    }

    /// Deterministic validation batches: consecutive non-overlapping windows of every document, at most `limit`.
    static func validationBatches(documents: [[UInt8]], batch: Int, steps: Int, limit: Int) -> [SequenceBatch] {
        var windows: [(ArraySlice<UInt8>)] = []
        for doc in documents where doc.count >= steps + 1 {
            var start = 0
            while start + steps + 1 <= doc.count {
                windows.append(doc[start..<(start + steps + 1)])
                start += steps
            }
        }
        if windows.count > limit {
            // Spread the kept windows evenly over all documents.
            let stride = Double(windows.count) / Double(limit)
            windows = (0..<limit).map { windows[Int(Double($0) * stride)] }
        }
        var batches: [SequenceBatch] = []
        var index = 0
        while index < windows.count {
            let group = windows[index..<min(index + batch, windows.count)]
            var inputs: [UInt8] = [], targets: [UInt8] = []
            for w in group {
                inputs.append(contentsOf: w.dropLast())
                targets.append(contentsOf: w.dropFirst())
            }
            batches.append(SequenceBatch(batch: group.count, steps: steps, inputs: inputs, targets: targets))
            index += batch
        }
        return batches
    }
}
