import Foundation
import WeftText

/// Scores predictions against targets exactly as Google's `rouge-score` 0.1.2
/// `RougeScorer(rouge_types, use_stemmer, split_summaries)` does.
///
/// Note the argument order: the target (reference) comes first, as in
/// `scorer.score(target, prediction)`. Results are in `types` order.
///
/// `splitSummaries`: rouge-score then splits rougeLsum's sentences with
/// `nltk.sent_tokenize` (NLTK's pretrained English Punkt model). Weft does not ship
/// that model, so pass its sentence splitter as `sentenceSplitter`; its sentences are
/// used as `sent_tokenize`'s would be (empty ones dropped, each tokenized alone).
/// Without one, `scoreAll` throws and `score`/`scoreMulti` split on "\n" as when
/// `splitSummaries` is false.
public struct RougeScorer: Sendable {
    /// The ROUGE types scored, in result order.
    public let types: [RougeType]
    /// Whether tokens longer than 3 characters are Porter-stemmed (NLTK extensions mode).
    public let useStemmer: Bool
    /// Whether rougeLsum splits sentences with `sentenceSplitter` instead of on "\n".
    public let splitSummaries: Bool
    /// The sentence splitter used for rougeLsum when `splitSummaries` is on.
    public let sentenceSplitter: (@Sendable (String) -> [String])?

    /// A scorer for `types`; rouge-score's defaults are no stemming and newline-split summaries.
    public init(
        types: [RougeType], useStemmer: Bool = false, splitSummaries: Bool = false,
        sentenceSplitter: (@Sendable (String) -> [String])? = nil
    ) {
        self.types = types
        self.useStemmer = useStemmer
        self.splitSummaries = splitSummaries
        self.sentenceSplitter = sentenceSplitter
    }

    /// A scorer from rouge-score type names ("rouge1", "rougeL", …); unknown names throw.
    public init(typeNames: [String], useStemmer: Bool = false, splitSummaries: Bool = false) throws {
        self.init(types: try typeNames.map(RougeType.init(name:)), useStemmer: useStemmer, splitSummaries: splitSummaries)
    }

    /// Per-type scores of `prediction` against `target`, in `types` order.
    ///
    /// A type that `validate()` rejects (`.n(k)` with k < 1) scores zero.
    public func score(target: String, prediction: String) -> [RougeScore] {
        var work = RougeWorkspace(self)
        return work.score(targets: [target], prediction: prediction)
    }

    /// Scores against several targets, keeping per type the target with the highest
    /// F1 (the first one on ties), as rouge-score's `score_multi`.
    ///
    /// rouge-score raises on an empty `targets`; here that scores against an empty
    /// target (all zeros). `scoreAll` reports it as an error instead.
    public func scoreMulti(targets: [String], prediction: String) -> [RougeScore] {
        var work = RougeWorkspace(self)
        return work.score(targets: targets.isEmpty ? [""] : targets, prediction: prediction)
    }

    /// Many pairs at once on both cores, same results as calling score one by one (per-row results in order).
    ///
    /// Row i scores `predictions[i]` against `targets[i]`: one target is `score`, several
    /// are `scoreMulti`. `threads` 0 uses every core; results are identical for any count.
    public func scoreAll(targets: [[String]], predictions: [String], threads: Int = 0) throws -> [[RougeScore]] {
        try validate()
        guard targets.count == predictions.count else {
            throw EvalError.invalid(
                "ROUGE: \(targets.count) target lists but \(predictions.count) predictions; "
                    + "pass one list of targets (references) per prediction, in the same order")
        }
        if let row = targets.firstIndex(where: { $0.isEmpty }) {
            throw EvalError.invalid(
                "ROUGE: row \(row) has no target (reference) text; give at least one target per prediction")
        }
        let rows = Array(0..<predictions.count)
        let (results, _) = ParallelMap.map(
            rows, threads: threads > 0 ? threads : ParallelMap.defaultThreads,
            state: { RougeWorkspace(self, capacity: 8192) }
        ) { i, work -> [RougeScore] in
            work.trimBetweenPairs()
            return work.score(targets: targets[i], prediction: predictions[i])
        }
        return results
    }

    /// Throws when a type cannot be scored or `splitSummaries` has no splitter for rougeLsum.
    public func validate() throws {
        for (i, t) in types.enumerated() {
            if let problem = t.problem { throw EvalError.invalid("ROUGE types[\(i)]: \(problem)") }
        }
        if splitSummaries, sentenceSplitter == nil, types.contains(.lsum) {
            throw EvalError.invalid(
                "ROUGE: splitSummaries needs a sentenceSplitter (rouge-score uses NLTK's Punkt English "
                    + "model, which Weft does not ship); pass one, or put one sentence per line and "
                    + "set splitSummaries to false")
        }
    }

    /// The tokens rouge-score's default tokenizer makes of `text` (lowercased, [a-z0-9]
    /// runs, stems when `useStemmer`).
    public func tokenize(_ text: String) -> [String] {
        var interner = RougeInterner(useStemmer: useStemmer)
        return interner.strings(text)
    }
}
