import Foundation
import RecurKernels

/// Where a sampled continuation ends.
package enum StopRule: String, Sendable, Codable, CaseIterable {
    /// At the end of the next word: after leading punctuation or spaces (if any), through one run of word bytes
    /// (see `ByteVocabulary.isWordByte`), stopping before the byte that ends it. A newline always stops.
    /// So "hel" gives "lo", "the " gives "cat", and "def f(self" gives ", name".
    case word
    /// At the first newline.
    case line
    /// Only at the length limit.
    case none
}

/// How to draw continuations. Temperature 0 means greedy.
package struct SamplingOptions: Sendable, Codable, Equatable {
    package var count: Int
    package var temperature: Float
    /// Keep only the k most probable bytes; nil or 0 keeps all.
    package var topK: Int?
    /// Keep the smallest set of bytes whose probability reaches p; 1 keeps all.
    package var topP: Float
    package var maxBytes: Int
    package var stop: StopRule
    package var seed: UInt64
    /// Above 0: a continuation ends at its last word edge (`Sampler.isEdge`) before the model's probability of its
    /// bytes (temperature 1) falls below this, and sampling it stops there; one without such an edge is dropped.
    /// What ghost text uses, so that it shows what is likely to be right rather than a whole line that is not.
    package var minimumProbability: Double = 0

    package init(
        count: Int = 5, temperature: Float = 0.8, topK: Int? = nil, topP: Float = 1, maxBytes: Int = 40,
        stop: StopRule = .word, seed: UInt64 = 0, minimumProbability: Double = 0
    ) {
        self.count = count
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxBytes = maxBytes
        self.stop = stop
        self.seed = seed
        self.minimumProbability = minimumProbability
    }

    /// The daemon's defaults for completion lists, ghost text and `recur/complete`.
    package static let completionDefaults = SamplingOptions(count: 6, temperature: 0.7, maxBytes: 40, stop: .word)

    /// Temperature 0 (or below machine precision): always the most probable byte.
    package var isGreedy: Bool { temperature <= 1e-6 }
}

/// One sampled continuation.
package struct Completion: Sendable, Equatable {
    package var bytes: [UInt8]
    /// Natural log of the model's probability (at temperature 1, before any truncation) of these bytes
    /// and then of the stop: for `.word`, any non-word byte; for `.line`, a newline; at the length limit, nothing.
    package var logprob: Double
    /// The state after `bytes`, so that accepting this completion needs no recomputation.
    package var state: RecurrentState
    /// The log-probability of each byte of `bytes` (temperature 1), where the sampler knows it; else empty.
    package var byteLogprobs: [Double] = []

    /// The text, with invalid UTF-8 repaired (it cannot end in a partial sequence; see `Sampler`).
    package var text: String { String(decoding: bytes, as: UTF8.self) }
    package var probability: Double { exp(logprob) }
}

