import Foundation

/// Dense ids for the distinct tokens and n-grams of one segment (a hypothesis and its
/// references), so the metrics count with integer-indexed arrays instead of hashing
/// strings or tuples.
///
/// Tokens (byte strings) and n-grams draw from one id counter, which makes every id
/// unique across orders; an n-gram is then the pair (id of its first n-1 items, id of
/// its last item), one 64-bit key whatever n is. Each id carries an `IdCounters` record,
/// zeroed (owners -1) when the id is created. `reset()` forgets everything in O(1):
/// slots are valid only when stamped with the current generation.
final class SacreNgramIds {
    /// Per-id scratch counters; the metric decides what the fields mean.
    struct IdCounters {
        var a: Int32 = 0
        var ownerA: Int32 = -1
        var b: Int32 = 0
        var ownerB: Int32 = -1
    }

    private struct TokenSlot {
        var hash: UInt32 = 0
        var generation: UInt32 = 0
        var length: Int32 = 0
        var id: Int32 = 0
        var start: Int = 0
    }

    private struct PairSlot {
        var key: UInt64 = 0
        var generation: UInt32 = 0
        var id: Int32 = 0
    }

    /// Counters indexed by id; `counters.count` is the number of ids handed out.
    let counters = SacreBuffer<IdCounters>(capacity: 1024)

    private var generation: UInt32 = 1
    private var tokens: UnsafeMutablePointer<TokenSlot>
    private var tokenMask: Int
    private var tokenCapacity: Int
    private var tokenUsed = 0
    private let arena = SacreBuffer<UInt8>(capacity: 1024)
    private var pairs: UnsafeMutablePointer<PairSlot>
    private var pairShift: UInt64
    private var pairMask: Int
    private var pairCapacity: Int
    private var pairUsed = 0

    init(tokenSlots: Int = 256, pairSlots: Int = 1024) {
        tokenMask = tokenSlots - 1
        tokenCapacity = tokenSlots
        tokens = .allocate(capacity: tokenSlots)
        tokens.initialize(repeating: TokenSlot(), count: tokenSlots)
        pairMask = pairSlots - 1
        pairCapacity = pairSlots
        pairShift = UInt64(64 - pairSlots.trailingZeroBitCount)
        pairs = .allocate(capacity: pairSlots)
        pairs.initialize(repeating: PairSlot(), count: pairSlots)
    }

    deinit {
        tokens.deallocate()
        pairs.deallocate()
    }

    /// Forgets every id (start of a new segment) and sizes the tables for about
    /// `tokens` distinct tokens and `pairs` distinct n-grams.
    ///
    /// The slots stay allocated at the largest size ever needed, but only the first
    /// slotsPerEntry·expected (a power of two) are used: entries spread over a table
    /// sized for the longest segment seen would miss the cache on every probe. Slots
    /// outside the used part, or stamped with an older generation, are empty.
    func reset(tokens expectedTokens: Int, pairs expectedPairs: Int) {
        counters.count = 0
        arena.count = 0
        tokenUsed = 0
        pairUsed = 0
        generation &+= 1
        if generation == 0 {  // after 2^32 resets: clear the stamps once
            for i in 0..<tokenCapacity { tokens[i].generation = 0 }
            for i in 0..<pairCapacity { pairs[i].generation = 0 }
            generation = 1
        }
        let tokenSize = SacreNgramIds.tableSize(expectedTokens, minimum: 64)
        if tokenSize > tokenCapacity { reallocateTokens(tokenSize) }
        tokenMask = tokenSize - 1
        let pairSize = SacreNgramIds.tableSize(expectedPairs, minimum: 256)
        if pairSize > pairCapacity { reallocatePairs(pairSize) }
        pairMask = pairSize - 1
        pairShift = UInt64(64 - pairSize.trailingZeroBitCount)
    }

    /// Slots per expected entry: probes stay short at this load.
    static let slotsPerEntry = 4

    /// The power of two ≥ slotsPerEntry·expected (and ≥ minimum).
    private static func tableSize(_ expected: Int, minimum: Int) -> Int {
        let want = max(slotsPerEntry * max(expected, 1), minimum)
        return 1 << (Int.bitWidth - (want - 1).leadingZeroBitCount)
    }

    private func reallocateTokens(_ size: Int) {
        tokens.deallocate()
        tokens = .allocate(capacity: size)
        tokens.initialize(repeating: TokenSlot(), count: size)
        tokenCapacity = size
    }

    private func reallocatePairs(_ size: Int) {
        pairs.deallocate()
        pairs = .allocate(capacity: size)
        pairs.initialize(repeating: PairSlot(), count: size)
        pairCapacity = size
    }

