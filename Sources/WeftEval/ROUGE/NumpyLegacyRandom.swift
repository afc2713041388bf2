/// numpy's legacy global generator (`numpy.random.RandomState`, what `np.random.seed`
/// and `np.random.choice` use): MT19937 with numpy's integer seeding and its bounded
/// integer and float methods, draw for draw.
///
/// reference: Matsumoto & Nishimura (1998), MT19937 `init_genrand` and tempering;
/// numpy 2.4 `RandomState._legacy_seeding` (an int seed is `init_genrand(seed)`),
/// `RandomState.choice` (with replacement and no `p`: `randint(0, len(a), size)`),
/// `random_bounded_uint64_fill` (masked rejection), `mt19937_next64` (high word
/// first) and `random_standard_uniform` (53-bit double from two draws).
public struct NumpyLegacyRandom: Sendable {
    private static let n = 624
    private static let m = 397
    private var state: [UInt32]
    private var index: Int

    /// The generator after `np.random.seed(seed)` (or `RandomState(seed)`).
    public init(seed: UInt32) {
        var s = [UInt32](repeating: 0, count: NumpyLegacyRandom.n)
        s[0] = seed
        for i in 1..<NumpyLegacyRandom.n {
            let prev = s[i - 1]
            s[i] = 1_812_433_253 &* (prev ^ (prev >> 30)) &+ UInt32(i)
        }
        state = s
        index = NumpyLegacyRandom.n
    }

    /// The next raw 32-bit output (`mt19937_next32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= NumpyLegacyRandom.n { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// Two draws as one 64-bit value, the first in the high half (`mt19937_next64`).
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(nextUInt32())
        return high << 32 | UInt64(nextUInt32())
    }

    /// A uniform integer in 0..<n, as legacy `randint(0, n)` draws each element (and
    /// so as `choice(n)` with replacement). n = 1 consumes no draw, like numpy; n < 1
    /// (which numpy rejects) returns 0 without drawing.
    public mutating func nextInt(below n: Int) -> Int {
        guard n > 1 else { return 0 }
        let range = UInt64(n - 1)
        if range == 0xFFFF_FFFF { return Int(nextUInt32()) }
        let mask = NumpyLegacyRandom.mask(range)
        if range < 0xFFFF_FFFF {
            // Masked rejection on 32-bit draws: the smallest all-ones mask covering the range.
            let m32 = UInt32(mask), r32 = UInt32(range)
            while true {
                let v = nextUInt32() & m32
                if v <= r32 { return Int(v) }
            }
        }
        while true {
            let v = nextUInt64() & mask
            if v <= range { return Int(v) }
        }
    }

    /// A uniform double in [0, 1) with 53 random bits, as `random_sample()`.
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// Smallest value of the form 2^k - 1 that is ≥ `range`.
    private static func mask(_ range: UInt64) -> UInt64 {
        var m = range
        m |= m >> 1
        m |= m >> 2
        m |= m >> 4
        m |= m >> 8
        m |= m >> 16
        m |= m >> 32
        return m
    }

    /// Regenerates all 624 words of state (one MT19937 block).
    private mutating func twist() {
        let n = NumpyLegacyRandom.n, m = NumpyLegacyRandom.m
        state.withUnsafeMutableBufferPointer { s in
            for k in 0..<n {
                let y = (s[k] & 0x8000_0000) | (s[(k + 1) % n] & 0x7fff_ffff)
                s[k] = s[(k + m) % n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_b0df)
            }
        }
        index = 0
    }
}
