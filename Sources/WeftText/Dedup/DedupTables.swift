/// The sets deduplication keeps for every kept row, as flat open-addressing tables:
/// nothing but the keys and a 4-byte kept-row ordinal per entry, so memory per kept row
/// is `(16 + 4) + bands × (8 + 4)` bytes over the load factor (≤ ¾, grown by doubling).
///
/// Keys are already uniform hashes, so their low bits index the table directly
/// (linear probing); rows never leave the sets, so there is no deletion.

/// 64-bit LSH band key → kept-row ordinal.
struct BandTable {
    var keys: [UInt64]
    var values: [UInt32]
    var count = 0
    var mask: Int

    init(capacity: Int = 1 << 12) {
        keys = [UInt64](repeating: 0, count: capacity)
        values = [UInt32](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Key 0 marks an empty slot, so a (1-in-2⁶⁴) zero key is stored as 1.
    @inline(__always) static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    func find(_ key: UInt64) -> UInt32? {
        let k = BandTable.stored(key)
        var i = Int(truncatingIfNeeded: k) & mask
        while true {
            let s = keys[i]
            if s == k { return values[i] }
            if s == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Inserts `key` unless present (the first kept row owning a bucket stays its owner).
    mutating func insert(_ key: UInt64, _ value: UInt32) {
        if (count + 1) * 4 > keys.count * 3 { grow() }
        let k = BandTable.stored(key)
        var i = Int(truncatingIfNeeded: k) & mask
        while keys[i] != 0 {
            if keys[i] == k { return }
            i = (i + 1) & mask
        }
        keys[i] = k
        values[i] = value
        count += 1
    }

    /// Empties the table, keeping its capacity (a per-batch scratch table).
    mutating func removeAll() {
        if count == 0 { return }
        for i in keys.indices { keys[i] = 0 }
        count = 0
    }

    mutating func grow() {
        var bigger = BandTable(capacity: keys.count * 2)
        for i in keys.indices where keys[i] != 0 { bigger.insert(keys[i], values[i]) }
        self = bigger
    }

    var memoryBytes: Int { keys.count * 12 }
}

/// 128-bit exact-text hash → kept-row ordinal.
struct ExactTable {
    var lows: [UInt64]
    var highs: [UInt64]
    var values: [UInt32]
    var used: [Bool]
    var count = 0
    var mask: Int

    init(capacity: Int = 1 << 12) {
        lows = [UInt64](repeating: 0, count: capacity)
        highs = lows
        values = [UInt32](repeating: 0, count: capacity)
        used = [Bool](repeating: false, count: capacity)
        mask = capacity - 1
    }

    func find(_ h: Hash128) -> UInt32? {
        var i = Int(truncatingIfNeeded: h.low) & mask
        while used[i] {
            if lows[i] == h.low && highs[i] == h.high { return values[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Inserts `h` unless present.
    mutating func insert(_ h: Hash128, _ value: UInt32) {
        if (count + 1) * 4 > lows.count * 3 { grow() }
        var i = Int(truncatingIfNeeded: h.low) & mask
        while used[i] {
            if lows[i] == h.low && highs[i] == h.high { return }
            i = (i + 1) & mask
        }
        lows[i] = h.low
        highs[i] = h.high
        values[i] = value
        used[i] = true
        count += 1
    }

    /// Empties the table, keeping its capacity (a per-batch scratch table).
    mutating func removeAll() {
        if count == 0 { return }
        for i in used.indices { used[i] = false }
        count = 0
    }

    mutating func grow() {
        var bigger = ExactTable(capacity: lows.count * 2)
        for i in lows.indices where used[i] { bigger.insert(Hash128(low: lows[i], high: highs[i]), values[i]) }
        self = bigger
    }

    var memoryBytes: Int { lows.count * 21 }
}
