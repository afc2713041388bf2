/// The sets deduplication keeps for every kept row, as flat open-addressing tables:
/// nothing but the keys and a 4-byte kept-row ordinal per entry, so memory per kept row
/// is `24 + bands × (8 + 4)` bytes over the load factor (≤ ¾, grown by doubling).
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

/// 128-bit exact-text hash → kept-row ordinal, one 24-byte slot per entry so a look-up
/// touches one cache line (the hash halves and the ordinal side by side).
struct ExactTable {
    struct Slot {
        var low: UInt64
        var high: UInt64
        /// The kept ordinal; `.max` marks an empty slot (ordinals stay below it).
        var value: UInt32
    }

    var slots: [Slot]
    var count = 0
    var mask: Int

    init(capacity: Int = 1 << 12) {
        slots = [Slot](repeating: Slot(low: 0, high: 0, value: .max), count: capacity)
        mask = capacity - 1
    }

    func find(_ h: Hash128) -> UInt32? {
        slots.withUnsafeBufferPointer { s in
            var i = Int(truncatingIfNeeded: h.low) & mask
            while s[i].value != .max {
                if s[i].low == h.low && s[i].high == h.high { return s[i].value }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Inserts `h` unless present.
    mutating func insert(_ h: Hash128, _ value: UInt32) {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        var i = Int(truncatingIfNeeded: h.low) & mask
        while slots[i].value != .max {
            if slots[i].low == h.low && slots[i].high == h.high { return }
            i = (i + 1) & mask
        }
        slots[i] = Slot(low: h.low, high: h.high, value: value)
        count += 1
    }

    /// Empties the table, keeping its capacity (a per-batch scratch table).
    mutating func removeAll() {
        if count == 0 { return }
        for i in slots.indices { slots[i].value = .max }
        count = 0
    }

    mutating func grow() {
        var bigger = ExactTable(capacity: slots.count * 2)
        for s in slots where s.value != .max { bigger.insert(Hash128(low: s.low, high: s.high), s.value) }
        self = bigger
    }

    var memoryBytes: Int { slots.count * MemoryLayout<Slot>.stride }
}
