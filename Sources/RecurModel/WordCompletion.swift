import Foundation
import RecurKernels

/// How often each word occurs in some text: the "cache" half of word completion (the words of the document the
/// user is typing in). Words are maximal runs of `ByteVocabulary.isWordByte` bytes.
package struct WordFrequencies: Sendable {
    private var counts: [[UInt8]: Int] = [:]
    private var current: [UInt8] = []

    package init() {}

    /// Counts the complete words of `bytes` that start with `prefix` (a word cut by either end of the slice, and
    /// a run longer than `WordCompletion.maximumWordBytes`, are left out). Other words are skipped without being
    /// copied, so a scan costs little more than a pass.
    package init(scanning bytes: ArraySlice<UInt8>, prefix: [UInt8] = []) {
        var i = bytes.startIndex
        // Skip a word cut by the start of the slice, unless the slice starts the text.
        if i > 0 { while i < bytes.endIndex && ByteVocabulary.isWordByte(bytes[i]) { i += 1 } }
        while i < bytes.endIndex {
            guard ByteVocabulary.isWordByte(bytes[i]) else {
                i += 1
                continue
            }
            let start = i
            var matches = true
            while i < bytes.endIndex && ByteVocabulary.isWordByte(bytes[i]) {
                if i - start < prefix.count && bytes[i] != prefix[i - start] { matches = false }
                i += 1
            }
            guard i < bytes.endIndex else { break }  // cut by the end
            let length = i - start
            if matches && length > prefix.count && length <= WordCompletion.maximumWordBytes {
                counts[Array(bytes[start..<i]), default: 0] += 1
            }
        }
    }

    /// Feeds one typed byte: a word is counted when a non-word byte ends it.
    package mutating func type(_ byte: UInt8) {
        if ByteVocabulary.isWordByte(byte) {
            if current.count <= WordCompletion.maximumWordBytes { current.append(byte) }
        } else {
            if !current.isEmpty && current.count <= WordCompletion.maximumWordBytes { counts[current, default: 0] += 1 }
            current = []
        }
    }

    /// The words longer than `prefix` that start with it, most frequent first (ties in byte order), with counts.
    package func words(startingWith prefix: [UInt8], top: Int) -> [(word: [UInt8], count: Int)] {
        counts.filter { $0.key.count > prefix.count && $0.key.starts(with: prefix) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key) }
            .prefix(top).map { ($0.key, $0.value) }
    }
}

