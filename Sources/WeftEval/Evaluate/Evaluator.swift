import Foundation
import WeftText

/// How `Evaluator` scores: which metrics and the reference packages' options.
public struct EvalOptions: Sendable {
    public var metrics: [Metric]
    /// sacreBLEU's BLEU options (tokenizer, smoothing, lowercase); `sentence_bleu` adds
    /// effective order as `sacrebleu.sentence_bleu` does.
    public var bleu = BLEUOptions()
    /// Applies to chrF/chrF++ as sacreBLEU's `--lowercase` does.
    public var lowercase = false
    /// rouge-score's `use_stemmer`.
    public var rougeStemmer = false
    /// When set, rouge-score's `BootstrapAggregator` low/mid/high as it reports them after
    /// `np.random.seed(seed)` (1000 resamples, 95%).
    public var rougeAggregatorSeed: UInt32? = nil
    /// scikit-learn's `zero_division`.
    public var zeroDivision: ZeroDivision = .warn
    /// scikit-learn's `labels`, as written (nil: every label seen, sorted); read as
    /// integers when the data's labels are integers.
    public var labelNames: [String]? = nil
    /// Confidence intervals by bootstrap resampling (nil: none).
    public var bootstrap: Bootstrap? = nil
    public var threads = ParallelMap.defaultThreads

    public init(metrics: [Metric]) { self.metrics = metrics }

    /// The options from their command-line / `with:` spellings, each checked with an
    /// error that names the option and its allowed values.
    public init(metrics: [String], tokenize: String = "13a", smooth: String = "exp", smoothValue: Double? = nil, lowercase: Bool = false,
                rougeStemmer: Bool = false, zeroDivision: String = "warn", labels: [String] = [], nBoot: Int = 0,
                confidence: Double = 0.95, seed: UInt64 = 0, threads: Int = ParallelMap.defaultThreads) throws {
        self.metrics = try Metric.parse(metrics)
        guard let tok = BLEUTokenize(rawValue: tokenize) else {
            throw EvalError.invalid("unknown BLEU tokenizer '\(tokenize)'; use one of " + BLEUTokenize.allCases.map(\.rawValue).joined(separator: ", "))
        }
        bleu.tokenize = tok
        bleu.smoothing = try BLEUSmoothing.named(smooth, value: smoothValue)
        bleu.lowercase = lowercase
        self.lowercase = lowercase
        self.rougeStemmer = rougeStemmer
        self.zeroDivision = try ZeroDivision(name: zeroDivision)
        labelNames = labels.isEmpty ? nil : labels
        guard nBoot >= 0 else { throw EvalError.invalid("n_boot must be 0 (no intervals) or at least 2, got \(nBoot)") }
        bootstrap = nBoot == 0 ? nil : try Bootstrap(samples: nBoot, confidence: confidence, seed: seed, threads: threads)
        self.threads = max(1, threads)
    }

    /// `labelNames` as labels of the data's kind.
    func labels(for set: PredictionSet) throws -> [ClassLabel]? {
        guard let names = labelNames else { return nil }
        guard set.integerLabels else { return names.map { .string($0) } }
        return try names.map { n in
            guard let i = Int(n) else { throw EvalError.invalid("labels: '\(n)' is not an integer, but the labels in \(set.path) are integers") }
            return .int(i)
        }
    }
}

/// What an evaluation produced, in the shapes the contract of `weft evaluate` fixes.
public struct EvalResult: Sendable {
    /// `--json`: one entry per metric, keyed by its name.
    public var summary: [(String, EvalJSON)] = []
    /// The stage's flat `metrics.json` entries.
    public var flat: [(String, EvalJSON)] = []
    /// Per input row (when asked): each metric's sentence-level value.
    public var perExample: [[(String, EvalJSON)]] = []
    /// rouge-score's aggregate per ROUGE type (when `rougeAggregatorSeed` is set).
    public var rougeAggregate: [(String, EvalJSON)] = []
    /// (key, low, high) for every metric with a bootstrap interval.
    public var intervals: [(String, Double, Double)] = []
    public var classification: ClassificationReport? = nil
    public var warnings: [String] = []

