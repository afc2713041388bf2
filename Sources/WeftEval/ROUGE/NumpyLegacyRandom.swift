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
        if range < 0xFFFF_FFFF { return Int(bounded32(UInt32(range), mask: UInt32(mask))) }
        while true {
            let v = nextUInt64() & mask
            if v <= range { return Int(v) }
        }
    }

    /// Masked rejection on 32-bit draws, `range` < 2^32 - 1 and `mask` = `mask(range)`:
    /// draws until the masked word is ≤ range (numpy's `buffered_bounded_masked_uint32`).
    @inline(__always)
    mutating func bounded32(_ range: UInt32, mask: UInt32) -> UInt32 {
        while true {
            let v = nextUInt32() & mask
            if v <= range { return v }
        }
    }

    /// Fills `out` with draws of `bounded32(range, mask:)`, one after another (the same
    /// stream as calling it `out.count` times), without per-draw bounds checks.
    mutating func fillBounded32(_ out: UnsafeMutableBufferPointer<UInt32>, _ range: UInt32, mask: UInt32) {
        var filled = 0
        let count = out.count
        while filled < count {
            if index >= NumpyLegacyRandom.n { twist() }
            var i = index
            state.withUnsafeBufferPointer { s in
                let words = NumpyLegacyRandom.n
                while filled < count, i < words {
                    var y = s[i]
                    i += 1
                    y ^= y >> 11
                    y ^= (y << 7) & 0x9d2c_5680
                    y ^= (y << 15) & 0xefc6_0000
                    y ^= y >> 18
                    // Branch-free rejection: the slot is overwritten until a value ≤ range lands
                    // (about 40 % of masked draws are rejected, a branch would mispredict).
                    let v = y & mask
                    out[filled] = v
                    filled += v <= range ? 1 : 0
                }
            }
            index = i
        }
    }

    /// A uniform double in [0, 1) with 53 random bits, as `random_sample()`.
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// Smallest value of the form 2^k - 1 that is ≥ `range`.
    static func mask(_ range: UInt64) -> UInt64 {
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
            // The usual three-part loop: k + m and k + 1 wrap around the 624 words.
            for k in 0..<n - m {
                let y = (s[k] & 0x8000_0000) | (s[k + 1] & 0x7fff_ffff)
                s[k] = s[k + m] ^ (y >> 1) ^ ((0 &- (y & 1)) & 0x9908_b0df)
            }
            for k in n - m..<n - 1 {
                let y = (s[k] & 0x8000_0000) | (s[k + 1] & 0x7fff_ffff)
                s[k] = s[k + m - n] ^ (y >> 1) ^ ((0 &- (y & 1)) & 0x9908_b0df)
            }
            let y = (s[n - 1] & 0x8000_0000) | (s[0] & 0x7fff_ffff)
            s[n - 1] = s[m - 1] ^ (y >> 1) ^ ((0 &- (y & 1)) & 0x9908_b0df)
        }
        index = 0
    }
}
