/// Hash tables keyed by raw UTF-8 bytes, for vocabulary lookups in the encoding hot path
/// without building a `String` per lookup (and without Swift's canonical-equivalence
/// string comparison, which would merge distinct tokens such as "é" and "e\u{301}").
enum ByteHash {
    /// A 64-bit hash of `n` bytes at `p` (8 bytes per step, multiply–xorshift mixing).
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
        }
        h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}

/// An immutable map from byte strings to `UInt32` (token → id), open addressing.
struct TokenTable: Sendable {
    private struct Slot {
        var hash: UInt32
        var offset: UInt32
        var length: UInt32  // UInt32.max: empty
        var value: UInt32
    }

    private let keyBytes: [UInt8]
    private let slots: [Slot]
    private let mask: Int
    /// Number of distinct keys.
    let count: Int
    /// Length in bytes of the longest key.
    let maxKeyLength: Int

    /// Builds the table; a key given twice keeps its last value (as a Rust `HashMap` does).
    init(_ entries: [([UInt8], UInt32)]) {
        var cap = 16
        while cap < entries.count * 2 { cap <<= 1 }
        var slots = [Slot](repeating: Slot(hash: 0, offset: 0, length: .max, value: 0), count: cap)
        var keys: [UInt8] = []
        keys.reserveCapacity(entries.reduce(0) { $0 + $1.0.count })
        var count = 0, maxLen = 0
        let mask = cap - 1
        for (key, value) in entries {
            let h = key.withUnsafeBytes { ByteHash.hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, key.count) }
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                if slots[s].length == .max {
                    slots[s] = Slot(hash: UInt32(truncatingIfNeeded: h), offset: UInt32(keys.count), length: UInt32(key.count), value: value)
                    keys.append(contentsOf: key)
                    count += 1
                    maxLen = max(maxLen, key.count)
                    break
                }
                if slots[s].hash == UInt32(truncatingIfNeeded: h), Int(slots[s].length) == key.count,
                   keys[Int(slots[s].offset)..<(Int(slots[s].offset) + key.count)].elementsEqual(key) {
                    slots[s].value = value
                    break
                }
                s = (s + 1) & mask
            }
        }
        self.keyBytes = keys
        self.slots = slots
        self.mask = mask
        self.count = count
        self.maxKeyLength = maxLen
    }

    /// The value of the `n` bytes at `p`, or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
        if n > maxKeyLength { return nil }
        let h = ByteHash.hash(UnsafeRawPointer(p), n)
        let h32 = UInt32(truncatingIfNeeded: h)
        return slots.withUnsafeBufferPointer { sl in
            keyBytes.withUnsafeBufferPointer { kb -> UInt32? in
                var s = Int(truncatingIfNeeded: h) & mask
                while true {
                    let slot = sl[s]
                    if slot.length == .max { return nil }
                    if slot.hash == h32, Int(slot.length) == n,
                       tokenBytesEqual(kb.baseAddress! + Int(slot.offset), p, n) {
                        return slot.value
                    }
                    s = (s + 1) & mask
                }
            }
        }
    }

    /// The value of a byte buffer, or nil.
    @inline(__always)
    func lookup(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard let base = b.baseAddress else {
            let zero: UInt8 = 0
            return withUnsafePointer(to: zero) { lookup($0, 0) }
        }
        return lookup(base, b.count)
    }

    /// The value of a byte array, or nil.
    func lookup(_ bytes: [UInt8]) -> UInt32? {
        bytes.withUnsafeBufferPointer { lookup($0) }
    }

    /// Calls `body` with every (key, value) pair, in table order.
    func forEach(_ body: (ArraySlice<UInt8>, UInt32) -> Void) {
        for slot in slots where slot.length != .max {
            body(keyBytes[Int(slot.offset)..<(Int(slot.offset) + Int(slot.length))], slot.value)
        }
    }
}