/// Completes the word being typed: the model's most probable endings (beam search), interpolated with a cache of
/// the words already in the document (Kuhn and De Mori's cache model, 1990): the score of an ending is
/// log(λ·p_model(ending, then a word break) + (1−λ)·p_cache(word | prefix)), where p_cache is the word's share of
/// the document's words with this prefix. The daemon's completion list and `recur eval --ksr` both use this.
package enum WordCompletion {
    /// The longest run of word bytes that counts as a word. A longer run (a minified line, a base64 blob) is no
    /// word: it is neither completed nor counted in the document's words, so no request reads more than this far
    /// back for the word being typed.
    package static let maximumWordBytes = 64

    /// The word being typed: the run of word bytes of `text` ending at `offset` (clamped into the text), or an
    /// empty range at `offset` when there is none or it is longer than `maximumWordBytes`. Reads at most
    /// `maximumWordBytes + 1` bytes.
    package static func typedWord(in text: [UInt8], endingAt offset: Int) -> Range<Int> {
        let end = min(max(offset, 0), text.count)
        var start = end
        while start > 0, ByteVocabulary.isWordByte(text[start - 1]) {
            guard end - start < maximumWordBytes else { return end..<end }
            start -= 1
        }
        return start..<end
    }

    package struct Options: Sendable, Equatable {
        package var count = 6
        package var beamWidth = 4
        package var maxBytes = 32
        /// Weight of the model in the interpolation; 1 ignores the document's words.
        package var modelWeight = 0.5
        /// At most this many document words are considered.
        package var cacheWords = 8

        package init(count: Int = 6, beamWidth: Int = 4, maxBytes: Int = 32, modelWeight: Double = 0.5) {
            self.count = count
            self.beamWidth = beamWidth
            self.maxBytes = maxBytes
            self.modelWeight = modelWeight
        }
    }

    /// The best `options.count` endings of the word whose typed part is `prefix`, from `state` (primed through
    /// the prefix). `logprob` is the interpolated score; `state` follows the ending's bytes.
    package static func complete(
        _ predictor: Predictor, from state: RecurrentState, prefix: [UInt8], cache: WordFrequencies,
        options: Options
    ) -> [Completion] {
        let cached = options.modelWeight < 1 ? cache.words(startingWith: prefix, top: options.cacheWords) : []
        let cacheTotal = Double(cached.reduce(0) { $0 + $1.count })
        var modelScores = beamEndings(
            predictor, from: state, count: max(options.count, 1), width: options.beamWidth,
            maxBytes: options.maxBytes)
        let known = Set(modelScores.map(\.bytes))
        let missing = cached.map { Array($0.word[prefix.count...]) }.filter { !known.contains($0) }
        modelScores += score(predictor, from: state, endings: missing)
        let cacheShare = Dictionary(
            cached.map { (Array($0.word[prefix.count...]), Double($0.count) / max(cacheTotal, 1)) },
            uniquingKeysWith: { a, _ in a })
        let lambda = min(max(options.modelWeight, 0), 1)
        var results = modelScores.map { c -> Completion in
            var mixed = c
            mixed.logprob = log(lambda * exp(c.logprob) + (1 - lambda) * (cacheShare[c.bytes] ?? 0))
            return mixed
        }
        results.sort { $0.logprob > $1.logprob }
        return Array(results.prefix(options.count))
    }

    /// What a person is shown: `complete` asked for two spare endings, passed through `filter` (`before`: the text
    /// before the cursor), at most `options.count` of them. The daemon's completion list and `eval --ksr` use this.
    package static func suggestions(
        _ predictor: Predictor, from state: RecurrentState, prefix: [UInt8], cache: WordFrequencies,
        options: Options, filter: SuggestionFilter, before: ArraySlice<UInt8>
    ) -> [Completion] {
        var wider = options
        wider.count = options.count + 2
        let found = complete(predictor, from: state, prefix: prefix, cache: cache, options: wider)
        return Array(filter.apply(found, before: before).prefix(options.count))
    }

    /// The most probable endings: word bytes followed by a word break, by beam search of `width` hypotheses,
    /// stopping once no open hypothesis can beat the `count`-th finished one.
    package static func beamEndings(
        _ predictor: Predictor, from state: RecurrentState, count: Int, width: Int, maxBytes: Int
    ) -> [Completion] {
        precondition(state.rows == 1)
        let V = predictor.config.vocab
        var rows = state
        var beams: [(bytes: [UInt8], logprob: Double)] = [([], 0)]
        var finished: [Completion] = []
        for _ in 0...max(maxBytes, 0) {
            let logp = predictor.logProbabilities(rows)
            var candidates: [(parent: Int, byte: UInt8, logprob: Double)] = []
            for (p, beam) in beams.enumerated() {
                let row = UnsafeBufferPointer(rebasing: logp[(p * V)..<((p + 1) * V)])
                // Only whole characters end a word: a lone byte >= 0x80 or a cut sequence does not.
                if !beam.bytes.isEmpty && String(validating: beam.bytes, as: UTF8.self) != nil {
                    let stop = Sampler.wordBreakProbability(row)
                    finished.append(
                        Completion(bytes: beam.bytes, logprob: beam.logprob + log(Double(stop)), state: rows.row(p)))
                }
                guard beam.bytes.count < maxBytes else { continue }
                // At most `width` extensions of one hypothesis can survive: keep its best `width` word bytes.
                var best: [(byte: UInt8, logp: Float)] = []
                best.reserveCapacity(width + 1)
                for b in 0..<V where ByteVocabulary.isWordByte(UInt8(b)) {
                    let value = row[b]
                    guard best.count < width || value > best[best.count - 1].logp else { continue }
                    var j = best.count
                    best.append((UInt8(b), value))
                    while j > 0 && best[j - 1].logp < value {
                        best[j] = best[j - 1]
                        j -= 1
                    }
                    best[j] = (UInt8(b), value)
                    if best.count > width { best.removeLast() }
                }
                for (byte, value) in best { candidates.append((p, byte, beam.logprob + Double(value))) }
            }
            candidates.sort { $0.logprob > $1.logprob }
            finished.sort { $0.logprob > $1.logprob }
            if finished.count > count { finished.removeLast(finished.count - count) }
            // Extending a hypothesis only lowers its log-probability: stop when none can enter the top `count`.
            let bar = finished.count >= count ? finished[count - 1].logprob : -Double.infinity
            let kept = candidates.prefix(width).filter { $0.logprob > bar }
            guard !kept.isEmpty else { break }
            rows = rows.selecting(rows: kept.map(\.parent))
            beams = kept.map { (beams[$0.parent].bytes + [$0.byte], $0.logprob) }
            predictor.step(&rows, bytes: kept.map(\.byte))
        }
        return finished
    }

    /// The model's log-probability of each ending followed by a word break, advancing all endings as one batch.
    package static func score(_ predictor: Predictor, from state: RecurrentState, endings: [[UInt8]]) -> [Completion] {
        guard !endings.isEmpty else { return [] }
        let V = predictor.config.vocab
        var logprobs = [Double](repeating: 0, count: endings.count)
        var states = [RecurrentState?](repeating: nil, count: endings.count)
        var active = Array(endings.indices)
        var rows = state.replicated(count: endings.count)
        var position = 0
        while !active.isEmpty {
            let logp = predictor.logProbabilities(rows)
            var still: [Int] = []
            var bytes: [UInt8] = []
            for (p, e) in active.enumerated() {
                let row = UnsafeBufferPointer(rebasing: logp[(p * V)..<((p + 1) * V)])
                if position == endings[e].count {
                    logprobs[e] += log(Double(Sampler.wordBreakProbability(row)))
                    states[e] = rows.row(p)
                } else {
                    let byte = endings[e][position]
                    logprobs[e] += Double(row[Int(byte)])
                    still.append(p)
                    bytes.append(byte)
                }
            }
            if still.isEmpty { break }
            if still.count < active.count { rows = rows.selecting(rows: still) }
            active = still.map { active[$0] }
            predictor.step(&rows, bytes: bytes)
            position += 1
        }
        return endings.indices.map { Completion(bytes: endings[$0], logprob: logprobs[$0], state: states[$0]!) }
    }
}
