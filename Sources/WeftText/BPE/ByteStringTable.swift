import Foundation

/// An insert-only hash set of byte strings that numbers its entries 0, 1, 2, … in
/// insertion order, with the bytes of every entry stored back to back in one arena.
///
/// The BPE word counter, the token table and `WeftEval`'s label reader use it instead of `[[UInt8]: Int]` so that
/// counting millions of words allocates nothing per word and keeps memory at about the
/// size of the distinct strings (arena + 16 bytes per entry + 4 bytes per slot).
public struct ByteStringTable: Sendable {
    /// The bytes of all entries, back to back.
    private(set) var arena: [UInt8] = []
    /// Entry → start offset in `arena`; entry `i` ends where entry `i + 1` starts.
    private(set) var starts: [Int] = [0]
    /// Entry → 32 bits of its hash, to skip most byte comparisons on probe collisions.
    private var hashes: [UInt32] = []
    /// Open-addressing slots (linear probing): entry index, or -1 when empty.
    private var slots: [Int32]
    private var mask: Int

    /// Number of entries.
    public var count: Int { hashes.count }

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        hashes.reserveCapacity(capacity)
        starts.reserveCapacity(capacity + 1)
    }

    /// Byte range of entry `i` in `arena`.
    @inline(__always) func range(_ i: Int) -> Range<Int> { starts[i]..<starts[i + 1] }

    /// A copy of entry `i`'s bytes.
    func bytes(_ i: Int) -> [UInt8] { Array(arena[range(i)]) }

    /// Index of `key`, or nil.
    public func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let h = Self.hash(key)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return nil }
            if hashes[e] == UInt32(truncatingIfNeeded: h), equals(e, key) { return e }
            s = (s + 1) & mask
        }
    }

    /// Index of `key`, inserting it if absent; `inserted` tells which.
    @inline(__always)
    public mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> (index: Int, inserted: Bool) {
        let h = Self.hash(key)
        let h32 = UInt32(truncatingIfNeeded: h)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            if hashes[e] == h32, equals(e, key) { return (e, false) }
            s = (s + 1) & mask
        }
        let index = hashes.count
        hashes.append(h32)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        slots[s] = Int32(index)
        if hashes.count * 2 > slots.count { grow() }
        return (index, true)
    }

    @inline(__always)
    private func equals(_ e: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let a = starts[e]
        let n = starts[e + 1] - a
        guard n == key.count else { return false }
        if n == 0 { return true }
        return arena.withUnsafeBufferPointer { buf in
            let p = buf.baseAddress! + a
            let q = key.baseAddress!
            if n > 16 { return memcmp(p, q, n) == 0 }
            // Words are short: compare inline rather than calling memcmp.
            for i in 0..<n where p[i] != q[i] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        var newSlots = [Int32](repeating: -1, count: size)
        let newMask = size - 1
        arena.withUnsafeBufferPointer { buf in
            for e in 0..<hashes.count {
                let r = starts[e]..<starts[e + 1]
                let h = Self.hash(UnsafeBufferPointer(rebasing: buf[r]))
                var s = Int(truncatingIfNeeded: h) & newMask
                while newSlots[s] >= 0 { s = (s + 1) & newMask }
                newSlots[s] = Int32(e)
            }
        }
        slots = newSlots
        mask = newMask
    }

    /// A fast 64-bit hash of a short byte string (8 bytes per step, final avalanche).
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = key.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(n &+ 1)
        guard let p = key.baseAddress else { return h }
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                v |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ v) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}
