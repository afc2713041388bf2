/// ROUGE-L (LCS of the whole token sequences) and ROUGE-Lsum (summary-level union LCS).
///
/// reference: rouge-score 0.1.2 `_score_lcs`, `_summary_level_lcs`, `_union_lcs`,
/// `lcs_ind`, `_backtrack_norec`; Lin (2004), ROUGE §3.2.
///
/// Shapes: a target sentence has r tokens, a prediction sentence c tokens; the
/// dynamic-programming table is (r+1)×(c+1), row-major, reused between calls.
struct RougeLCS {
    private var row: [Int32] = []
    private var table: [Int32] = []
    /// Per target-sentence position: whether some prediction sentence's LCS used it.
    private var inUnion: [Bool] = []
    /// Per token id: remaining occurrences in the target / prediction summary.
    private var targetLeft: [Int32] = []
    private var predictionLeft: [Int32] = []

    /// ROUGE-L: LCS length over the prediction's and the target's lengths.
    mutating func score(target: UnsafeBufferPointer<Int32>, prediction: UnsafeBufferPointer<Int32>) -> RougeScore {
        guard target.count > 0, prediction.count > 0 else { return .zero }
        let lcs = length(target, prediction)
        return RougeScore.from(hits: lcs, predictionCount: prediction.count, targetCount: target.count)
    }

    /// Length of a longest common subsequence, one table row at a time.
    private mutating func length(_ a: UnsafeBufferPointer<Int32>, _ b: UnsafeBufferPointer<Int32>) -> Int {
        let cols = b.count
        if row.count < cols + 1 { row = [Int32](repeating: 0, count: cols + 1) }
        return row.withUnsafeMutableBufferPointer { buf -> Int in
            let prev = buf.baseAddress!
            for j in 0...cols { prev[j] = 0 }
            for x in a {
                // prev[j] holds the previous row; `diag` is its value at j-1 before overwriting.
                var diag: Int32 = 0
                var left: Int32 = 0
                for j in 1...cols {
                    let up = prev[j]
                    let v = b[j - 1] == x ? diag + 1 : max(up, left)
                    diag = up
                    prev[j] = v
                    left = v
                }
            }
            return Int(prev[cols])
        }
    }

    /// ROUGE-Lsum over sentences given as token ranges of `target` and `prediction`.
    ///
    /// For each target sentence the LCS indices against every prediction sentence are
    /// united; each token at a united index counts as a hit while both summaries still
    /// have an unused occurrence of it (ROUGE-1.5.5's guard against double counting).
    mutating func summaryScore(
        target: UnsafeBufferPointer<Int32>, targetSentences: [Range<Int>],
        prediction: UnsafeBufferPointer<Int32>, predictionSentences: [Range<Int>], idCount: Int
    ) -> RougeScore {
        let m = targetSentences.reduce(0) { $0 + $1.count }
        let n = predictionSentences.reduce(0) { $0 + $1.count }
        guard m > 0, n > 0 else { return .zero }
        if targetLeft.count < idCount {
            // Grow geometrically: ids are handed out a few per pair.
            let size = max(idCount, 2 * targetLeft.count, 1024)
            targetLeft = [Int32](repeating: 0, count: size)
            predictionLeft = [Int32](repeating: 0, count: size)
        }
        for s in targetSentences { for i in s { targetLeft[Int(target[i])] += 1 } }
        for s in predictionSentences { for i in s { predictionLeft[Int(prediction[i])] += 1 } }

        var hits = 0
        for s in targetSentences {
            let ref = UnsafeBufferPointer(rebasing: target[s])
            if inUnion.count < ref.count { inUnion = [Bool](repeating: false, count: max(ref.count, 2 * inUnion.count)) }
            for c in predictionSentences {
                markLCS(ref, UnsafeBufferPointer(rebasing: prediction[c]))
            }
            // Sorted union: walk the target sentence's positions in order.
            for i in 0..<ref.count where inUnion[i] {
                inUnion[i] = false
                let t = Int(ref[i])
                if targetLeft[t] > 0, predictionLeft[t] > 0 {
                    hits += 1
                    targetLeft[t] -= 1
                    predictionLeft[t] -= 1
                }
            }
        }
        // Leave the per-id counters zeroed for the next pair.
        for s in targetSentences { for i in s { targetLeft[Int(target[i])] = 0 } }
        for s in predictionSentences { for i in s { predictionLeft[Int(prediction[i])] = 0 } }

        let recall = Double(hits) / Double(m)
        let precision = Double(hits) / Double(n)
        let f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return RougeScore(precision: precision, recall: recall, fmeasure: f)
    }

    /// Marks in `inUnion` the target positions of the one LCS rouge-score's backtrack picks.
    ///
    /// reference: rouge-score `_backtrack_norec`: from the bottom-right corner, take the
    /// diagonal on a match, else step left when the left cell is strictly greater than
    /// the upper one, else step up. Other LCS choices would change the union.
    private mutating func markLCS(_ ref: UnsafeBufferPointer<Int32>, _ can: UnsafeBufferPointer<Int32>) {
        let rows = ref.count, cols = can.count
        guard rows > 0, cols > 0 else { return }
        let width = cols + 1
        let size = (rows + 1) * width
        if table.count < size { table = [Int32](repeating: 0, count: max(size, table.count * 2)) }
        table.withUnsafeMutableBufferPointer { buf in
            let t = buf.baseAddress!
            for j in 0...cols { t[j] = 0 }
            for i in 1...rows {
                let cur = t + i * width
                let up = cur - width
                cur[0] = 0
                let x = ref[i - 1]
                for j in 1...cols {
                    cur[j] = can[j - 1] == x ? up[j - 1] + 1 : max(up[j], cur[j - 1])
                }
            }
            var i = rows, j = cols
            while i > 0, j > 0 {
                if ref[i - 1] == can[j - 1] {
                    inUnion[i - 1] = true
                    i -= 1
                    j -= 1
                } else if t[i * width + j - 1] > t[(i - 1) * width + j] {
                    j -= 1
                } else {
                    i -= 1
                }
            }
        }
    }
}