/// Byte equality of two spans.
@inline(__always)
func tokenBytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// A map from a pair of token ids to (merge rank, merged id), open addressing.
struct MergeTable: Sendable {
    private let keys: [UInt64]  // UInt64.max: empty
    private let values: [UInt64]
    private let mask: Int
    let count: Int

    /// Builds the table; a pair given twice keeps its last (rank, id), as the reference's
    /// `HashMap` collect does.
    init(_ entries: [(UInt32, UInt32, UInt32, UInt32)]) {
        var cap = 16
        while cap < entries.count * 2 { cap <<= 1 }
        var keys = [UInt64](repeating: .max, count: cap)
        var values = [UInt64](repeating: 0, count: cap)
        let mask = cap - 1
        var count = 0
        for (a, b, rank, id) in entries {
            let k = UInt64(a) << 32 | UInt64(b)
            var s = Self.slot(k) & mask
            while keys[s] != .max && keys[s] != k { s = (s + 1) & mask }
            if keys[s] == .max { count += 1 }
            keys[s] = k
            values[s] = UInt64(rank) << 32 | UInt64(id)
        }
        self.keys = keys
        self.values = values
        self.mask = mask
        self.count = count
    }

    @inline(__always)
    private static func slot(_ k: UInt64) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }

    /// (rank, merged id) of the pair, or nil.
    @inline(__always)
    func lookup(_ a: UInt32, _ b: UInt32) -> (rank: UInt32, id: UInt32)? {
        let k = UInt64(a) << 32 | UInt64(b)
        return keys.withUnsafeBufferPointer { ks in
            var s = Self.slot(k) & mask
            while true {
                let x = ks[s]
                if x == k {
                    let v = values[s]
                    return (UInt32(truncatingIfNeeded: v >> 32), UInt32(truncatingIfNeeded: v))
                }
                if x == .max { return nil }
                s = (s + 1) & mask
            }
        }
    }
}

/// A growable cache from a word's bytes to its token ids, owned by one thread.
///
/// Purely a speed-up (results never depend on it): cleared when it grows past its budget.
struct WordCache {
    private var slots: [Int32] = []  // entry index, -1 empty
    private var hashes: [UInt64] = []
    private var keyStart: [Int32] = []
    private var valueStart: [Int32] = []
    private var keys: [UInt8] = []
    private var values: [UInt32] = []
    private var mask = 0
    private let maxEntries: Int

    init(maxEntries: Int = 1 << 18) {
        self.maxEntries = maxEntries
        reset(capacity: 4096)
    }

    private mutating func reset(capacity: Int) {
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        hashes.removeAll(keepingCapacity: true)
        keyStart = [0]
        valueStart = [0]
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// Appends the cached ids of `word` to `out`; false when not cached.
    @inline(__always)
    func lookup(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, into out: inout [UInt32]) -> Bool {
        var s = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { sl in
            while true {
                let e = Int(sl[s])
                if e < 0 { return false }
                if hashes[e] == h {
                    let ks = Int(keyStart[e]), ke = Int(keyStart[e + 1])
                    if ke - ks == word.count,
                       keys.withUnsafeBufferPointer({ tokenBytesEqual($0.baseAddress! + ks, word.baseAddress!, word.count) }) {
                        let vs = Int(valueStart[e]), ve = Int(valueStart[e + 1])
                        values.withUnsafeBufferPointer { out.append(contentsOf: $0[vs..<ve]) }
                        return true
                    }
                }
                s = (s + 1) & mask
            }
        }
    }

    /// Stores the ids of `word`.
    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, ids: ArraySlice<UInt32>) {
        if hashes.count >= maxEntries { reset(capacity: slots.count) }
        if (hashes.count + 1) * 2 > slots.count { grow() }
        let e = hashes.count
        hashes.append(h)
        keys.append(contentsOf: word)
        keyStart.append(Int32(keys.count))
        values.append(contentsOf: ids)
        valueStart.append(Int32(values.count))
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(e)
    }

    private mutating func grow() {
        let cap = slots.count * 2
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        for (e, h) in hashes.enumerated() {
            var s = Int(truncatingIfNeeded: h) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
    }
}
