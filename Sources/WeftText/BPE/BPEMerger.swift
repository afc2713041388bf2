/// The training algorithm of byte-level BPE on counted words, step for step the one of
/// `tokenizers` 0.23.3 `BpeTrainer::do_train`, so that the merges come out identical.
///
/// 1. Vocabulary: the special tokens in the order given (a repeat is skipped), then the
///    alphabet — every byte seen in the words, plus all 256 when `initialAlphabetBytes` —
///    sorted by the code point of its byte-level character (`!` … `~`, `¡` … `ÿ`, `Ā` …
///    `Ń`); a string already in the vocabulary keeps its id.
/// 2. Each word becomes the ids of its bytes; every adjacent pair is counted, weighted by
///    the word's count, and remembers the words it occurs in.
/// 3. Until the vocabulary has `vocabSize` entries: take the most frequent pair (ties:
///    smallest left id, then smallest right id — see `MergeQueue`); stop when the queue is
///    empty or the count is 0 or below `minFrequency`. Its token is the concatenation of
///    the two strings (the id of an existing equal string is reused, so a merge can add no
///    new entry). Merge it left to right, without overlaps, in the words the queue entry
///    lists, updating neighbour pair counts; pairs that gained occurrences are queued anew
///    with the words where they did.
/// 4. A pair merged twice (possible only through such a reused id) keeps its last rank,
///    as `tokenizers` does when it collects the merges into its map.
///
/// Like the reference, the merged pair's own count is not reduced for the occurrences
/// merged (only for overlapping neighbours): it never reaches the queue again unless an
/// older entry for it is still there, and then behaves as the reference's does.
enum BPEMerger {
    /// Trains on `counter`'s words with `options` (already validated).
    static func train(_ counter: WordCounter, _ options: BPETrainer.Options) -> TrainedBPE {
        // 1. Special tokens, then the alphabet.
        var tokens = ByteStringTable(capacity: max(options.vocabSize, 512))
        for s in options.specialTokens {
            _ = Array(s.utf8).withUnsafeBufferPointer { tokens.insert($0) }
        }
        let arena = counter.words.arena
        var seen = [Bool](repeating: options.initialAlphabetBytes, count: 256)
        for b in arena { seen[Int(b)] = true }
        var byteID = [Int32](repeating: -1, count: 256)
        for scalar in ByteLevel.alphabet {
            let b = Int(ByteLevel.byte(forScalar: scalar.value)!)
            guard seen[b] else { continue }
            byteID[b] = ByteLevel.byteToUTF8[b].withUnsafeBufferPointer { Int32(tokens.insert($0).index) }
        }

        // 2. Words as symbol ids; pair counts and the words each pair occurs in.
        let wordCount = counter.counts.count
        var symbols = arena.map { byteID[Int($0)] }
        var wordStart = [Int](repeating: 0, count: wordCount)
        var wordLen = [Int](repeating: 0, count: wordCount)
        var weight = [Int32](repeating: 0, count: wordCount)
        for w in 0..<wordCount {
            let r = counter.words.range(w)
            wordStart[w] = r.lowerBound
            wordLen[w] = r.count
            weight[w] = Int32(truncatingIfNeeded: counter.counts[w])
        }
        var pairs = PairTable(capacity: max(1024, symbols.count / 8))
        var pairAt = [Int32](repeating: -1, count: symbols.count)
        var wordsWithPair: [Int32] = []
        var lastWord: [Int32] = []
        for w in 0..<wordCount {
            let s = wordStart[w]
            let e = s + wordLen[w]
            var p = s
            while p + 1 < e {
                let pair = pairs.add(PairTable.key(symbols[p], symbols[p + 1]), weight[w])
                pairAt[p] = Int32(pair)
                if pair == wordsWithPair.count {
                    wordsWithPair.append(0)
                    lastWord.append(-1)
                }
                if lastWord[pair] != Int32(w) {
                    lastWord[pair] = Int32(w)
                    wordsWithPair[pair] += 1
                }
                p += 1
            }
        }
        // Word lists: one flat arena; list i is positions[listStart[i] ..< listStart[i + 1]].
        var listStart = [Int](repeating: 0, count: pairs.count + 1)
        for i in 0..<pairs.count { listStart[i + 1] = listStart[i] + Int(wordsWithPair[i]) }
        var positions = [Int32](repeating: 0, count: listStart[pairs.count])
        var cursor = Array(listStart.dropLast())
        for i in 0..<lastWord.count { lastWord[i] = -1 }
        for w in 0..<wordCount {
            let s = wordStart[w]
            for p in s..<(s + max(0, wordLen[w] - 1)) {
                let pair = Int(pairAt[p])
                if lastWord[pair] != Int32(w) {
                    lastWord[pair] = Int32(w)
                    positions[cursor[pair]] = Int32(w)
                    cursor[pair] += 1
                }
            }
        }
        pairAt = []
        lastWord = []
        cursor = []
        wordsWithPair = []
        var initial: [MergeQueue.Entry] = []
        initial.reserveCapacity(pairs.count)
        for i in 0..<pairs.count where pairs.counts[i] > 0 {
            initial.append(.init(count: UInt64(pairs.counts[i]), key: pairs.keys[i], pair: Int32(i), list: Int32(i)))
        }
        var queue = MergeQueue(initial)
        initial = []

        // 3. Merges.
        var merges: [UInt64] = []
        var gained: [UInt64] = []  // pair index << 32 | word, for pairs that gained occurrences
        var groupOf: [Int32] = []  // pair index → its group while grouping `gained`, else -1
        var groupPairs: [Int32] = []
        var groupEnd: [Int] = []
        var grouped: [Int32] = []
        var newToken: [UInt8] = []
        let minFrequency = UInt64(options.minFrequency)
        symbols.withUnsafeMutableBufferPointer { sym in
            while tokens.count < options.vocabSize {
                guard var top = queue.pop() else { break }
                let current = UInt64(bitPattern: Int64(pairs.counts[Int(top.pair)]))
                if top.count != current {
                    top.count = current
                    queue.push(top)
                    continue
                }
                if top.count < 1 || minFrequency > top.count { break }
                let a = Int32(truncatingIfNeeded: top.key >> 32)
                let b = Int32(truncatingIfNeeded: top.key)
                newToken.removeAll(keepingCapacity: true)
                newToken.append(contentsOf: tokens.arena[tokens.range(Int(a))])
                newToken.append(contentsOf: tokens.arena[tokens.range(Int(b))])
                let merged = newToken.withUnsafeBufferPointer { Int32(tokens.insert($0).index) }
                merges.append(top.key)

                gained.removeAll(keepingCapacity: true)
                let list = Int(top.list)
                for li in listStart[list]..<listStart[list + 1] {
                    let w = Int(positions[li])
                    let start = wordStart[w]
                    let end = start + wordLen[w]
                    let up = weight[w]
                    let down = 0 &- up
                    var r = start
                    var k = start
                    while r < end {
                        if sym[r] == a, r + 1 < end, sym[r + 1] == b {
                            if k > start {
                                let prev = sym[k - 1]
                                pairs.add(PairTable.key(prev, a), down)
                                let g = pairs.add(PairTable.key(prev, merged), up)
                                gained.append(UInt64(g) << 32 | UInt64(w))
                            }
                            if r + 2 < end {
                                let next = sym[r + 2]
                                pairs.add(PairTable.key(b, next), down)
                                let g = pairs.add(PairTable.key(merged, next), up)
                                gained.append(UInt64(g) << 32 | UInt64(w))
                            }
                            sym[k] = merged
                            r += 2
                        } else {
                            sym[k] = sym[r]
                            r += 1
                        }
                        k += 1
                    }
                    wordLen[w] = k - start
                }

                // Queue each pair that gained occurrences, with the words where it did:
                // a counting sort of `gained` by pair that keeps word order (ascending), in
                // reused buffers.
                while groupOf.count < pairs.count { groupOf.append(-1) }
                groupPairs.removeAll(keepingCapacity: true)
                groupEnd.removeAll(keepingCapacity: true)
                for g in gained {
                    let pair = Int(g >> 32)
                    if groupOf[pair] < 0 {
                        groupOf[pair] = Int32(groupPairs.count)
                        groupPairs.append(Int32(pair))
                        groupEnd.append(0)
                    }
                    groupEnd[Int(groupOf[pair])] += 1
                }
                var total = 0
                for gi in 0..<groupEnd.count {
                    total += groupEnd[gi]
                    groupEnd[gi] = total - groupEnd[gi]  // now the group's start
                }
                if grouped.count < gained.count { grouped.append(contentsOf: repeatElement(0, count: gained.count - grouped.count)) }
                for g in gained {
                    let gi = Int(groupOf[Int(g >> 32)])
                    grouped[groupEnd[gi]] = Int32(truncatingIfNeeded: g)
                    groupEnd[gi] += 1  // ends as the group's end
                }
                var from = 0
                for (gi, pair32) in groupPairs.enumerated() {
                    let pair = Int(pair32)
                    groupOf[pair] = -1
                    let upTo = groupEnd[gi]
                    let count = pairs.counts[pair]
                    if count > 0 {
                        var last: Int32 = -1
                        for w in grouped[from..<upTo] where w != last {
                            positions.append(w)
                            last = w
                        }
                        let id = listStart.count - 1
                        listStart.append(positions.count)
                        queue.push(.init(count: UInt64(count), key: pairs.keys[pair], pair: pair32, list: Int32(id)))
                    }
                    from = upTo
                }
            }
        }

        // 4. A pair merged twice keeps its last rank.
        var lastRank: [UInt64: Int] = [:]
        for (i, k) in merges.enumerated() { lastRank[k] = i }
        let names = (0..<tokens.count).map { String(decoding: tokens.arena[tokens.range($0)], as: UTF8.self) }
        var result: [TrainedBPE.Merge] = []
        result.reserveCapacity(merges.count)
        for (i, k) in merges.enumerated() where lastRank[k] == i {
            result.append(.init(left: names[Int(k >> 32)], right: names[Int(k & 0xFFFF_FFFF)]))
        }
        var specials: [String] = []
        for s in options.specialTokens where !specials.contains(s) { specials.append(s) }
        return TrainedBPE(tokens: names, merges: result, specialTokens: specials, mergesPerformed: merges.count)
    }
}
