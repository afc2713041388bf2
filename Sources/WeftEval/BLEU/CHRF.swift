/// Settings of chrF / chrF++, with sacreBLEU's `CHRF()` defaults (chrF2).
public struct CHRFOptions: Sendable {
    /// Character n-gram orders 1...charOrder.
    public var charOrder = 6
    /// Word n-gram orders 1...wordOrder (2 makes chrF++).
    public var wordOrder = 0
    /// Weight of recall against precision.
    public var beta = 2
    /// Lowercase both sides first (Python `str.lower()`).
    public var lowercase = false
    /// Keep whitespace inside character n-grams.
    public var whitespace = false
    /// chrF++.py/NLTK/Moses epsilon smoothing instead of sacreBLEU's effective order.
    public var epsSmoothing = false

    /// chrF2 as sacreBLEU computes it by default.
    public init() {}

    /// chrF++: word bigrams added (sacreBLEU's `word_order=2`).
    public static var plusPlus: CHRFOptions {
        var o = CHRFOptions()
        o.wordOrder = 2
        return o
    }

    /// The highest character or word n-gram order accepted.
    public static let maximumOrder = 1000

    /// `charOrder` as the counting code uses it (cut to 0...maximumOrder).
    var chars: Int { min(max(charOrder, 0), CHRFOptions.maximumOrder) }
    /// `wordOrder` as the counting code uses it (cut to 0...maximumOrder).
    var words: Int { min(max(wordOrder, 0), CHRFOptions.maximumOrder) }

    /// Throws when a setting cannot give a meaningful score.
    public func validate() throws {
        let range = 0...CHRFOptions.maximumOrder
        if !range.contains(charOrder) || !range.contains(wordOrder) || charOrder + wordOrder < 1 {
            throw EvalError.invalid(
                "chrF charOrder \(charOrder) and wordOrder \(wordOrder): both must be 0...\(CHRFOptions.maximumOrder) "
                    + "and at least one ≥ 1 (chrF uses 6 and 0, chrF++ 6 and 2)")
        }
    }
}

/// chrF statistics of one or more segments: per order the triple [hypothesis n-grams,
/// reference n-grams, matches] (characters first, then words); adding gives both.
public struct CHRFStats: Sendable, Equatable {
    /// The triples, order after order (sacreBLEU's layout).
    public var values: [Int]

    /// Statistics from their values.
    public init(values: [Int]) { self.values = values }

    /// The statistics of nothing for `orders` = charOrder + wordOrder orders.
    public static func zero(orders: Int) -> CHRFStats {
        CHRFStats(values: Array(repeating: 0, count: 3 * max(orders, 0)))
    }

    /// The statistics of both operands' segments.
    public static func + (a: CHRFStats, b: CHRFStats) -> CHRFStats {
        var s = a
        s += b
        return s
    }

    /// Adds `b`'s segments to `a`.
    public static func += (a: inout CHRFStats, b: CHRFStats) {
        sacreAddElementwise(&a.values, b.values)
    }
}

/// chrF and chrF++ exactly as sacreBLEU 2.6.0's `CHRF` computes them, at corpus and
/// sentence level. References are given per segment, as for `BLEU`; with several, each
/// segment keeps the reference with the best sentence-level F-score (the first on a tie).
public struct CHRF: Sendable {
    /// The settings this metric computes with.
    public let options: CHRFOptions

    /// A chrF metric with these settings.
    public init(_ options: CHRFOptions) {
        self.options = options
    }

    /// sacreBLEU's name of the score: `chrF2`, `chrF2++` for word order 2.
    public var name: String {
        "chrF\(options.beta)" + String(repeating: "+", count: options.words)
    }

    /// The statistics of one segment (no references count as one empty reference, where
    /// sacreBLEU would fail).
    public func stats(hypothesis: String, references: [String]) -> CHRFStats {
        CHRFCounter(options).stats(hypothesis: hypothesis, references: references)
    }

    /// The score (0-100) of (summed) statistics.
    public func score(_ stats: CHRFStats) -> Double {
        CHRF.fScore(stats.values, options: options)
    }

