/// An open-addressing map from `UInt64` keys to `Int32` values for the keys of one
/// pair (n-gram keys, n-gram ids). Clearing bumps a generation stamp instead of
/// rewriting the slots, so a table reused for thousands of pairs costs nothing to reset.
struct RougeKeyTable {
    private var keys: [UInt64] = []
    private var values: [Int32] = []
    private var stamps: [UInt32] = []
    private var generation: UInt32 = 1
    private var mask = 0
    /// Keys present since the last `reset`.
    private(set) var count = 0

    /// Empties the table and makes room for `expected` keys.
    mutating func reset(expected: Int) {
        count = 0
        var size = 16
        while size < expected * 2 { size <<= 1 }
        if size > keys.count {
            keys = [UInt64](repeating: 0, count: size)
            values = [Int32](repeating: 0, count: size)
            stamps = [UInt32](repeating: 0, count: size)
            mask = size - 1
            generation = 1
            return
        }
        generation &+= 1
        if generation == 0 {
            for i in stamps.indices { stamps[i] = 0 }
            generation = 1
        }
    }

    private static func slot(_ key: UInt64) -> Int {
        var h = key &* 0x9e37_79b9_7f4a_7c15
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }

    /// Adds one occurrence of `key`.
    mutating func increment(_ key: UInt64) {
        var s = RougeKeyTable.slot(key) & mask
        while stamps[s] == generation {
            if keys[s] == key {
                values[s] += 1
                return
            }
            s = (s + 1) & mask
        }
        stamps[s] = generation
        keys[s] = key
        values[s] = 1
        count += 1
    }

    /// Removes one occurrence of `key` if any is left; returns whether one was.
    mutating func takeOne(_ key: UInt64) -> Bool {
        var s = RougeKeyTable.slot(key) & mask
        while stamps[s] == generation {
            if keys[s] == key {
                if values[s] > 0 {
                    values[s] -= 1
                    return true
                }
                return false
            }
            s = (s + 1) & mask
        }
        return false
    }

    /// A dense id for `key` (0, 1, 2, … in first-seen order since the last reset).
    mutating func intern(_ key: UInt64) -> Int32 {
        var s = RougeKeyTable.slot(key) & mask
        while stamps[s] == generation {
            if keys[s] == key { return values[s] }
            s = (s + 1) & mask
        }
        stamps[s] = generation
        keys[s] = key
        values[s] = Int32(count)
        count += 1
        return values[s]
    }
}