    public init() {}
}

/// Scores a `PredictionSet` with the chosen metrics: the one code path behind
/// `weft evaluate` and the `evaluate` stage.
public enum Evaluator {
    public static func run(_ set: PredictionSet, options o: EvalOptions, perExample: Bool) throws -> EvalResult {
        if let m = o.metrics.first(where: \.needsModel) {
            throw EvalError.invalid("\(m) needs a model's likelihoods and cannot be computed from predictions; use the evaluate stage with 'model' and 'data'")
        }
        let n = set.count
        var r = EvalResult()
        if perExample { r.perExample = Array(repeating: [], count: n) }
        let threads = o.threads
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        func interval(_ key: String, _ statistic: @escaping @Sendable ([UInt32]) -> Double) {
            guard let b = o.bootstrap else { return }
            let (lo, hi) = b.interval(rows: n, statistic: statistic)
            r.intervals.append((key, lo, hi))
        }
        func meanInterval(_ key: String, _ values: [Double]) {
            let count = Double(n)
            interval(key) { w in
                var s = 0.0
                for i in values.indices where w[i] != 0 { s += Double(w[i]) * values[i] }
                return s / count
            }
        }

        // BLEU statistics are shared by `bleu` and `sentence_bleu`.
        var bleuStats: [BLEUStats]? = nil
        func segmentStats() throws -> [BLEUStats] {
            if let s = bleuStats { return s }
            let s = try BLEU(o.bleu).segmentStats(hypotheses: set.predictions, references: set.references, threads: threads)
            bleuStats = s
            return s
        }
        var rougeTypes: [RougeType] = []
        for case .rouge(let t) in o.metrics where !rougeTypes.contains(t) { rougeTypes.append(t) }
        let rougeRows = rougeTypes.isEmpty ? [] :
            try RougeScorer(types: rougeTypes, useStemmer: o.rougeStemmer).scoreAll(targets: set.references, predictions: set.predictions, threads: threads)
        let classification = o.metrics.contains(where: \.isClassification)
            ? try ClassificationMetrics(labels: o.labels(for: set), zeroDivision: o.zeroDivision).report(truthCodes: set.truthCodes, predictionCodes: set.predictionCodes, labels: set.labelTable)
            : nil
        r.classification = classification
        r.warnings += classification?.warnings ?? []
        r.flat.append(("rows", .int(n)))
        if let seed = o.rougeAggregatorSeed, !rougeTypes.isEmpty {
            let agg = try RougeBootstrap(numpySeed: seed).aggregate(rougeRows)
            for (t, a) in zip(rougeTypes, agg) {
                r.rougeAggregate.append((t.description, .object([("low", rougeJSON(a.low)), ("mid", rougeJSON(a.mid)), ("high", rougeJSON(a.high))])))
                r.flat += [(t.description + "_mid", .number(a.mid.fmeasure)), (t.description + "_low", .number(a.low.fmeasure)),
                           (t.description + "_high", .number(a.high.fmeasure))]
            }
        }

        for metric in o.metrics {
            let name = metric.description
            switch metric {
            case .bleu, .sentenceBLEU:
                let stats = try segmentStats()
                var opts = o.bleu
                if metric == .sentenceBLEU { opts.effectiveOrder = true }
                let bleu = BLEU(opts)
                if metric == .bleu {
                    let total = stats.reduce(BLEUStats.zero(order: opts.maxNgramOrder), +)
                    let s = bleu.score(total)
                    r.summary.append((name, bleuJSON(s, smoothing: opts.smoothing)))
                    r.flat += [("bleu", .number(s.score)), ("bleu_precisions", .numbers(s.precisions)), ("bleu_bp", .number(s.bp)),
                               ("bleu_sys_len", .int(s.sysLen)), ("bleu_ref_len", .int(s.refLen)),
                               ("bleu_signature", .string(bleu.signature(referenceCount: BLEU.referenceCount(set.references))))]
                    let order = opts.maxNgramOrder
                    interval(name) { w in
                        var t = BLEUStats.zero(order: order)
                        for i in stats.indices where w[i] != 0 {
                            let k = Int(w[i]), s = stats[i]
                            for j in 0..<order { t.matches[j] += k * s.matches[j]; t.totals[j] += k * s.totals[j] }
                            t.sysLen += k * s.sysLen
                            t.refLen += k * s.refLen
                        }
                        return bleu.score(t).score
                    }
                } else {
                    let scores = stats.map { bleu.score($0) }
                    let values = scores.map(\.score)
                    let m = mean(values)
                    let order = opts.maxNgramOrder
                    var agg = bleu.score(BLEUStats.zero(order: order))
                    agg.score = m
                    agg.bp = mean(scores.map(\.bp))
                    agg.counts = (0..<order).map { j in scores.reduce(0) { $0 + $1.counts[j] } }
                    agg.totals = (0..<order).map { j in scores.reduce(0) { $0 + $1.totals[j] } }
                    agg.precisions = (0..<order).map { j in mean(scores.map { $0.precisions[j] }) }
                    agg.sysLen = scores.reduce(0) { $0 + $1.sysLen }
                    agg.refLen = scores.reduce(0) { $0 + $1.refLen }
                    r.summary.append((name, bleuJSON(agg, smoothing: opts.smoothing)))
                    r.flat.append((name, .number(m)))
                    meanInterval(name, values)
                }
                if perExample {
                    for i in 0..<n { r.perExample[i].append((name, bleuJSON(bleu.score(stats[i]), smoothing: opts.smoothing))) }
                }
            case .chrf, .chrfPlusPlus:
                var co = CHRFOptions()
                co.lowercase = o.lowercase
                if metric == .chrfPlusPlus { co.wordOrder = 2 }
                let chrf = CHRF(co)
                let stats = try chrf.segmentStats(hypotheses: set.predictions, references: set.references, threads: threads)
                let total = stats.dropFirst().reduce(stats[0], +)
                let score = chrf.score(total)
                r.summary.append((name, .object([("score", .number(score))])))
                r.flat += [(name, .number(score)), (name + "_signature", .string(chrf.signature(referenceCount: BLEU.referenceCount(set.references))))]
                let zero = stats[0]
                interval(name) { w in
                    var t = zero
                    for j in t.values.indices { t.values[j] = 0 }
                    for i in stats.indices where w[i] != 0 {
                        let k = Int(w[i])
                        for j in t.values.indices { t.values[j] += k * stats[i].values[j] }
                    }
                    return chrf.score(t)
                }
                if perExample { for i in 0..<n { r.perExample[i].append((name, .object([("score", .number(chrf.score(stats[i])))]))) } }
            case .rouge(let t):
                let k = rougeTypes.firstIndex(of: t)!
                let rows = rougeRows.map { $0[k] }
                let p = mean(rows.map(\.precision)), rc = mean(rows.map(\.recall)), f = mean(rows.map(\.fmeasure))
                r.summary.append((name, rougeJSON(RougeScore(precision: p, recall: rc, fmeasure: f))))
                r.flat += [(name, .number(f)), (name + "_precision", .number(p)), (name + "_recall", .number(rc))]
                meanInterval(name, rows.map(\.fmeasure))
                if perExample { for i in 0..<n { r.perExample[i].append((name, rougeJSON(rows[i]))) } }
            case .exactMatch, .tokenF1:
                // SQuAD's scale: 100 × the mean of per-example 0…1 values.
                let values = ParallelMap.map(Array(0..<n), threads: threads, state: { () }) { i, _ in
                    100 * (metric == .exactMatch ? SQuAD.exactMatch(prediction: set.predictions[i], references: set.references[i])
                                                  : SQuAD.tokenF1(prediction: set.predictions[i], references: set.references[i]))
                }.0
                let m = mean(values)
                r.summary.append((name, .number(m)))
                r.flat.append((name, .number(m)))
                meanInterval(name, values)
                if perExample { for i in 0..<n { r.perExample[i].append((name, .number(values[i]))) } }
            case .accuracy:
                let c = classification!
                r.summary.append((name, .number(c.accuracy)))
                r.flat.append((name, .number(c.accuracy)))
                let correct = zip(set.truthCodes, set.predictionCodes).map { $0 == $1 ? 1.0 : 0.0 }
                meanInterval(name, correct)
                if perExample { for i in 0..<n { r.perExample[i].append((name, .number(correct[i]))) } }
            case .precision, .recall, .f1:
                let c = classification!
                let (per, pick): ([Double], (AveragedScores) -> Double) =
                    metric == .precision ? (c.precision, { $0.precision }) : metric == .recall ? (c.recall, { $0.recall }) : (c.f1, { $0.f1 })
                let perClass = EvalJSON.object(zip(c.labels, per).map { ($0.description, .number($1)) })
                r.summary.append((name, .object([("micro", .number(pick(c.micro))), ("macro", .number(pick(c.macro))),
                                                 ("weighted", .number(pick(c.weighted))), ("per_class", perClass)])))
                r.flat += [(name + "_micro", .number(pick(c.micro))), (name + "_macro", .number(pick(c.macro))),
                           (name + "_weighted", .number(pick(c.weighted))), (name + "_per_class", perClass)]
            case .confusion:
                let c = classification!
                r.summary.append((name, confusionJSON(c)))
            case .perplexity, .bitsPerByte:
                break  // rejected above
            }
        }
        if let b = o.bootstrap, !r.intervals.isEmpty {
            r.flat += r.intervals.map { ($0.0 + "_ci", .numbers([$0.1, $0.2])) }
            r.flat += [("ci_level", .number(b.confidence)), ("n_boot", .int(b.samples))]
        }
        return r
    }

