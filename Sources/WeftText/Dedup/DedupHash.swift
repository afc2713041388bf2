/// The hash functions deduplication is built on: a 128-bit hash of a whole normalised
/// text (exact duplicates), a 32-bit hash of one shingle (MinHash input) and a
/// SplitMix64 stream that turns a seed into permutation parameters.
///
/// None of them is cryptographic: they are fast and well mixed for ordinary data, which
/// is what deduplication needs (an adversary can build collisions). All are defined on
/// bytes and fixed constants only, so values are the same on every machine and thread.

/// A 128-bit digest of a byte string, used as the exact-duplicate key.
public struct Hash128: Hashable, Sendable {
    public var low: UInt64
    public var high: UInt64

    /// A digest from its two halves.
    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// Hashes `bytes` with two independent 64-bit lanes.
    ///
    /// Each lane folds the input 8 bytes at a time (little-endian words; the last word
    /// zero-padded) with a "multiply-fold" step `h = fold((h ^ w ^ c) × k)`, where
    /// `fold(p) = high64(p) ^ low64(p)` of the full 128-bit product (the wyhash/mum
    /// mixing primitive). The lanes use different constants (`c`, `k`) and the second
    /// lane sees each word rotated by 32 bits, so a collision needs both 64-bit lanes to
    /// collide at once. The byte length is folded in last and each lane ends with the
    /// SplitMix64 finaliser, so strings that differ only in trailing zero bytes differ.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        var h1: UInt64 = 0x243F_6A88_85A3_08D3  // π digits: nothing-up-my-sleeve seeds
        var h2: UInt64 = 0x1319_8A2E_0370_7344
        let n = bytes.count
        var i = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                h1 = DedupMix.fold(h1 ^ w ^ 0xA409_3822_299F_31D0, 0x9E37_79B9_7F4A_7C15)
                h2 = DedupMix.fold(h2 ^ ((w << 32) | (w >> 32)) ^ 0x082E_FA98_EC4E_6C89, 0xD6E8_FEB8_6659_FD93)
                i += 8
            }
            if i < n {
                var w: UInt64 = 0
                for k in 0..<(n - i) { w |= UInt64(base[i + k]) << (8 * UInt64(k)) }
                h1 = DedupMix.fold(h1 ^ w ^ 0xA409_3822_299F_31D0, 0x9E37_79B9_7F4A_7C15)
                h2 = DedupMix.fold(h2 ^ ((w << 32) | (w >> 32)) ^ 0x082E_FA98_EC4E_6C89, 0xD6E8_FEB8_6659_FD93)
            }
        }
        low = DedupMix.finalize(h1 ^ UInt64(n))
        high = DedupMix.finalize(h2 ^ (UInt64(n) &* 0xC2B2_AE3D_27D4_EB4F))
    }

    /// Hashes the UTF-8 bytes of `bytes`.
    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBufferPointer { Hash128($0) }
    }
}

/// Mixing primitives shared by the dedup hashes.
enum DedupMix {
    /// High ⊕ low half of the 128-bit product (the "mum" step of wyhash).
    @inline(__always) static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return p.high ^ p.low
    }

    /// SplitMix64's output function (Steele, Lea & Flood 2014): a bijection of 64-bit
    /// values with full avalanche.
    @inline(__always) static func finalize(_ x: UInt64) -> UInt64 { SplitMix64.mix(x) }

    /// A 64-bit hash of a byte span, keyed by `key` (derived from the seed).
    ///
    /// Spans of up to 8 bytes (a 5-character ASCII shingle) take one unaligned load: the
    /// caller guarantees 8 readable bytes after the span (the normaliser pads its
    /// buffer). Longer spans fold 8-byte words like `Hash128`'s first lane.
    @inline(__always) static func hash64(_ base: UnsafePointer<UInt8>, _ start: Int, _ count: Int, key: UInt64) -> UInt64 {
        let raw = UnsafeRawPointer(base)
        var h: UInt64
        if count <= 8 {
            var w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            if count < 8 { w &= (1 << (8 * UInt64(count))) &- 1 }
            h = fold(w ^ key, 0x9E37_79B9_7F4A_7C15 ^ UInt64(count))
        } else {
            h = key
            var i = start
            let end = start + count
            while i + 8 <= end {
                h = fold(h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)), 0x9E37_79B9_7F4A_7C15)
                i += 8
            }
            if i < end {
                var w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                w &= (1 << (8 * UInt64(end - i))) &- 1
                h = fold(h ^ w, 0x9E37_79B9_7F4A_7C15)
            }
            h = fold(h ^ UInt64(count), 0xD6E8_FEB8_6659_FD93)
        }
        return h
    }

    /// `hash64` folded to 32 bits (halves xor-ed, so every input bit reaches the 32 bits
    /// MinHash permutes).
    @inline(__always) static func hash32(_ base: UnsafePointer<UInt8>, _ start: Int, _ count: Int, key: UInt64) -> UInt32 {
        let h = hash64(base, start, count, key: key)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// Combines the hashes of `k` consecutive words into one word-shingle hash, so the
    /// separators between words do not matter.
    @inline(__always) static func combine(_ words: UnsafeBufferPointer<UInt64>, key: UInt64) -> UInt32 {
        var h = key
        for w in words { h = fold(h ^ w, 0x9E37_79B9_7F4A_7C15) }
        h = finalize(h)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }
}
