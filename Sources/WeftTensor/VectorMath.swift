// Elementwise math over contiguous fp32 rows, 16 lanes at a time: exp, σ, erfc, Φ, row max.
import Foundation

/// Vectorised exp: range reduction by powers of two, then a degree-6 polynomial on
/// |r| ≤ ln2/2 (relative error below 2e-7, within fp32 rounding of libm's expf).
public enum VectorMath {
    typealias V = SIMD16<Float>
    static let log2e: Float = 1.4426950408889634
    static let ln2Hi: Float = 0.693359375, ln2Lo: Float = -2.12194440e-4

    @inline(__always)
    static func exp(_ x: V) -> V {
        var cx = x.replacing(with: -87.3, where: x .< -87.3)
        cx = cx.replacing(with: 88.7, where: cx .> 88.7)
        // round(x·log2e) without a float→int conversion: adding 1.5·2²³ leaves the integer in
        // the low mantissa bits (the generic SIMD conversions are not vectorised).
        let magic = V(repeating: 12582912)
        let t = cx * log2e + magic
        let n = t - magic
        let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let r = cx - n * ln2Hi - n * ln2Lo
        var p = V(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2ⁿ as two factors, so n = 128 (x near ln FLT_MAX) does not overflow the exponent field.
        let half = ni &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self), s2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: V.self)
        var y = p * s1 * s2
        // Below the clamp the true value underflows to 0 (also for −∞).
        y.replace(with: 0, where: x .< -87.3)
        return y
    }

    /// erfc(a) for a ≥ 0 as t·P(t)·e^(−a²), t = 1/(1 + 0.6a), with P of degree 10 fitted
    /// toward minimax relative error on [0, 10] by `Tests/Fixtures/fit_erfc.py`: relative error
    /// < 4e-7 in fp32 wherever erfc is a normal number, so tails keep their relative precision.
    @inline(__always)
    static func erfc(nonNegative a: V) -> V {
        let t = 1 / (1 + 0.6 * a)
        var p = V(repeating: -0.05856226916216187)
        p = p * t + 0.3942849358191454
        p = p * t - 1.1206577080219633
        p = p * t + 1.6830649700650464
        p = p * t - 1.3225767844514322
        p = p * t + 0.4451762738695533
        p = p * t - 0.1601647592996956
        p = p * t + 0.18868655152340771
        p = p * t + 0.27343172129475385
        p = p * t + 0.3388126767517318
        p = p * t + 0.3385043942515885
        // a² = hi + lo exactly (Dekker: a split into 12 high bits and the rest, no FMA needed;
        // Swift's SIMD addingProduct is a scalar fmaf call per lane): e^(−a²) keeps fp32
        // precision for large a.
        let ah = unsafeBitCast(unsafeBitCast(a, to: SIMD16<UInt32>.self) & 0xFFFF_F000, to: V.self), al = a - ah
        let hi = a * a, lo = ((ah * ah - hi) + 2 * ah * al) + al * al
        return t * p * exp(-hi) * (1 - lo)
    }

    /// Φ(x), the standard normal CDF, from erfc: each tail keeps its relative precision.
    @inline(__always)
    static func normalCDF(_ x: V) -> V {
        let half = 0.5 * erfc(nonNegative: x.replacing(with: -x, where: x .< 0) * 0.70710678118654752)
        return half.replacing(with: 1 - half, where: x .>= 0)
    }

    /// σ(x) = 1/(1 + e^−x); exact 0/1 limits, no overflow (exp clamps).
    @inline(__always)
    static func sigmoid(_ x: V) -> V { 1 / (1 + exp(-x)) }

    /// Calls `body` on lanes i..<i+16 of `0..<count` (the last group padded with zeros), with a
    /// loader and a storer that respect the group's real length.
    @inline(__always)
    static func lanes(_ range: Range<Int>, _ body: (_ load: (UnsafePointer<Float>) -> V, _ store: (V, UnsafeMutablePointer<Float>) -> Void) -> Void) {
        var i = range.lowerBound
        while i < range.upperBound {
            let n = Swift.min(16, range.upperBound - i), at = i
            if n == 16 {
                body({ UnsafeRawPointer($0 + at).loadUnaligned(as: V.self) },
                     { UnsafeMutableRawPointer($1 + at).storeBytes(of: $0, as: V.self) })
            } else {
                body({ p in var v = V(); for j in 0..<n { v[j] = p[at + j] }; return v },
                     { v, p in for j in 0..<n { p[at + j] = v[j] } })
            }
            i += n
        }
    }

    /// dst[i] = exp(src[i] − shift) (unless `dst` is nil: only the sum is wanted); returns
    /// Σ exp(src[i] − shift). In place is allowed.
    @discardableResult
    public static func expShifted(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>?, count: Int, shift: Float) -> Float {
        var i = 0
        var acc = V()
        let s = V(repeating: shift)
        while i + 16 <= count {
            let v = exp(UnsafeRawPointer(src + i).loadUnaligned(as: V.self) - s)
            if let dst { UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: V.self) }
            acc += v
            i += 16
        }
        var sum = acc.sum()
        while i < count {
            var tail = V(repeating: -.infinity)
            let n = min(16, count - i)
            for j in 0..<n { tail[j] = src[i + j] - shift }
            let v = exp(tail)
            for j in 0..<n { dst?[i + j] = v[j]; sum += v[j] }
            i += n
        }
        return sum
    }

    /// The largest value of a row.
    public static func max(_ src: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0
        var m = V(repeating: -.infinity)
        while i + 16 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            m = m.replacing(with: v, where: v .> m)
            i += 16
        }
        var r = m.max()
        while i < count { r = Swift.max(r, src[i]); i += 1 }
        return r
    }
}