    /// sacreBLEU's BLEU result fields. With add-k smoothing sacreBLEU reports the counts
    /// and totals of orders 2 and up with k added (integers when k is) unless nothing
    /// matched at all (its early return), and so does this.
    public static func bleuJSON(_ s: BLEUScore, smoothing: BLEUSmoothing = .exp) -> EvalJSON {
        func list(_ v: [Int]) -> EvalJSON {
            guard case .addK(let k) = smoothing, s.counts.contains(where: { $0 > 0 }) else { return .ints(v) }
            return .array(v.enumerated().map { i, x in
                i == 0 ? .int(x) : k == k.rounded() && abs(k) < 1e15 ? .int(x + Int(k)) : .number(Double(x) + k)
            })
        }
        return .object([("score", .number(s.score)), ("counts", list(s.counts)), ("totals", list(s.totals)),
                        ("precisions", .numbers(s.precisions)), ("bp", .number(s.bp)), ("sys_len", .int(s.sysLen)), ("ref_len", .int(s.refLen))])
    }

    /// rouge-score's `Score` fields.
    public static func rougeJSON(_ s: RougeScore) -> EvalJSON {
        .object([("precision", .number(s.precision)), ("recall", .number(s.recall)), ("fmeasure", .number(s.fmeasure))])
    }

    /// Labels (as JSON strings or integers) and rows of counts, true label by predicted label.
    public static func confusionJSON(_ c: ClassificationReport) -> EvalJSON {
        .object([("labels", .array(c.labels.map(labelJSON))), ("matrix", .array(c.confusion.map { .ints($0) }))])
    }

    /// A label as JSON: integers stay numbers.
    public static func labelJSON(_ l: ClassLabel) -> EvalJSON {
        switch l {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        }
    }
}
