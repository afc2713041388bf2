/// MinHash signatures (Broder 1997) over 32-bit shingle hashes, and the LSH band keys
/// made from them.
///
/// Permutation `j` maps a shingle hash `x` to `(aⱼ·x + bⱼ) mod 2³²` with `aⱼ` odd: a
/// bijection of 32-bit values (a true permutation of the hash space), cheap enough to run
/// 8 lanes at a time in `SIMD8` wrapping arithmetic on baseline x86-64. The shingle
/// hash itself is a keyed 64→32-bit mix, so the permutations act on well-spread inputs;
/// `signature[j] = min over shingles of permutation j`, and for two texts
/// `P(signature[j] equal) ≈ Jaccard(shingle sets)`.
///
/// The parameters come from the seed through SplitMix64: first the shingle-hash key,
/// then `(aⱼ, bⱼ)` for j = 0, 1, … (high 32 bits of two draws, `aⱼ` forced odd), so
/// signatures depend only on the seed — not on the machine or thread count — and the
/// first k lanes are the same for any permutation count ≥ k.
public struct MinHasher: Sendable {
    /// Number of permutations (signature length).
    public let numPerm: Int
    /// The keyed shingle hash's key.
    let shingleKey: UInt64
    /// Key of the band hashes.
    let bandKey: UInt64
    /// Multipliers and offsets, 8 lanes per block; `offsets` carry +2³¹ (see `init`).
    let multipliers: [SIMD8<Int32>]
    let offsets: [SIMD8<Int32>]

    /// Permutations for `numPerm` lanes drawn from `seed`.
    public init(numPerm: Int, seed: UInt64) {
        precondition(numPerm > 0, "numPerm must be positive")  // validated by Deduplicator.Options
        self.numPerm = numPerm
        var rng = SplitMix64(seed: seed)
        shingleKey = rng.next()
        bandKey = rng.next()
        let blocks = (numPerm + 7) / 8
        var a = [SIMD8<Int32>](repeating: .init(repeating: 1), count: blocks)
        var b = [SIMD8<Int32>](repeating: .init(repeating: Int32.min), count: blocks)
        for j in 0..<numPerm {
            let aj = UInt32(truncatingIfNeeded: rng.next() >> 32) | 1
            let bj = UInt32(truncatingIfNeeded: rng.next() >> 32)
            a[j / 8][j % 8] = Int32(bitPattern: aj)
            // Adding 2³¹ mod 2³² flips only the top bit of a·x + b, which turns unsigned
            // order into signed order: SSE2 has a signed 32-bit compare but no unsigned
            // min, so the lanes are compared as Int32 and flipped back at the end.
            b[j / 8][j % 8] = Int32(bitPattern: bj ^ 0x8000_0000)
        }
        multipliers = a
        offsets = b
    }

    /// Writes the signature of `hashes` (at least one) to `out` (`numPerm` values,
    /// rounded up to a multiple of 8 — the caller's buffer must have that room).
    ///
    /// Blocks of 8 lanes keep the multipliers, offsets and minima of a block in SSE
    /// registers while the shingles stream past (16 lanes spill on baseline x86-64's 16
    /// registers, because its 32-bit multiply needs shuffle temporaries).
    func signature(_ hashes: UnsafeBufferPointer<UInt32>, into out: UnsafeMutablePointer<UInt32>) {
        let flip = SIMD8<UInt32>(repeating: 0x8000_0000)
        multipliers.withUnsafeBufferPointer { mults in
            offsets.withUnsafeBufferPointer { offs in
                for block in 0..<mults.count {
                    let a = mults[block], b = offs[block]
                    var m = SIMD8<Int32>(repeating: .max)
                    for x in hashes {
                        let v = a &* SIMD8<Int32>(repeating: Int32(bitPattern: x)) &+ b
                        m = m.replacing(with: v, where: v .< m)
                    }
                    UnsafeMutableRawPointer(out + block * 8).storeBytes(of: SIMD8<UInt32>(truncatingIfNeeded: m) ^ flip, as: SIMD8<UInt32>.self)
                }
            }
        }
    }

    /// Signature slots needed by `signature(_:into:)`.
    var paddedCount: Int { multipliers.count * 8 }

    /// The signature of `text` (shingled and normalised as `options` say).
    public func signature(of text: String, options: Deduplicator.Options = .init()) -> [UInt32] {
        var t = DedupText()
        t.load(text, normalize: options.normalize)
        t.shingle(size: options.shingleSize, unit: options.shingleUnit, key: shingleKey)
        var sig = [UInt32](repeating: 0, count: paddedCount)
        t.hashes.withUnsafeBufferPointer { h in sig.withUnsafeMutableBufferPointer { signature(h, into: $0.baseAddress!) } }
        return Array(sig.prefix(numPerm))
    }

    /// The MinHash estimate of the Jaccard similarity: the fraction of equal lanes.
    public static func estimatedJaccard(_ a: [UInt32], _ b: [UInt32]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "signatures of different lengths")
        return Double(zip(a, b).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }) / Double(a.count)
    }

    /// The 64-bit key of each band: band `i` hashes lanes `i·rows ..< (i+1)·rows` with
    /// its index mixed in, so equal values in different bands give different keys and
    /// one table can hold every band.
    func bandKeys(_ sig: UnsafePointer<UInt32>, bands: Int, rows: Int, into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        for band in 0..<bands {
            var h = DedupMix.finalize(bandKey &+ UInt64(band))
            var j = band * rows
            let end = j + rows
            while j + 2 <= end {
                h = DedupMix.fold(h ^ (UInt64(sig[j]) | UInt64(sig[j + 1]) << 32), 0x9E37_79B9_7F4A_7C15)
                j += 2
            }
            if j < end { h = DedupMix.fold(h ^ UInt64(sig[j]), 0xD6E8_FEB8_6659_FD93) }
            out.append(DedupMix.finalize(h))
        }
    }
}
