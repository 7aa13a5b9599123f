// Bit-exact conversions between Float32 and the two 16-bit float formats used
// in safetensors files: IEEE 754 binary16 ("F16") and bfloat16 ("BF16").
//
// These are written out explicitly rather than relying on Swift's `Float16`
// so that behaviour is identical on every platform (Float16 is unavailable on
// macOS x86_64). The tests check them against `Float16` where it exists.

extension Float {
    /// Decodes an IEEE 754 binary16 bit pattern. Exact: every binary16 value
    /// (including subnormals, infinities and NaN payloads) is representable
    /// as a Float32.
    package init(bitsF16 bits: UInt16) {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24, exact in Float32.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity or NaN; the payload is kept in the top mantissa bits.
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            // Normal: rebias the exponent from 15 to 127.
            self = Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// Decodes a bfloat16 bit pattern: the upper 16 bits of a Float32.
    package init(bitsBF16 bits: UInt16) {
        self = Float(bitPattern: UInt32(bits) << 16)
    }
}

extension UInt16 {
    /// The binary16 bit pattern nearest to `value`, rounding ties to even.
    ///
    /// Finite values whose magnitude rounds above 65504 become ±infinity;
    /// callers that must not lose finiteness should check the result with
    /// `isInfiniteF16` against `value.isFinite`. NaN stays NaN (quiet, with
    /// the top payload bits kept), and values below the smallest subnormal
    /// round to a signed zero.
    package init(f16BitsRounding value: Float) {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF

        if exponent == 0xFF {
            if mantissa == 0 {
                self = sign | 0x7C00
            } else {
                self = sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
            }
            return
        }

        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F {
            self = sign | 0x7C00
            return
        }
        if halfExponent <= 0 {
            // Result is subnormal (or zero): significand × 2^-shift in units of
            // 2^-24. Float32 zeros and subnormals (exponent 0) give shift 126.
            let shift = 14 - halfExponent
            if shift >= 25 {
                // Magnitude < 2^-25: rounds to zero (exactly 2^-25 ties to even 0).
                self = sign
                return
            }
            self = sign | UInt16(truncatingIfNeeded: Self.shiftRoundingToEven(mantissa | 0x80_0000, by: shift))
            return
        }

        // Normal range: drop 13 mantissa bits with round-to-nearest-even. A
        // carry out of the mantissa correctly bumps the exponent (up to inf).
        let truncated = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        var rounded = truncated
        if remainder > 0x1000 || (remainder == 0x1000 && (truncated & 1) == 1) {
            rounded += 1
        }
        self = sign | UInt16(truncatingIfNeeded: rounded)
    }

    /// The bfloat16 bit pattern nearest to `value`, rounding ties to even.
    /// Finite values that round beyond the bfloat16 range become ±infinity;
    /// NaN stays a quiet NaN.
    package init(bf16BitsRounding value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            self = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
            return
        }
        let lsb = (bits >> 16) & 1
        let (sum, _) = bits.addingReportingOverflow(0x7FFF + lsb)
        self = UInt16(truncatingIfNeeded: sum >> 16)
    }

    /// Whether this binary16 bit pattern is ±infinity.
    package var isInfiniteF16: Bool { self & 0x7FFF == 0x7C00 }

    /// Whether this bfloat16 bit pattern is ±infinity.
    package var isInfiniteBF16: Bool { self & 0x7FFF == 0x7F80 }

    /// `value >> shift` rounded to nearest, ties to even; `1 <= shift < 32`.
    private static func shiftRoundingToEven(_ value: UInt32, by shift: Int) -> UInt32 {
        let truncated = value >> UInt32(shift)
        let remainder = value & ((1 << UInt32(shift)) - 1)
        let half = UInt32(1) << UInt32(shift - 1)
        if remainder > half || (remainder == half && (truncated & 1) == 1) {
            return truncated + 1
        }
        return truncated
    }
}
