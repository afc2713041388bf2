/// One worker's reusable state: the interner (token ids and stem cache) and the
/// scratch tables of the matchers. Never shared between threads.
struct RougeWorkspace {
    let types: [RougeType]
    let splitter: (@Sendable (String) -> [String])?
    var interner: RougeInterner
    var prediction = RougeTokens()
    var predictionSentences = RougeTokens()
    var target = RougeTokens()
    var targetSentences = RougeTokens()
    var ngrams = RougeNgramCounter()
    var lcs = RougeLCS()

    init(_ scorer: RougeScorer, capacity: Int = 64) {
        types = scorer.types
        splitter = scorer.splitSummaries && scorer.types.contains(.lsum) ? scorer.sentenceSplitter : nil
        interner = RougeInterner(useStemmer: scorer.useStemmer, capacity: capacity)
    }

    /// Bounds the interner's memory on long runs (ids restart; only between pairs).
    mutating func trimBetweenPairs() {
        interner.trim()
    }

    /// Scores of `prediction` against the best of `targets` per type (one target: plain `score`).
    mutating func score(targets: [String], prediction text: String) -> [RougeScore] {
        RougeWorkspace.tokenize(
            text, &interner, splitter, whole: &prediction, split: &predictionSentences)
        var best: [RougeScore] = []
        for (k, t) in targets.enumerated() {
            RougeWorkspace.tokenize(t, &interner, splitter, whole: &target, split: &targetSentences)
            let scores = scoreTokens()
            if k == 0 {
                best = scores
            } else {
                // reference: rouge-score `score_multi` uses np.argmax over fmeasure: the first maximum wins.
                for i in scores.indices where scores[i].fmeasure > best[i].fmeasure { best[i] = scores[i] }
            }
        }
        return best
    }

    private static func tokenize(
        _ text: String, _ interner: inout RougeInterner, _ splitter: (@Sendable (String) -> [String])?,
        whole: inout RougeTokens, split: inout RougeTokens
    ) {
        whole.removeAll()
        interner.tokenize(text, into: &whole)
        guard let splitter else { return }
        split.removeAll()
        for sentence in splitter(text) where !sentence.isEmpty {
            interner.tokenize(sentence, into: &split)
            split.breaks.append(Int32(split.ids.count))
        }
    }

    private mutating func scoreTokens() -> [RougeScore] {
        var out: [RougeScore] = []
        out.reserveCapacity(types.count)
        let t = target.ids, p = prediction.ids
        for type in types {
            switch type {
            case .n(let k):
                guard k >= 1 else {
                    out.append(.zero)
                    continue
                }
                out.append(
                    t.withUnsafeBufferPointer { t in
                        p.withUnsafeBufferPointer { p in ngrams.score(target: t, prediction: p, n: k) }
                    })
            case .l:
                out.append(
                    t.withUnsafeBufferPointer { t in
                        p.withUnsafeBufferPointer { p in lcs.score(target: t, prediction: p) }
                    })
            case .lsum:
                out.append(summary())
            }
        }
        return out
    }

    private mutating func summary() -> RougeScore {
        let tt = splitter != nil ? targetSentences : target
        let pp = splitter != nil ? predictionSentences : prediction
        let idCount = interner.idCount
        return tt.ids.withUnsafeBufferPointer { t in
            pp.ids.withUnsafeBufferPointer { p in
                lcs.summaryScore(
                    target: t, targetSentences: tt.sentences(),
                    prediction: p, predictionSentences: pp.sentences(), idCount: idCount)
            }
        }
    }
}
