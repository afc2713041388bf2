/// Occurrence counts of adjacent symbol pairs during BPE training, keyed by the pair
/// packed as `left << 32 | right` (so comparing keys compares pairs lexicographically).
///
/// Counts are `Int32` with wrapping arithmetic because `tokenizers` 0.23.3 keeps them
/// as `i32` (`count as i32` per word): on a corpus small enough not to overflow this is
/// plain counting, and on one that does the two still agree.
struct PairTable {
    /// Pair index → packed key.
    private(set) var keys: [UInt64] = []
    /// Pair index → count.
    var counts: [Int32] = []
    /// Open-addressing slots: pair index, or -1.
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 1024
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        keys.reserveCapacity(capacity)
        counts.reserveCapacity(capacity)
    }

    /// Number of distinct pairs seen.
    var count: Int { keys.count }

    @inline(__always) static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// Index of the pair, added with count 0 when new.
    @inline(__always)
    mutating func index(_ key: UInt64) -> Int {
        var s = Self.slot(key, mask)
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            if keys[e] == key { return e }
            s = (s + 1) & mask
        }
        let e = keys.count
        keys.append(key)
        counts.append(0)
        slots[s] = Int32(e)
        if keys.count * 2 > slots.count { grow() }
        return e
    }

    /// Adds `delta` to the pair's count (creating it at 0 first), returns its index.
    @inline(__always)
    @discardableResult
    mutating func add(_ key: UInt64, _ delta: Int32) -> Int {
        let e = index(key)
        counts[e] &+= delta
        return e
    }

    private mutating func grow() {
        let size = slots.count * 2
        var fresh = [Int32](repeating: -1, count: size)
        let m = size - 1
        for (e, k) in keys.enumerated() {
            var s = Self.slot(k, m)
            while fresh[s] >= 0 { s = (s + 1) & m }
            fresh[s] = Int32(e)
        }
        slots = fresh
        mask = m
    }
}

/// The priority queue of candidate merges with lazy invalidation: an entry keeps the
/// count its pair had when pushed, and a popped entry whose count is stale is pushed
/// back with the current count instead of being merged.
///
/// Order (the tie rule of `tokenizers`' `BpeTrainer`): the higher count first; between
/// equal counts, the pair with the smaller left id first, then the smaller right id.
struct MergeQueue {
    /// One candidate: its pair, its count when pushed, and the words to merge it in.
    struct Entry {
        var count: UInt64
        var key: UInt64
        var pair: Int32
        var list: Int32
    }

    private(set) var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }

    @inline(__always) private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.count != b.count ? a.count > b.count : a.key < b.key
    }

    /// Builds the queue from unordered entries in O(n).
    init(_ entries: [Entry]) {
        heap = entries
        var i = heap.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    mutating func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(e, heap[parent]) else { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = e
    }

    mutating func pop() -> Entry? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        siftDown(0)
        return top
    }

    private mutating func siftDown(_ start: Int) {
        let n = heap.count
        let e = heap[start]
        var i = start
        while true {
            var child = 2 * i + 1
            if child >= n { break }
            if child + 1 < n, Self.before(heap[child + 1], heap[child]) { child += 1 }
            guard Self.before(heap[child], e) else { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = e
    }
}
