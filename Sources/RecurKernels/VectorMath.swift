/// Vectorised single-precision transcendental functions.
///
/// `exp` uses Cody–Waite range reduction and a degree-6 minimax polynomial (the classic
/// Cephes `expf` coefficients), about 1–2 ulp on [-87, 88]. `tanh` uses an odd polynomial near zero,
/// where `1 - 2/(e^2x + 1)` would lose relative precision, and the exp form elsewhere.
/// Eight lanes at a time; the tail goes through the same lanes, padded.
package enum VectorMath {
    package typealias Lanes = SIMD8<Float>

    @inline(__always)
    package static func exp(_ x: Lanes) -> Lanes {
        // Clamp with selects: `clamped(lowerBound:upperBound:)` is generic and not inlined, 4% of a training step.
        var x = x.replacing(with: Lanes(repeating: -87.3), where: x .< -87.3)
        x.replace(with: Lanes(repeating: 88.3), where: x .> 88.3)
        // n = round(x / ln 2), via the 1.5·2^23 trick so the integer lands in the low mantissa bits.
        let magic = Lanes(repeating: 12_582_912)
        let t = x * Lanes(repeating: 1.442_695_04) + magic
        let n = t - magic
        x = x - n * Lanes(repeating: 0.693_359_375)
        x = x - n * Lanes(repeating: -2.121_944_40e-4)
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * x + Lanes(repeating: 1.398_199_95e-3)
        p = p * x + Lanes(repeating: 8.333_451_91e-3)
        p = p * x + Lanes(repeating: 4.166_579_59e-2)
        p = p * x + Lanes(repeating: 1.666_666_55e-1)
        p = p * x + Lanes(repeating: 5.000_000_12e-1)
        p = p * (x * x) + x + Lanes(repeating: 1)
        let bits = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: Lanes.self)
        return p * scale
    }

    @inline(__always)
    package static func sigmoid(_ x: Lanes) -> Lanes {
        Lanes(repeating: 1) / (Lanes(repeating: 1) + exp(-x))
    }

    @inline(__always)
    package static func tanh(_ x: Lanes) -> Lanes {
        let z = x * x
        var small = Lanes(repeating: -5.704_988_727_45e-3)
        small = small * z + Lanes(repeating: 2.063_908_879_54e-2)
        small = small * z + Lanes(repeating: -5.373_971_555_31e-2)
        small = small * z + Lanes(repeating: 1.333_144_220_36e-1)
        small = small * z + Lanes(repeating: -3.333_328_194_22e-1)
        small = small * z * x + x
        let ax = x.replacing(with: -x, where: x .< 0)
        let e = exp(ax + ax)
        var large = Lanes(repeating: 1) - Lanes(repeating: 2) / (e + Lanes(repeating: 1))
        large.replace(with: -large, where: x .< 0)
        return large.replacing(with: small, where: ax .< 0.625)
    }

    @inline(__always)
    private static func map(
        _ x: UnsafeMutablePointer<Float>, count: Int, _ f: (Lanes) -> Lanes
    ) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            raw.storeBytes(of: f(raw.loadUnaligned(as: Lanes.self)), as: Lanes.self)
            i += 8
        }
        if i < count {
            var tail = Lanes()
            for j in 0..<(count - i) { tail[j] = x[i + j] }
            tail = f(tail)
            for j in 0..<(count - i) { x[i + j] = tail[j] }
        }
    }

    package static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) { map(x, count: count, exp) }
    package static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        map(x, count: count, sigmoid)
    }
    package static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) { map(x, count: count, tanh) }

    @inline(__always) package static func exp(_ x: Float) -> Float { libmExpf(x) }
    @inline(__always) package static func log(_ x: Float) -> Float { libmLogf(x) }
}