    @inline(__always)
    private func newId() -> Int32 {
        let id = Int32(truncatingIfNeeded: counters.count)
        counters.append(IdCounters())
        return id
    }

    /// The id of the byte string `p[0..<n]`; with `insert` false, -1 when it is unknown.
    @inline(__always)
    func token(_ p: UnsafePointer<UInt8>, _ n: Int, insert: Bool) -> Int32 {
        let h = SacreNgramIds.hashBytes(p, n)
        let h32 = UInt32(truncatingIfNeeded: h >> 32)
        var i = Int(truncatingIfNeeded: h) & tokenMask
        while true {
            let slot = tokens[i]
            if slot.generation != generation {
                if !insert { return -1 }
                if (tokenUsed + 1) * 2 > tokenMask + 1 {
                    growTokens()
                    return token(p, n, insert: true)
                }
                let start = arena.count
                arena.append(p, n)
                let id = newId()
                tokens[i] = TokenSlot(hash: h32, generation: generation, length: Int32(n), id: id, start: start)
                tokenUsed += 1
                return id
            }
            if slot.hash == h32 && Int(slot.length) == n && memcmp(arena.base + slot.start, p, n) == 0 {
                return slot.id
            }
            i = (i + 1) & tokenMask
        }
    }

    /// The id of the n-gram (prefix id, last item); with `insert` false, -1 when unknown.
    /// `last` is a token id, or for characters any value below 2^32 with a prefix that is
    /// never an id (see `characterPrefix`).
    @inline(__always)
    func pair(_ prefix: UInt32, _ last: UInt32, insert: Bool) -> Int32 {
        let key = UInt64(prefix) << 32 | UInt64(last)
        var i = Int(truncatingIfNeeded: SacreNgramIds.mix(key) >> pairShift)
        while true {
            let slot = pairs[i]
            if slot.generation != generation {
                if !insert { return -1 }
                if (pairUsed + 1) * 2 > pairMask + 1 {
                    growPairs()
                    return pair(prefix, last, insert: true)
                }
                let id = newId()
                pairs[i] = PairSlot(key: key, generation: generation, id: id)
                pairUsed += 1
                return id
            }
            if slot.key == key { return slot.id }
            i = (i + 1) & pairMask
        }
    }

    /// The prefix that marks a single character (code point) rather than an extension of an
    /// id; ids stay below 2^31, so it never collides with one.
    static let characterPrefix: UInt32 = 0xFFFF_FFFF

    /// Doubles the used part of the token table (reallocating only when the allocation is
    /// too small) and re-inserts the live entries.
    private func growTokens() {
        let oldSize = tokenMask + 1, size = oldSize * 2
        let live = SacreBuffer<TokenSlot>(capacity: tokenUsed)
        for k in 0..<oldSize where tokens[k].generation == generation {
            live.append(tokens[k])
            tokens[k].generation = 0
        }
        if size > tokenCapacity { reallocateTokens(max(size, 2 * tokenCapacity)) }
        tokenMask = size - 1
        for k in 0..<live.count {
            let slot = live[k]
            let h = SacreNgramIds.hashBytes(arena.base + slot.start, Int(slot.length))
            var i = Int(truncatingIfNeeded: h) & tokenMask
            while tokens[i].generation == generation { i = (i + 1) & tokenMask }
            tokens[i] = slot
        }
    }

    /// Doubles the used part of the n-gram table, as `growTokens` does.
    private func growPairs() {
        let oldSize = pairMask + 1, size = oldSize * 2
        let live = SacreBuffer<PairSlot>(capacity: pairUsed)
        for k in 0..<oldSize where pairs[k].generation == generation {
            live.append(pairs[k])
            pairs[k].generation = 0
        }
        if size > pairCapacity { reallocatePairs(max(size, 2 * pairCapacity)) }
        pairMask = size - 1
        pairShift -= 1
        for k in 0..<live.count {
            let slot = live[k]
            var i = Int(truncatingIfNeeded: SacreNgramIds.mix(slot.key) >> pairShift)
            while pairs[i].generation == generation { i = (i + 1) & pairMask }
            pairs[i] = slot
        }
    }

    /// Scrambles an n-gram key (two small ids) so that its top bits index the table evenly.
    @inline(__always)
    static func mix(_ key: UInt64) -> UInt64 {
        var h = (key ^ (key >> 29)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h &* 0x94D0_49BB_1331_11EB
    }

    /// A 64-bit hash of a short byte string (8 bytes per step, then a final mix).
    @inline(__always)
    static func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(truncatingIfNeeded: n)
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
        }
        h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}
