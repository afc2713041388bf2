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
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, raw: Bool, scratch: inout BPEScratch, out: inout [UInt32]) {
        if ignoreMerges {
            let id: UInt32?
            if raw {
                scratch.mapped.removeAll(keepingCapacity: true)
                for b in word { scratch.mapped.append(contentsOf: ByteLevel.byteToUTF8[Int(b)]) }
                id = scratch.mapped.withUnsafeBufferPointer { vocab.lookup($0) }
            } else {
                id = vocab.lookup(word)
            }
            if let id { out.append(id); return }
        }
        buildSymbols(word, raw: raw, &scratch)
        mergeAll(&scratch)
        var k = scratch.count > 0 ? 0 : -1
        while k >= 0 {
            out.append(scratch.ids[k])
            k = scratch.next[k]
        }
    }

    /// The initial symbols of `merge_word`.
    private func buildSymbols(_ word: UnsafeBufferPointer<UInt8>, raw: Bool, _ s: inout BPEScratch) {
        s.reset()
        var pendingUnk: (id: UInt32, len: Int)?
        var i = 0
        let n = word.count
        let plain = prefix == nil && suffix == nil
        while i < n {
            let len = raw ? 1 : UTF8Scalar.length(word[i])
            let charLen = min(len, n - i)
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
                s.key.removeAll(keepingCapacity: true)
                if !isFirst, let p = prefix { s.key.append(contentsOf: p) }
                if raw {
                    s.key.append(contentsOf: ByteLevel.byteToUTF8[Int(word[i])])
                } else {
                    s.key.append(contentsOf: UnsafeBufferPointer(rebasing: word[i..<(i + charLen)]))
                }
                if isLast, let x = suffix { s.key.append(contentsOf: x) }
                if !plain { id = s.key.withUnsafeBufferPointer { vocab.lookup($0) } }
            }
            if let id {
                if let u = pendingUnk { s.add(u.id, u.len); pendingUnk = nil }
                s.add(id, charLen)
            } else {
                var handled = false
                if byteFallback {
                    var all = true
                    for b in s.key where byteTokenIDs[Int(b)] == nil { all = false; break }
                    if all {
                        for b in s.key { s.add(byteTokenIDs[Int(b)]!, 1) }
                        handled = true
                    }
                }
                if !handled, let unk = unkID {
                    if let u = pendingUnk {
                        if fuseUnk {
                            pendingUnk = (u.id, u.len + charLen)
                        } else {
                            s.add(u.id, u.len)
                            pendingUnk = (unk, charLen)
                        }
                    } else {
                        pendingUnk = (unk, charLen)
                    }
                }
            }
            i += charLen
        }
        if let u = pendingUnk { s.add(u.id, u.len) }
    }

    /// `Word::merge_all` without dropout.
    private func mergeAll(_ s: inout BPEScratch) {
        let count = s.count
        guard count > 1 else { return }
        s.heapClear()
        for k in 0..<(count - 1) {
            if let m = merges.lookup(s.ids[k], s.ids[k + 1]) { s.heapPush(rank: m.rank, pos: k, newID: m.id) }
        }
        while let top = s.heapPop() {
            let pos = top.pos
            if s.len[pos] == 0 { continue }
            let nextPos = s.next[pos]
            if nextPos < 0 { continue }
            guard let m = merges.lookup(s.ids[pos], s.ids[nextPos]), m.id == top.newID else { continue }
            // Merge the right symbol into the left one.
            s.ids[pos] = top.newID
            s.len[pos] += s.len[nextPos]
            let after = s.next[nextPos]
            s.next[pos] = after
            s.len[nextPos] = 0
            if after >= 0 { s.prev[after] = pos }
            let before = s.prev[pos]
            if before >= 0, let m2 = merges.lookup(s.ids[before], s.ids[pos]) {
                s.heapPush(rank: m2.rank, pos: before, newID: m2.id)
            }
            if after >= 0, let m3 = merges.lookup(s.ids[pos], s.ids[after]) {
                s.heapPush(rank: m3.rank, pos: pos, newID: m3.id)
            }
        }
    }
}

/// Per-thread working memory of BPE merging (symbols as a linked list, merge queue).
struct BPEScratch {
    var ids: [UInt32] = []
    var len: [Int] = []
    var prev: [Int] = []
    var next: [Int] = []
    var count = 0
    /// Heap entries: key = rank << 32 | position (min-heap), with the merged id.
    var heapKeys: [UInt64] = []
    var heapIDs: [UInt32] = []
    var key: [UInt8] = []
    var mapped: [UInt8] = []

    mutating func reset() {
        ids.removeAll(keepingCapacity: true)
        len.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        count = 0
    }

    @inline(__always)
    mutating func add(_ id: UInt32, _ byteLen: Int) {
        if count > 0 { next[count - 1] = count }
        ids.append(id)
        len.append(byteLen)
        prev.append(count - 1)
        next.append(-1)
        count += 1
    }

    mutating func heapClear() {
        heapKeys.removeAll(keepingCapacity: true)
        heapIDs.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func heapPush(rank: UInt32, pos: Int, newID: UInt32) {
        var k = heapKeys.count
        let key = UInt64(rank) << 32 | UInt64(pos)
        heapKeys.append(key)
        heapIDs.append(newID)
        while k > 0 {
            let parent = (k - 1) >> 1
            if heapKeys[parent] <= key { break }
            heapKeys[k] = heapKeys[parent]
            heapIDs[k] = heapIDs[parent]
            k = parent
        }
        heapKeys[k] = key
        heapIDs[k] = newID
    }

    @inline(__always)
    mutating func heapPop() -> (pos: Int, newID: UInt32)? {
        guard let topKey = heapKeys.first else { return nil }
        let result = (pos: Int(topKey & 0xFFFF_FFFF), newID: heapIDs[0])
        let lastKey = heapKeys.removeLast()
        let lastID = heapIDs.removeLast()
        let n = heapKeys.count
        if n > 0 {
            var k = 0
            while true {
                let l = 2 * k + 1
                if l >= n { break }
                var c = l
                if l + 1 < n, heapKeys[l + 1] < heapKeys[l] { c = l + 1 }
                if heapKeys[c] >= lastKey { break }
                heapKeys[k] = heapKeys[c]
                heapIDs[k] = heapIDs[c]
                k = c
            }
            heapKeys[k] = lastKey
            heapIDs[k] = lastID
        }
        return result
    }
}
