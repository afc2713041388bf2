import Foundation

/// SplitMix64: a small seeded generator, so initialisation, sampling and dropout masks are
/// the same on every machine.
public struct SplitMix: RandomNumberGenerator, Sendable {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    public var state: UInt64
    public init(_ seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// The k-th value of the stream seeded with `seed` (k from 0), without stepping through
    /// the others: what lets a dropout mask be computed per element, in any order.
    @inline(__always)
    static func value(seed: UInt64, at k: UInt64) -> UInt64 { mix(seed &+ (k &+ 1) &* gamma) }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Float { Float(Double(next() >> 11) / Double(1 << 53)) }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
