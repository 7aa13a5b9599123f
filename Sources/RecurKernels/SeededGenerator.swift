/// A small, fast, reproducible random number generator (SplitMix64).
///
/// The same seed gives the same stream on every platform and Swift version, which
/// `SystemRandomNumberGenerator` cannot promise. Its whole state is one `UInt64`, so
/// checkpoints can store it and a resumed run continues the same stream.
package struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    @inline(__always)
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) with 24 random bits.
    @inline(__always)
    package mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform value in [0, 1) with 53 random bits.
    @inline(__always)
    package mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
