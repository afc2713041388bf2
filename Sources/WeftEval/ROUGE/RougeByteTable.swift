/// An interning table from short byte strings (tokens) to dense ids 0, 1, 2, …, each
/// id carrying one `Int32` payload.
///
/// Open addressing with linear probing over a power-of-two slot array; the key bytes
/// live in one arena, so interning a token allocates nothing once the arena has grown.
/// ROUGE compares tokens only inside one pair, so ids need not be stable across
/// tables: each worker keeps its own.
struct RougeByteTable {
    /// Every key's bytes, back to back.
    private var arena: [UInt8] = []
    /// Per id: where its key starts in `arena`.
    private var starts: [Int] = []
    /// Per id: its key's length in bytes.
    private var lengths: [Int] = []
    /// Per id: its key's hash (probing compares hashes before bytes).
    private var hashes: [UInt64] = []
    /// Per id: the caller's payload.
    private(set) var payloads: [Int32] = []
    /// id + 1 per slot; 0 marks an empty slot.
    private var slots: [Int32]
    private var mask: Int

    /// An empty table with room for about `capacity` keys before it first grows.
    init(capacity: Int = 4096) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    /// Number of distinct keys interned.
    var count: Int { starts.count }

    /// Bytes held by the arena (for the memory cap).
    var arenaBytes: Int { arena.count }

    /// Forgets every key, keeping the storage's capacity.
    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        payloads.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
    }

    /// FNV-1a over the bytes, finished with a 64-bit mix so the low bits used for the
    /// slot index depend on every byte.
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3
        }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    /// The id of the key, or nil when it has not been interned.
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int? {
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e == 0 { return nil }
            let id = e - 1
            if hashes[id] == h, lengths[id] == n, matches(id, p, n) { return id }
            s = (s + 1) & mask
        }
    }

    /// Adds a key that `find` did not find; returns its new id.
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, payload: Int32) -> Int {
        let id = starts.count
        starts.append(arena.count)
        lengths.append(n)
        hashes.append(h)
        payloads.append(payload)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        if (id + 1) * 2 > slots.count {
            grow()
        } else {
            place(id, h)
        }
        return id
    }

    /// The id of the key, interning it (with payload -1) when new.
    mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let h = RougeByteTable.hash(p, n)
        if let id = find(p, n, hash: h) { return id }
        return insert(p, n, hash: h, payload: -1)
    }

    /// Sets the payload of an existing id.
    mutating func setPayload(_ id: Int, _ value: Int32) {
        payloads[id] = value
    }

    /// The key of `id` as a String (for callers that need text, e.g. the stemmer).
    func key(_ id: Int) -> String {
        let start = starts[id]
        return String(decoding: arena[start..<start + lengths[id]], as: UTF8.self)
    }

    private func matches(_ id: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let start = starts[id]
        return arena.withUnsafeBufferPointer { a in
            let q = a.baseAddress! + start
            for i in 0..<n where q[i] != p[i] { return false }
            return true
        }
    }

    private mutating func place(_ id: Int, _ h: UInt64) {
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] != 0 { s = (s + 1) & mask }
        slots[s] = Int32(id + 1)
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        for id in 0..<starts.count { place(id, hashes[id]) }
    }
}
