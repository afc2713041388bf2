/// BLEU exactly as sacreBLEU 2.6.0 computes it, at corpus and sentence level.
///
/// References are given per segment (`references[i]` = every reference of hypothesis
/// `i`), the transpose of sacreBLEU's reference streams. Segments may have different
/// numbers of references: sacreBLEU expresses that by padding streams with `None`, which
/// it drops per segment, and its signature then says `nrefs:var` (an empty string, by
/// contrast, is a real reference of length 0 in sacreBLEU and here).
public struct BLEU: Sendable {
    /// The settings this metric computes with.
    public let options: BLEUOptions

    /// A BLEU metric with these settings (see `BLEUOptions.validate()` for what is usable).
    public init(_ options: BLEUOptions) {
        self.options = options
    }

    /// The statistics of one segment (a hypothesis and all its references; none counts as
    /// one empty reference, where sacreBLEU would fail).
    public func stats(hypothesis: String, references: [String]) -> BLEUStats {
        BLEUCounter(options).stats(hypothesis: hypothesis, references: references)
    }

    /// The tokens BLEU compares for `text` (lowercased when asked, right-stripped,
    /// tokenized), as sacreBLEU's tokenizer splits them.
    public func tokens(_ text: String) -> [String] {
        let t = BLEUTokenizer(tokenize: options.tokenize, lowercase: options.lowercase)
        t.run(text)
        return (0..<t.count).map { k in
            String(decoding: UnsafeBufferPointer(start: t.text + t.starts[k], count: Int(t.lengths[k])), as: UTF8.self)
        }
    }

    /// The score of (summed) statistics, with these options' smoothing and effective order.
    public func score(_ stats: BLEUStats) -> BLEUScore {
        BLEU.compute(stats, smoothing: options.smoothing, effectiveOrder: options.effectiveOrder,
                     order: options.order)
    }

    /// sacreBLEU's `corpus_score`: statistics summed over all segments, then scored.
    /// `references[i]` holds every reference of segment `i`. Runs on `threads` cores
    /// (0: all); the result does not depend on the thread count.
    public func corpusScore(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> BLEUScore {
        score(try corpusStats(hypotheses: hypotheses, references: references, threads: threads))
    }

    /// The summed statistics of a corpus (what `corpusScore` scores).
    public func corpusStats(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> BLEUStats {
        try check(hypotheses: hypotheses, references: references, function: "corpusScore")
        let order = options.order
        let opts = options
        let total = SacreParallel.sum(count: hypotheses.count, width: 2 + 2 * order, threads: threads) { range, row in
            let counter = BLEUCounter(opts)
            for i in range { counter.add(hypothesis: hypotheses[i], references: references[i], into: row) }
        }
        return BLEUCounter.stats(total, order: order)
    }

    /// The statistics of every segment, in order (for bootstrap resampling or per-row reports).
    public func segmentStats(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> [BLEUStats] {
        try check(hypotheses: hypotheses, references: references, function: "segmentStats")
        let n = hypotheses.count, order = options.order, width = 2 + 2 * order
        var rows = [Int](repeating: 0, count: n * width)
        let opts = options
        rows.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            SacreParallel.forEachSlice(count: n, slices: SacreParallel.sliceCount(count: n, threads: threads)) { _, range in
                let counter = BLEUCounter(opts)
                for i in range {
                    counter.add(hypothesis: hypotheses[i], references: references[i], into: base + i * width)
                }
            }
        }
        return (0..<n).map { i in
            BLEUStats(matches: Array(rows[i * width + 2..<i * width + 2 + order]),
                      totals: Array(rows[i * width + 2 + order..<i * width + width]),
                      sysLen: rows[i * width], refLen: rows[i * width + 1])
        }
    }

    /// sacreBLEU's `sentence_score` for one hypothesis. Note that sacreBLEU's
    /// `sentence_bleu` turns effective order on by default: use `BLEUOptions.sentence`.
    public func sentenceScore(hypothesis: String, references: [String]) -> BLEUScore {
        score(stats(hypothesis: hypothesis, references: references))
    }

    /// `sentenceScore` of every segment, in order, on `threads` cores (0: all).
    public func sentenceScores(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> [BLEUScore] {
        try segmentStats(hypotheses: hypotheses, references: references, threads: threads).map(score)
    }

    /// sacreBLEU's signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`;
    /// a negative `referenceCount` (see `referenceCount(_:)`) writes `nrefs:var`.
    public func signature(referenceCount: Int) -> String {
        let nrefs = referenceCount < 0 ? "var" : String(referenceCount)
        return "nrefs:\(nrefs)|case:\(options.lowercase ? "lc" : "mixed")|eff:\(options.effectiveOrder ? "yes" : "no")"
            + "|tok:\(options.tokenize.rawValue)|smooth:\(options.smoothing.signatureField)|version:\(sacreBLEUVersion)"
    }

    /// The signature's reference count for a corpus: the number of references when every
    /// segment has the same, else -1 (sacreBLEU's "var").
    public static func referenceCount(_ references: [[String]]) -> Int {
        guard let first = references.first?.count else { return 0 }
        return references.allSatisfy { $0.count == first } ? first : -1
    }

    private func check(hypotheses: [String], references: [[String]], function: String) throws {
        try options.validate()
        try sacreCheckCorpus(metric: "BLEU", function: function, hypotheses: hypotheses.count, references: references)
    }
}

/// The corpus checks shared by BLEU and chrF: one reference list per hypothesis, at
/// least one segment, at least one reference per segment (sacreBLEU fails otherwise).
func sacreCheckCorpus(metric: String, function: String, hypotheses: Int, references: [[String]]) throws {
    if hypotheses != references.count {
        throw EvalError.invalid(
            "\(metric) \(function): \(hypotheses) hypotheses but \(references.count) reference lists; "
                + "pass one list per hypothesis (references[i] holds every reference of segment i)")
    }
    if hypotheses == 0 {
        throw EvalError.invalid("\(metric) \(function): no segments; pass at least one hypothesis with its references")
    }
    if let i = references.firstIndex(where: { $0.isEmpty }) {
        throw EvalError.invalid(
            "\(metric) \(function): segment \(i) has no reference; give every segment at least one "
                + "(an empty string is allowed and counts as an empty reference)")
    }
}
