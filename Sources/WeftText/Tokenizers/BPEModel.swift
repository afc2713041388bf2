/// The `BPE` model of a tokenizer.json.
///
/// reference: Hugging Face tokenizers 0.23.3 `models/bpe/model.rs` (`merge_word`) and
/// `word.rs` (`merge_all`):
/// - a word starts as one symbol per character (with `continuing_subword_prefix` on all
///   but the first and `end_of_word_suffix` on the last); a character missing from the
///   vocabulary becomes its `<0xNN>` byte tokens when `byte_fallback` is on and all of
///   them exist, else `unk_token` (consecutive unknowns fused into one with `fuse_unk`),
///   else it is dropped;
/// - merges apply lowest rank first, ties broken by leftmost position, through a priority
///   queue whose entries go stale as neighbours merge (an entry is skipped when its left
///   symbol is gone, is last, or the pair now there does not merge into the same id);
/// - with `ignore_merges`, a word that is itself in the vocabulary is one token.
/// Dropout other than null/0 is rejected at load (it is random).
final class BPEModel: Sendable {
    let vocab: TokenTable
    /// id → token text (the reference's `vocab_r`).
    let tokenByID: [UInt32: String]
    let merges: MergeTable
    let unkToken: String?
    let unkID: UInt32?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let prefix: [UInt8]?
    let suffix: [UInt8]?
    /// `<0xNN>` ids, or nil where absent.
    let byteTokenIDs: [UInt32?]
    /// For raw-byte pieces (byte-level mapping deferred): the id of each byte's symbol.
    let byteSymbolIDs: [UInt32?]
    /// Ids of one-byte ASCII characters (direct pieces).
    let asciiIDs: [UInt32?]