    /// sacreBLEU's `corpus_score`: statistics summed over all segments, then scored.
    /// Runs on `threads` cores (0: all); the result does not depend on the thread count.
    public func corpusScore(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> Double {
        score(try corpusStats(hypotheses: hypotheses, references: references, threads: threads))
    }

    /// The summed statistics of a corpus (what `corpusScore` scores).
    public func corpusStats(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> CHRFStats {
        try check(hypotheses: hypotheses, references: references, function: "corpusScore")
        let opts = options
        let width = 3 * (opts.chars + opts.words)
        let total = SacreParallel.sum(count: hypotheses.count, width: width, threads: threads) { range, row in
            let counter = CHRFCounter(opts)
            for i in range { counter.add(hypothesis: hypotheses[i], references: references[i], into: row) }
        }
        return CHRFStats(values: total)
    }

    /// The statistics of every segment, in order.
    public func segmentStats(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> [CHRFStats] {
        try check(hypotheses: hypotheses, references: references, function: "segmentStats")
        let n = hypotheses.count, width = 3 * (options.chars + options.words)
        var rows = [Int](repeating: 0, count: n * width)
        let opts = options
        rows.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            SacreParallel.forEachSlice(count: n, slices: SacreParallel.sliceCount(count: n, threads: threads)) { _, range in
                let counter = CHRFCounter(opts)
                for i in range {
                    counter.add(hypothesis: hypotheses[i], references: references[i], into: base + i * width)
                }
            }
        }
        return (0..<n).map { CHRFStats(values: Array(rows[$0 * width..<($0 + 1) * width])) }
    }

    /// sacreBLEU's `sentence_score` for one hypothesis.
    public func sentenceScore(hypothesis: String, references: [String]) -> Double {
        score(stats(hypothesis: hypothesis, references: references))
    }

    /// `sentenceScore` of every segment, in order, on `threads` cores (0: all).
    public func sentenceScores(hypotheses: [String], references: [[String]], threads: Int = 0) throws -> [Double] {
        try segmentStats(hypotheses: hypotheses, references: references, threads: threads).map(score)
    }

    /// sacreBLEU's signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`;
    /// a negative `referenceCount` (see `BLEU.referenceCount(_:)`) writes `nrefs:var`.
    public func signature(referenceCount: Int) -> String {
        let nrefs = referenceCount < 0 ? "var" : String(referenceCount)
        return "nrefs:\(nrefs)|case:\(options.lowercase ? "lc" : "mixed")|eff:\(options.epsSmoothing ? "no" : "yes")"
            + "|nc:\(options.charOrder)|nw:\(options.wordOrder)|space:\(options.whitespace ? "yes" : "no")"
            + "|version:\(sacreBLEUVersion)"
    }

    private func check(hypotheses: [String], references: [[String]], function: String) throws {
        try options.validate()
        try sacreCheckCorpus(metric: "chrF", function: function, hypotheses: hypotheses.count, references: references)
    }

    /// The F-score of statistics, in sacreBLEU's order of floating-point operations:
    /// per-order precision and recall averaged over the orders present on both sides
    /// (or, with eps smoothing, the mean of per-order F-scores).
    // reference: sacreBLEU 2.6.0 CHRF._compute_f_score
    static func fScore(_ values: [Int], options: CHRFOptions) -> Double {
        let eps = 1e-16
        let orders = min(options.chars + options.words, values.count / 3)
        let factor = Double(options.beta) * Double(options.beta)  // Python: beta ** 2
        var score = 0.0, avgPrecision = 0.0, avgRecall = 0.0
        var effectiveOrder = 0
        for i in 0..<orders {
            let hyp = values[3 * i], ref = values[3 * i + 1], match = values[3 * i + 2]
            let precision = hyp > 0 ? Double(match) / Double(hyp) : eps
            let recall = ref > 0 ? Double(match) / Double(ref) : eps
            let denominator = factor * precision + recall
            score += denominator > 0 ? (1 + factor) * precision * recall / denominator : eps
            if hyp > 0 && ref > 0 {
                avgPrecision += precision
                avgRecall += recall
                effectiveOrder += 1
            }
        }
        if options.epsSmoothing {
            return 100 * score / Double(options.chars + options.words)
        }
        if effectiveOrder == 0 {
            avgPrecision = 0
            avgRecall = 0
        } else {
            avgPrecision /= Double(effectiveOrder)
            avgRecall /= Double(effectiveOrder)
        }
        guard avgPrecision + avgRecall != 0 else { return 0 }
        var f = (1 + factor) * avgPrecision * avgRecall
        f /= factor * avgPrecision + avgRecall
        return 100 * f
    }
}
