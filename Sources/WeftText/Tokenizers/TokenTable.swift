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

/// A map from a pair of token ids to (merge rank, merged id), open addressing with key
/// and value side by side (one cache line per probe).
struct MergeTable: Sendable {
    /// [key, value] pairs; key UInt64.max: empty. key = a << 32 | b, value = rank << 32 | id.
    private let slots: [UInt64]
    private let mask: Int
    let count: Int

    /// Builds the table; a pair given twice keeps its last (rank, id), as the reference's
    /// `HashMap` collect does.
    init(_ entries: [(UInt32, UInt32, UInt32, UInt32)]) {
        var cap = 16
        while cap < entries.count * 2 { cap <<= 1 }
        var slots = [UInt64](repeating: .max, count: 2 * cap)
        let mask = cap - 1
        var count = 0
        for (a, b, rank, id) in entries {
            let k = UInt64(a) << 32 | UInt64(b)
            var s = Self.slot(k) & mask
            while slots[2 * s] != .max && slots[2 * s] != k { s = (s + 1) & mask }
            if slots[2 * s] == .max { count += 1 }
            slots[2 * s] = k
            slots[2 * s + 1] = UInt64(rank) << 32 | UInt64(id)
        }
        self.slots = slots
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
        return slots.withUnsafeBufferPointer { sl in
            var s = Self.slot(k) & mask
            while true {
                let x = sl[2 * s]
                if x == k {
                    let v = sl[2 * s + 1]
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
/// Purely a speed-up (results never depend on it): cleared when it grows past its
/// budget. Entries (32 bytes, two per cache line) sit in the open-addressing table
/// itself: keys up to 16 bytes and up to two ids are stored inline, so a hit on a common
/// word touches one cache line; longer keys and id lists go to side arrays.
struct WordCache {
    private struct Entry {
        /// Upper 32 bits of the hash.
        var tag: UInt32 = 0
        /// Key length + 1 (0: empty slot), up to 2^16.
        var keyLenPlusOne: UInt16 = 0
        var valueCount: UInt16 = 0
        /// First 8 key bytes (zero-padded).
        var k0: UInt64 = 0
        /// Key bytes 8..<16 (zero-padded), or the key's offset in `keys` when longer than 16.
        var k1: UInt64 = 0
        /// Two inline ids, or v0 = offset in `values` when more than two.
        var v0: UInt32 = 0
        var v1: UInt32 = 0
    }

    private var table: [Entry] = []
    private var keys: [UInt8] = []
    private var values: [UInt32] = []
    private var mask = 0
    private var count = 0
    private let maxEntries: Int

    init(maxEntries: Int = 1 << 17) {
        self.maxEntries = maxEntries
        reset(capacity: 1 << 14)
    }

    private mutating func reset(capacity: Int) {
        table = [Entry](repeating: Entry(), count: capacity)
        mask = capacity - 1
        count = 0
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// The first 16 bytes of a key as two words (zero-padded).
    @inline(__always)
    private static func words(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
        let r = UnsafeRawPointer(p)
        if n >= 16 {
            return (r.loadUnaligned(as: UInt64.self), r.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        if n >= 8 {
            var w1: UInt64 = 0
            for i in 8..<n { w1 |= UInt64(p[i]) << UInt64((i - 8) * 8) }
            return (r.loadUnaligned(as: UInt64.self), w1)
        }
        var w0: UInt64 = 0
        for i in 0..<n { w0 |= UInt64(p[i]) << UInt64(i * 8) }
        return (w0, 0)
    }

    /// Appends the cached ids of `word` (non-empty) to `out`; false when not cached.
    @inline(__always)
    func lookup(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, into out: inout [UInt32]) -> Bool {
        let n = word.count
        let p = word.baseAddress!
        let (w0, w1) = Self.words(p, n)
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        return table.withUnsafeBufferPointer { t in
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let e = t[s]
                if e.keyLenPlusOne == 0 { return false }
                if e.tag == tag, Int(e.keyLenPlusOne) == n + 1, e.k0 == w0 {
                    let same = n <= 16
                        ? e.k1 == w1
                        : keys.withUnsafeBufferPointer { tokenBytesEqual($0.baseAddress! + Int(e.k1), p, n) }
                    if same {
                        switch e.valueCount {
                        case 1: out.append(e.v0)
                        case 2: out.append(e.v0); out.append(e.v1)
                        default:
                            values.withUnsafeBufferPointer {
                                out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[Int(e.v0)..<(Int(e.v0) + Int(e.valueCount))]))
                            }
                        }
                        return true
                    }
                }
                s = (s + 1) & mask
            }
        }
    }

    /// Stores the ids of `word` (non-empty; words of 64 KB or more are not cached).
    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, ids: ArraySlice<UInt32>) {
        let n = word.count
        guard n < 0xFFFF, ids.count < 0xFFFF, !ids.isEmpty else { return }
        if count >= maxEntries { reset(capacity: table.count) }
        if (count + 1) * 10 > table.count * 7 { grow() }
        var (w0, w1) = Self.words(word.baseAddress!, n)
        if n > 16 {
            w1 = UInt64(keys.count)
            keys.append(contentsOf: word)
        }
        var e = Entry(tag: UInt32(truncatingIfNeeded: h >> 32), keyLenPlusOne: UInt16(n + 1),
                      valueCount: UInt16(ids.count), k0: w0, k1: w1)
        if ids.count <= 2 {
            e.v0 = ids[ids.startIndex]
            e.v1 = ids.count == 2 ? ids[ids.startIndex + 1] : 0
        } else {
            e.v0 = UInt32(values.count)
            values.append(contentsOf: ids)
        }
        var s = Int(truncatingIfNeeded: h) & mask
        while table[s].keyLenPlusOne != 0 { s = (s + 1) & mask }
        table[s] = e
        count += 1
    }

    private mutating func grow() {
        let old = table
        table = [Entry](repeating: Entry(), count: old.count * 2)
        mask = table.count - 1
        // Re-derive each slot from the stored key (the low hash bits are not kept).
        for e in old where e.keyLenPlusOne != 0 {
            let n = Int(e.keyLenPlusOne) - 1
            let h: UInt64
            if n > 16 {
                h = keys.withUnsafeBufferPointer { ByteHash.hash(UnsafeRawPointer($0.baseAddress! + Int(e.k1)), n) }
            } else {
                var b = (e.k0, e.k1)
                h = withUnsafeBytes(of: &b) { ByteHash.hash($0.baseAddress!, n) }
            }
            var s = Int(truncatingIfNeeded: h) & mask
            while table[s].keyLenPlusOne != 0 { s = (s + 1) & mask }
            table[s] = e
        }
    }
}