    init(vocab: [([UInt8], UInt32)], merges: [([UInt8], [UInt8])], unkToken: String?, fuseUnk: Bool,
         byteFallback: Bool, ignoreMerges: Bool, prefix: String?, suffix: String?) throws(ModelError) {
        let table = TokenTable(vocab)
        self.vocab = table
        var byID: [UInt32: String] = [:]
        for (k, v) in vocab { byID[v] = String(decoding: k, as: UTF8.self) }
        tokenByID = byID
        let prefixLen = prefix?.utf8.count ?? 0
        var entries: [(UInt32, UInt32, UInt32, UInt32)] = []
        entries.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = table.lookup(a) else { throw .mergeTokenNotInVocabulary(String(decoding: a, as: UTF8.self)) }
            guard let ib = table.lookup(b) else { throw .mergeTokenNotInVocabulary(String(decoding: b, as: UTF8.self)) }
            let merged = a + b.dropFirst(min(prefixLen, b.count))
            guard let im = table.lookup(Array(merged)) else {
                throw .mergeTokenNotInVocabulary(String(decoding: merged, as: UTF8.self))
            }
            entries.append((ia, ib, UInt32(rank), im))
        }
        self.merges = MergeTable(entries)
        self.unkToken = unkToken
        self.unkID = unkToken.flatMap { table.lookup(Array($0.utf8)) }
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.prefix = prefix.map { Array($0.utf8) }
        self.suffix = suffix.map { Array($0.utf8) }
        let hex = Array("0123456789ABCDEF".utf8)
        byteTokenIDs = (0..<256).map { b in
            table.lookup([UInt8(ascii: "<"), UInt8(ascii: "0"), UInt8(ascii: "x"), hex[b >> 4], hex[b & 15], UInt8(ascii: ">")])
        }
        byteSymbolIDs = (0..<256).map { table.lookup(ByteLevel.byteToUTF8[$0]) }
        asciiIDs = (0..<128).map { table.lookup([UInt8($0)]) }
    }

    /// Errors building the model from a file.
    enum ModelError: Error {
        case mergeTokenNotInVocabulary(String)
    }

    /// Tokenizes one word (non-empty), appending ids to `out`. `raw`: the word is raw
    /// bytes whose byte-level symbols are the characters.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, raw: Bool, scratch w: BPEWorkspace, out: inout [UInt32]) {
        if ignoreMerges {
            let id: UInt32?
            if raw {
                w.key.removeAll(keepingCapacity: true)
                for b in word { w.key.append(contentsOf: ByteLevel.byteToUTF8[Int(b)]) }
                id = w.key.withUnsafeBufferPointer { vocab.lookup($0) }
            } else {
                id = vocab.lookup(word)
            }
            if let id { out.append(id); return }
        }
        w.reserve(word.count)
        buildSymbols(word, raw: raw, w)
        mergeAll(w)
        var k: Int32 = w.count > 0 ? 0 : -1
        while k >= 0 {
            out.append(w.ids[Int(k)])
            k = w.next[Int(k)]
        }
    }

    /// The initial symbols of `merge_word`.
    private func buildSymbols(_ word: UnsafeBufferPointer<UInt8>, raw: Bool, _ w: BPEWorkspace) {
        w.count = 0
        var pendingUnk: (id: UInt32, len: Int32)?
        var i = 0
        let n = word.count
        let plain = prefix == nil && suffix == nil
        while i < n {
            let charLen = raw ? 1 : min(UTF8Scalar.length(word[i]), n - i)
            let isFirst = i == 0
            let isLast = i + charLen >= n
            var id: UInt32?
            if plain {
                if raw {
                    id = byteSymbolIDs[Int(word[i])]
                } else if charLen == 1, word[i] < 0x80 {
                    id = asciiIDs[Int(word[i])]
                } else {
                    id = vocab.lookup(word.baseAddress! + i, charLen)
                }
            }
            if !plain || (id == nil && byteFallback) {
                // The character's text with prefix/suffix, as the reference builds `s`.
                w.key.removeAll(keepingCapacity: true)
                if !isFirst, let p = prefix { w.key.append(contentsOf: p) }
                if raw {
                    w.key.append(contentsOf: ByteLevel.byteToUTF8[Int(word[i])])
                } else {
                    w.key.append(contentsOf: UnsafeBufferPointer(rebasing: word[i..<(i + charLen)]))
                }
                if isLast, let x = suffix { w.key.append(contentsOf: x) }
                if !plain { id = w.key.withUnsafeBufferPointer { vocab.lookup($0) } }
            }
            if let id {
                if let u = pendingUnk { w.add(u.id, u.len); pendingUnk = nil }
                w.add(id, Int32(charLen))
            } else {
                var handled = false
                if byteFallback {
                    var all = true
                    for b in w.key where byteTokenIDs[Int(b)] == nil { all = false; break }
                    if all {
                        w.reserve(w.count + w.key.count + n)
                        for b in w.key { w.add(byteTokenIDs[Int(b)]!, 1) }
                        handled = true
                    }
                }
                if !handled, let unk = unkID {
                    if let u = pendingUnk {
                        if fuseUnk {
                            pendingUnk = (u.id, u.len + Int32(charLen))
                        } else {
                            w.add(u.id, u.len)
                            pendingUnk = (unk, Int32(charLen))
                        }
                    } else {
                        pendingUnk = (unk, Int32(charLen))
                    }
                }
            }
            i += charLen
        }
        if let u = pendingUnk { w.add(u.id, u.len) }
    }

    /// `Word::merge_all` without dropout.
    private func mergeAll(_ w: BPEWorkspace) {
        let count = w.count
        guard count > 1 else { return }
        let ids = w.ids, len = w.len, prev = w.prev, next = w.next
        w.heapCount = 0
        for k in 0..<(count - 1) {
            if let m = merges.lookup(ids[k], ids[k + 1]) { w.push(rank: m.rank, pos: Int32(k), newID: m.id) }
        }
        while let top = w.pop() {
            let pos = Int(top.pos)
            if len[pos] == 0 { continue }
            let nextPos = next[pos]
            if nextPos < 0 { continue }
            // Stale entry: the pair now at `pos` does not merge into the same id.
            guard let m = merges.lookup(ids[pos], ids[Int(nextPos)]), m.id == top.newID else { continue }
            ids[pos] = top.newID
            len[pos] += len[Int(nextPos)]
            let after = next[Int(nextPos)]
            next[pos] = after
            len[Int(nextPos)] = 0
            if after >= 0 { prev[Int(after)] = Int32(pos) }
            let before = prev[pos]
            if before >= 0, let m2 = merges.lookup(ids[Int(before)], ids[pos]) {
                w.push(rank: m2.rank, pos: before, newID: m2.id)
            }
            if after >= 0, let m3 = merges.lookup(ids[pos], ids[Int(after)]) {
                w.push(rank: m3.rank, pos: Int32(pos), newID: m3.id)
            }
        }
    }
}