/// Draws n continuations at once: the n rows advance together as one batch, one GEMM per projection per step.
package enum Sampler {
    /// Samples from a primed single-sequence `state` and returns the distinct completions, most probable first.
    /// Empty completions are dropped. A continuation cut at `maxBytes` inside a UTF-8 sequence loses the partial tail;
    /// under `.word` and `.line`, one cut inside a word that the model does not expect to end there (a word break
    /// below 50%) loses that word's bytes.
    package static func sample(
        _ predictor: Predictor, from state: RecurrentState, options: SamplingOptions
    ) -> [Completion] {
        precondition(state.rows == 1)
        let n = max(1, options.isGreedy ? 1 : options.count)
        let V = predictor.config.vocab
        var rng = SeededGenerator(seed: options.seed)
        var rows = state.replicated(count: n)
        var outputs = [[UInt8]](repeating: [], count: n)
        var logprobs = [Double](repeating: 0, count: n)
        var byteLogprobs = [[Double]](repeating: [], count: n)
        var finished = [Bool](repeating: false, count: n)
        var finalStates = [RecurrentState?](repeating: nil, count: n)
        var inWord = [Bool](repeating: false, count: n)
        // Under `minimumProbability`: each row's last edge above it (its length and the state there), and the
        // log-probability of its bytes so far.
        let floor = options.minimumProbability > 0 ? log(options.minimumProbability) : nil
        var lastEdge = [(length: Int, state: RecurrentState)?](repeating: nil, count: n)
        var bytesLogprob = [Double](repeating: 0, count: n)
        var weights = [Float](repeating: 0, count: V)
        var order = [Int](repeating: 0, count: V)

        // `rows` holds only the unfinished samples: position p is sample active[p]. Finished rows are dropped so
        // that later steps only pay for the samples still running.
        var active = Array(0..<n)
        for _ in 0..<max(options.maxBytes, 0) {
            let logp = predictor.logProbabilities(rows)
            var stillActive: [Int] = []
            var stepBytes: [UInt8] = []
            for (p, r) in active.enumerated() {
                let row = UnsafeBufferPointer(rebasing: logp[(p * V)..<((p + 1) * V)])
                let byte = draw(row, options: options, rng: &rng, weights: &weights, order: &order)
                if let stopMass = stopProbability(byte: byte, row: row, rule: options.stop, inWord: inWord[r]) {
                    logprobs[r] += log(Double(stopMass))
                    finished[r] = true
                    finalStates[r] = rows.row(p)
                    continue
                }
                if let floor, let previous = outputs[r].last, isEdge(previous, byte), bytesLogprob[r] >= floor {
                    lastEdge[r] = (outputs[r].count, rows.row(p))
                }
                inWord[r] = inWord[r] || ByteVocabulary.isWordByte(byte)
                outputs[r].append(byte)
                logprobs[r] += Double(row[Int(byte)])
                byteLogprobs[r].append(Double(row[Int(byte)]))
                bytesLogprob[r] += Double(row[Int(byte)])
                if let floor, bytesLogprob[r] < floor { continue }  // it ends at its last edge
                stillActive.append(p)
                stepBytes.append(byte)
            }
            if stillActive.isEmpty { break }
            if stillActive.count < active.count { rows = rows.selecting(rows: stillActive) }
            active = stillActive.map { active[$0] }
            predictor.step(&rows, bytes: stepBytes)
        }
        for (p, r) in active.enumerated() where finalStates[r] == nil { finalStates[r] = rows.row(p) }
        // Samples that reached the length limit inside a word: unless the word is likely to end there, drop its
        // start rather than offer half a word.
        var cutWord = [Bool](repeating: false, count: n)
        if options.stop != .none, floor == nil, !active.isEmpty, active.contains(where: { !finished[$0] }) {
            let logp = predictor.logProbabilities(rows)
            for (p, r) in active.enumerated() where outputs[r].last.map(ByteVocabulary.isWordByte) == true {
                let row = UnsafeBufferPointer(rebasing: logp[(p * V)..<((p + 1) * V)])
                cutWord[r] = wordBreakProbability(row) < 0.5
            }
        }
        var results: [Completion] = []
        for r in 0..<n {
            if floor != nil && !finished[r] {
                // Below the floor, or at the length limit: back to the last edge above the floor.
                guard let edge = lastEdge[r] else { continue }
                let kept = Array(byteLogprobs[r][..<edge.length])
                results.append(
                    Completion(
                        bytes: Array(outputs[r][..<edge.length]), logprob: kept.reduce(0, +), state: edge.state,
                        byteLogprobs: kept))
                continue
            }
            var bytes = outputs[r]
            var finalState = finalStates[r]!
            var trimmed = false
            if cutWord[r] {
                while let last = bytes.last, ByteVocabulary.isWordByte(last) {
                    bytes.removeLast()
                    logprobs[r] -= byteLogprobs[r].removeLast()
                }
                trimmed = true
            }
            while case let partial = ByteVocabulary.incompleteTailLength(bytes), partial > 0 {
                bytes.removeLast(partial)
                logprobs[r] -= byteLogprobs[r].suffix(partial).reduce(0, +)
                byteLogprobs[r].removeLast(partial)
                trimmed = true
            }
            if trimmed {
                // Dropped a partial sequence: recompute the state for what is kept.
                finalState = state
                predictor.advance(&finalState, through: bytes)
            }
            guard !bytes.isEmpty, !cutWord[r] || bytes.contains(where: ByteVocabulary.isWordByte) else { continue }
            results.append(
                Completion(bytes: bytes, logprob: logprobs[r], state: finalState, byteLogprobs: byteLogprobs[r]))
        }
        results.sort { $0.logprob > $1.logprob }
        var seen = Set<[UInt8]>()
        return results.filter { seen.insert($0.bytes).inserted }
    }

    /// Whether a continuation may end between `previous` and `next` without cutting a word or ending on white
    /// space: at a word's end ("la|zy", "foo|,"), before a space ("foo,| bar"), or where punctuation meets a word
    /// ("self.|assert", "(|a").
    static func isEdge(_ previous: UInt8, _ next: UInt8) -> Bool {
        if ByteVocabulary.isWhitespace(previous) { return false }
        return ByteVocabulary.isWordByte(previous) != ByteVocabulary.isWordByte(next)
            || ByteVocabulary.isWhitespace(next)
    }

    /// When `byte` ends the continuation under `rule`, the probability of the stop event; otherwise nil.
    /// `inWord`: the continuation already holds a word byte.
    static func stopProbability(byte: UInt8, row: UnsafeBufferPointer<Float>, rule: StopRule, inWord: Bool) -> Float? {
        switch rule {
        case .none:
            return nil
        case .line:
            return byte == 0x0A ? expf(row[0x0A]) : nil
        case .word:
            if ByteVocabulary.isWordByte(byte) || (!inWord && byte != 0x0A) { return nil }
            guard inWord else { return expf(row[0x0A]) }
            return wordBreakProbability(row)
        }
    }

    /// The probability that the next byte ends a word (any non-word byte), from a row of log-probabilities.
    static func wordBreakProbability(_ row: UnsafeBufferPointer<Float>) -> Float {
        var mass: Float = 0
        for b in 0..<row.count where !ByteVocabulary.isWordByte(UInt8(b)) { mass += expf(row[b]) }
        return mass
    }

    /// Draws one byte from a row of log-probabilities after temperature, top-k and top-p.
    static func draw(
        _ logp: UnsafeBufferPointer<Float>, options: SamplingOptions, rng: inout SeededGenerator,
        weights: inout [Float], order: inout [Int]
    ) -> UInt8 {
        let V = logp.count
        if options.isGreedy {
            var best = 0
            for b in 1..<V where logp[b] > logp[best] { best = b }
            return UInt8(best)
        }
        // Tempered, unnormalised weights relative to the maximum.
        var maxValue = -Float.infinity
        for b in 0..<V { maxValue = max(maxValue, logp[b]) }
        let invT = 1 / options.temperature
        for b in 0..<V { weights[b] = (logp[b] - maxValue) * invT }
        weights.withUnsafeMutableBufferPointer { VectorMath.exp($0.baseAddress!, count: V) }

        let k = options.topK ?? 0
        let truncate = (k > 0 && k < V) || options.topP < 1
        if !truncate {
            var total: Float = 0
            for b in 0..<V { total += weights[b] }
            var u = rng.nextUnitFloat() * total
            for b in 0..<V {
                u -= weights[b]
                if u < 0 { return UInt8(b) }
            }
            return UInt8(lastPositive(weights))
        }
        for b in 0..<V { order[b] = b }
        order.sort { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
        var keep = (k > 0 && k < V) ? k : V
        if options.topP < 1 {
            var total: Float = 0
            for i in 0..<keep { total += weights[order[i]] }
            var cumulative: Float = 0
            for i in 0..<keep {
                cumulative += weights[order[i]]
                if cumulative >= options.topP * total {
                    keep = i + 1
                    break
                }
            }
        }
        var total: Float = 0
        for i in 0..<keep { total += weights[order[i]] }
        var u = rng.nextUnitFloat() * total
        for i in 0..<keep {
            u -= weights[order[i]]
            if u < 0 { return UInt8(order[i]) }
        }
        return UInt8(order[keep - 1])
    }

    private static func lastPositive(_ w: [Float]) -> Int {
        for b in stride(from: w.count - 1, through: 0, by: -1) where w[b] > 0 { return b }
        return 0
    }
}
