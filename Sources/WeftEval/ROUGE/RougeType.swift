/// One ROUGE variant, named as Google's `rouge-score` names it.
///
/// - `.n(k)`: n-gram overlap of length k ("rouge1" … "rouge9" by name).
/// - `.l`: longest common subsequence of the two whole token sequences ("rougeL").
/// - `.lsum`: summary-level LCS over newline-separated sentences ("rougeLsum").
///
/// reference: rouge-score 0.1.2 `rouge_scorer.RougeScorer.score` (type names and the
/// `rouge[0-9]$` pattern, so by name k is 1…9).
public enum RougeType: Hashable, Sendable, CustomStringConvertible {
    /// n-gram overlap of length k.
    case n(Int)
    /// Longest common subsequence of the whole texts.
    case l
    /// Summary-level (union) LCS over sentences.
    case lsum

    /// The names `init(name:)` accepts, in the order error messages list them.
    public static let acceptedNames: [String] = (1...9).map { "rouge\($0)" } + ["rougeL", "rougeLsum"]

    /// "rouge1"..."rouge9", "rougeL", "rougeLsum"; unknown names throw EvalError listing the accepted ones.
    public init(name: String) throws {
        switch name {
        case "rougeL": self = .l
        case "rougeLsum": self = .lsum
        default:
            let utf8 = Array(name.utf8)
            // reference: rouge-score accepts exactly one digit after "rouge" and rejects 0.
            if utf8.count == 6, name.hasPrefix("rouge"), let d = utf8.last, d >= 0x31, d <= 0x39 {
                self = .n(Int(d - 0x30))
                return
            }
            let hint = name == "rouge0" ? " (n-gram ROUGE needs n ≥ 1)" : ""
            throw EvalError.invalid(
                "unknown ROUGE type '\(name)'\(hint); use one of "
                    + RougeType.acceptedNames.joined(separator: ", "))
        }
    }

    /// The rouge-score name of this type ("rouge2", "rougeL", "rougeLsum").
    public var description: String {
        switch self {
        case .n(let k): return "rouge\(k)"
        case .l: return "rougeL"
        case .lsum: return "rougeLsum"
        }
    }

    /// Why this type cannot be scored, or nil when it can.
    var problem: String? {
        if case .n(let k) = self, k < 1 {
            return "ROUGE type rouge\(k) is not defined: n-gram ROUGE needs n ≥ 1 (rouge1 … rouge9)"
        }
        return nil
    }
}

/// Precision, recall and F1 of one ROUGE type for one prediction, as rouge-score's `Score`.
public struct RougeScore: Sendable, Equatable {
    /// Matched units over the prediction's units.
    public var precision: Double
    /// Matched units over the target's units.
    public var recall: Double
    /// Harmonic mean of precision and recall (0 when both are 0).
    public var fmeasure: Double

    /// A score from its three parts, taken as given.
    public init(precision: Double, recall: Double, fmeasure: Double) {
        self.precision = precision
        self.recall = recall
        self.fmeasure = fmeasure
    }

    /// All three parts zero: what rouge-score returns when either side has no tokens.
    public static let zero = RougeScore(precision: 0, recall: 0, fmeasure: 0)

    /// Precision and recall from integer counts, F1 computed in rouge-score's operation order.
    ///
    /// reference: rouge-score 0.1.2 `scoring.fmeasure` is `2 * p * r / (p + r)`, or 0 when
    /// `p + r` is 0; the divisions are Python true divisions of integers (exact
    /// for counts below 2^53, so one IEEE division each).
    static func from(hits: Int, predictionCount: Int, targetCount: Int) -> RougeScore {
        let p = Double(hits) / Double(predictionCount)
        let r = Double(hits) / Double(targetCount)
        let f = p + r > 0 ? 2 * p * r / (p + r) : 0
        return RougeScore(precision: p, recall: r, fmeasure: f)
    }
}
