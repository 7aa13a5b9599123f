import Foundation

/// A byte n-gram language model with interpolated Witten–Bell smoothing: the classic baseline that a neural
/// model must beat. Orders 1…n, each backing off to the next shorter context, and finally to uniform over bytes.
package final class CharNGram: Sendable {
    package let order: Int
    /// Count of (context, next byte), keyed by `key(context, next)`.
    private let pairCounts: [UInt64: UInt32]
    /// For each context: total continuations and distinct next bytes.
    private let contextStats: [UInt64: Stats]

    struct Stats: Sendable {
        var total: UInt32
        var distinct: UInt32
    }

    /// Trains on `texts`, each read from its start (contexts never cross texts). `order` is at most 7.
    package init(order: Int = 5, texts: [[UInt8]]) {
        precondition((1...7).contains(order))
        self.order = order
        var pairs: [UInt64: UInt32] = [:]
        for text in texts {
            for i in text.indices {
                let next = text[i]
                var context: UInt64 = 0
                pairs[Self.key(context: 0, length: 0, next: next), default: 0] += 1
                for length in 1..<order {
                    guard i - length >= 0 else { break }
                    context = context | (UInt64(text[i - length]) << (8 * UInt64(length - 1)))
                    pairs[Self.key(context: context, length: length, next: next), default: 0] += 1
                }
            }
        }
        var stats: [UInt64: Stats] = [:]
        for (key, count) in pairs {
            let base = key & ~0xFF
            stats[base, default: Stats(total: 0, distinct: 0)].total += count
            stats[base]!.distinct += 1
        }
        pairCounts = pairs
        contextStats = stats
    }

    /// Packs a context (most recent byte lowest) and its length with the next byte. Contexts are at most 6 bytes (bits 8–55) and the
    /// length sits in the top 4 bits, so contexts of different lengths never collide.
    @inline(__always)
    static func key(context: UInt64, length: Int, next: UInt8) -> UInt64 {
        (UInt64(length) << 60) | (context << 8) | UInt64(next)
    }

    /// P(next | the last order−1 bytes of `history`), interpolated down to uniform.
    package func probability(of next: UInt8, after history: some BidirectionalCollection<UInt8>) -> Double {
        var p = 1.0 / 256
        var contexts: [UInt64] = [0]
        var context: UInt64 = 0
        var index = history.endIndex
        for length in 1..<order {
            guard index != history.startIndex else { break }
            index = history.index(before: index)
            context |= UInt64(history[index]) << (8 * UInt64(length - 1))
            contexts.append(context)
        }
        for (length, ctx) in contexts.enumerated() {
            let base = Self.key(context: ctx, length: length, next: 0)
            guard let s = contextStats[base] else { break }
            let c = Double(pairCounts[base | UInt64(next)] ?? 0)
            let total = Double(s.total), distinct = Double(s.distinct)
            p = (c + distinct * p) / (total + distinct)
        }
        return p
    }

    /// Total negative log-likelihood (nats) of `bytes` read from its start.
    package func negativeLogLikelihood(of bytes: [UInt8]) -> Double {
        var total = 0.0
        for i in bytes.indices {
            total -= log(probability(of: bytes[i], after: bytes[max(0, i - order + 1)..<i]))
        }
        return total
    }

    /// The whole next-byte distribution after `history`.
    package func distribution(after history: some BidirectionalCollection<UInt8>) -> [Double] {
        (0..<256).map { probability(of: UInt8($0), after: history) }
    }
}