/// Per-thread working memory of BPE merging: symbols as a doubly linked list over flat
/// buffers, and the merge priority queue (a min-heap on rank, then position).
///
/// Owned by one thread at a time, so its properties skip dynamic exclusivity checks
/// (they cost more than the merging itself).
final class BPEWorkspace {
    @exclusivity(unchecked) private(set) var capacity = 0
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) var ids = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    @exclusivity(unchecked) var len = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    @exclusivity(unchecked) var prev = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    @exclusivity(unchecked) var next = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    /// Heap entries: key = rank << 32 | position, and the id the pair merges into.
    @exclusivity(unchecked) var heapKeys = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    @exclusivity(unchecked) var heapIDs = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    @exclusivity(unchecked) var heapCount = 0
    /// Scratch bytes (a character's text with prefix/suffix, a mapped word).
    @exclusivity(unchecked) var key: [UInt8] = []

    deinit {
        ids.deallocate(); len.deallocate(); prev.deallocate(); next.deallocate()
        heapKeys.deallocate(); heapIDs.deallocate()
    }

    /// Makes room for `n` symbols (and the at most 3n queue entries they can produce).
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        let c = max(n, capacity * 2, 64)
        func grow<T>(_ p: inout UnsafeMutablePointer<T>, _ keep: Int, _ newCount: Int) {
            let q = UnsafeMutablePointer<T>.allocate(capacity: newCount)
            q.moveInitialize(from: p, count: keep)
            p.deallocate()
            p = q
        }
        grow(&ids, count, c); grow(&len, count, c); grow(&prev, count, c); grow(&next, count, c)
        grow(&heapKeys, 0, 3 * c + 4); grow(&heapIDs, 0, 3 * c + 4)
        capacity = c
    }

    @inline(__always)
    func add(_ id: UInt32, _ byteLen: Int32) {
        if count >= capacity { reserve(count + 1) }
        if count > 0 { next[count - 1] = Int32(count) }
        ids[count] = id
        len[count] = byteLen
        prev[count] = Int32(count - 1)
        next[count] = -1
        count += 1
    }

    // A 4-ary min-heap: shallower than a binary one, and the four children of a node
    // share a cache line.

    @inline(__always)
    func push(rank: UInt32, pos: Int32, newID: UInt32) {
        let key = UInt64(rank) << 32 | UInt64(UInt32(pos))
        var k = heapCount
        heapCount += 1
        while k > 0 {
            let parent = (k - 1) >> 2
            if heapKeys[parent] <= key { break }
            heapKeys[k] = heapKeys[parent]
            heapIDs[k] = heapIDs[parent]
            k = parent
        }
        heapKeys[k] = key
        heapIDs[k] = newID
    }

    @inline(__always)
    func pop() -> (pos: Int32, newID: UInt32)? {
        guard heapCount > 0 else { return nil }
        let result = (pos: Int32(truncatingIfNeeded: heapKeys[0] & 0xFFFF_FFFF), newID: heapIDs[0])
        heapCount -= 1
        let n = heapCount
        if n > 0 {
            let lastKey = heapKeys[n], lastID = heapIDs[n]
            var k = 0
            while true {
                let first = 4 * k + 1
                if first >= n { break }
                var c = first
                var best = heapKeys[first]
                let end = min(first + 4, n)
                var j = first + 1
                while j < end {
                    let x = heapKeys[j]
                    if x < best { best = x; c = j }
                    j += 1
                }
                if best >= lastKey { break }
                heapKeys[k] = best
                heapIDs[k] = heapIDs[c]
                k = c
            }
            heapKeys[k] = lastKey
            heapIDs[k] = lastID
        }
        return result
    }
}
