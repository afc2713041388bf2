/// ROUGE-N: clipped n-gram overlap between a target and a prediction token sequence.
///
/// reference: rouge-score 0.1.2 `_create_ngrams` / `_score_ngrams`: both sides are
/// counted as multisets of n-tuples; hits = Σ over target n-grams of
/// min(target count, prediction count); precision = hits / max(#prediction n-grams, 1),
/// recall = hits / max(#target n-grams, 1).
///
/// Counting: n-grams become `UInt64` keys without strings. n = 1 uses the token id;
/// n = 2 packs both 32-bit ids into one key; for n ≥ 3 the (n-1)-gram at each position
/// is first given a dense id (interned per pair, shared by both sides), then packed
/// with the next token, level by level, so keys stay exact for any n.
/// Σ min(cT, cP) is computed by loading the target's keys into a counting table and
/// letting each prediction n-gram take one remaining occurrence.
struct RougeNgramCounter {
    private var table = RougeKeyTable()
    private var levels = RougeKeyTable()
    private var targetKeys: [UInt64] = []
    private var predictionKeys: [UInt64] = []

    /// The ROUGE-N score of `prediction` against `target`.
    mutating func score(
        target: UnsafeBufferPointer<Int32>, prediction: UnsafeBufferPointer<Int32>, n: Int
    ) -> RougeScore {
        let targetCount = max(0, target.count - n + 1)
        let predictionCount = max(0, prediction.count - n + 1)
        var hits = 0
        if targetCount > 0, predictionCount > 0 {
            makeKeys(target, prediction, n)
            table.reset(expected: targetCount)
            for k in targetKeys { table.increment(k) }
            for k in predictionKeys where table.takeOne(k) { hits += 1 }
        }
        return RougeScore.from(
            hits: hits, predictionCount: max(predictionCount, 1), targetCount: max(targetCount, 1))
    }

    /// Fills `targetKeys` / `predictionKeys` with one exact key per n-gram position.
    private mutating func makeKeys(
        _ target: UnsafeBufferPointer<Int32>, _ prediction: UnsafeBufferPointer<Int32>, _ n: Int
    ) {
        RougeNgramCounter.fill(&targetKeys, target)
        RougeNgramCounter.fill(&predictionKeys, prediction)
        guard n > 1 else { return }
        // Level k holds one key per (k)-gram start; level k+1 drops the last position.
        if n > 2 { levels.reset(expected: targetKeys.count + predictionKeys.count) }
        for level in 2...n {
            // Keys of level-1 grams are ids; from level 3 on they are compressed to dense ids first.
            let compress = level > 2
            if compress {
                RougeNgramCounter.extend(&targetKeys, target, level, &levels)
                RougeNgramCounter.extend(&predictionKeys, prediction, level, &levels)
            } else {
                RougeNgramCounter.pair(&targetKeys, target)
                RougeNgramCounter.pair(&predictionKeys, prediction)
            }
            if compress, level < n {
                levels.reset(expected: targetKeys.count + predictionKeys.count)
            }
        }
    }

    private static func fill(_ keys: inout [UInt64], _ tokens: UnsafeBufferPointer<Int32>) {
        keys.removeAll(keepingCapacity: true)
        for t in tokens { keys.append(UInt64(UInt32(bitPattern: t))) }
    }

    /// Unigram keys into bigram keys: both 32-bit ids packed into one key.
    private static func pair(_ keys: inout [UInt64], _ tokens: UnsafeBufferPointer<Int32>) {
        let count = tokens.count - 1
        for i in 0..<count { keys[i] = keys[i] << 32 | UInt64(UInt32(bitPattern: tokens[i + 1])) }
        keys.removeLast()
    }

    /// (level-1)-gram keys into level-gram keys: (dense id of gram i) << 32 | token(i + level - 1).
    private static func extend(
        _ keys: inout [UInt64], _ tokens: UnsafeBufferPointer<Int32>, _ level: Int, _ levels: inout RougeKeyTable
    ) {
        let count = tokens.count - level + 1
        for i in 0..<count {
            let prefix = UInt64(UInt32(bitPattern: levels.intern(keys[i])))
            keys[i] = prefix << 32 | UInt64(UInt32(bitPattern: tokens[i + level - 1]))
        }
        keys.removeLast(keys.count - count)
    }
}
