/// What a precision, recall or F score is when its denominator is zero, as
/// scikit-learn's `zero_division` parameter.
///
/// `.warn` gives 0 like `.zero` and also reports which scores were ill-defined in
/// `ClassificationReport.warnings` (scikit-learn raises an `UndefinedMetricWarning`).
public enum ZeroDivision: Sendable, Equatable {
    case warn, zero, one, nan

    /// Parses a parameter value: `warn`, `0`, `1` or `nan` (also `0.0`, `1.0`, `zero`, `one`).
    public init(name: String) throws {
        switch name.lowercased() {
        case "warn": self = .warn
        case "0", "0.0", "zero": self = .zero
        case "1", "1.0", "one": self = .one
        case "nan": self = .nan
        default:
            throw EvalError.invalid(
                "zero_division: unknown value \"\(name)\"; use warn, 0, 1 or nan")
        }
    }

    /// The score given to a zero denominator.
    // reference: scikit-learn 1.9.1 _check_zero_division ("warn" counts as 0)
    var value: Double {
        switch self {
        case .warn, .zero: return 0
        case .one: return 1
        case .nan: return .nan
        }
    }
}

/// The arithmetic of precision, recall, F-beta and their averages from per-label counts,
/// with scikit-learn's zero-denominator rules and warning texts.
// reference: scikit-learn 1.9.1 precision_recall_fscore_support, _prf_divide, _warn_prf,
// utils.extmath._nanaverage
struct ScoreMath {
    let zeroDivision: ZeroDivision
    let beta: Double

    /// Scores of one or more labels, and which of them hit a zero denominator.
    struct Scores {
        var precision: [Double] = []
        var recall: [Double] = []
        var f: [Double] = []
        var precisionIllDefined = false
        var recallIllDefined = false
        var fIllDefined = false
    }

    /// Per-label scores from true positives, predicted counts and true counts (supports).
    func scores(hits: [Int], predicted: [Int], truth: [Int]) -> Scores {
        var s = Scores()
        let zero = zeroDivision.value
        let beta2 = beta * beta
        s.precision.reserveCapacity(hits.count)
        s.recall.reserveCapacity(hits.count)
        s.f.reserveCapacity(hits.count)
        for i in hits.indices {
            let tp = Double(hits[i])
            let p: Double
            if predicted[i] == 0 {
                p = zero
                s.precisionIllDefined = true
            } else {
                p = tp / Double(predicted[i])
            }
            let r: Double
            if truth[i] == 0 {
                r = zero
                s.recallIllDefined = true
            } else {
                r = tp / Double(truth[i])
            }
            let f: Double
            if beta == .infinity {
                f = r  // reference: F-infinity is recall, with recall's zero_division value
            } else if beta == 0 {
                f = p
            } else {
                // Counts form, not 2pr/(p+r): a label with predictions or truths but no hit
                // scores 0 whatever zero_division is (reference: sklearn ≥ 1.3).
                let den = beta2 * Double(truth[i]) + Double(predicted[i])
                if den == 0 {
                    f = zero
                    s.fIllDefined = true
                } else {
                    f = (1 + beta2) * tp / den
                }
            }
            s.precision.append(p)
            s.recall.append(r)
            s.f.append(f)
        }
        return s
    }

    /// Mean of the values that are not NaN; NaN when all are (or there are none).
    // reference: numpy.nanmean through sklearn _nanaverage
    static func nanMean(_ values: [Double]) -> Double {
        var sum = 0.0
        var n = 0
        for v in values where !v.isNaN {
            sum += v
            n += 1
        }
        return n == 0 ? .nan : sum / Double(n)
    }

    /// Weighted mean of the values that are not NaN; when the remaining weights sum to
    /// zero, their plain mean (scikit-learn catches numpy's ZeroDivisionError that way).
    static func nanWeightedMean(_ values: [Double], weights: [Int]) -> Double {
        var sum = 0.0
        var total = 0.0
        var kept = 0
        for (v, w) in zip(values, weights) where !v.isNaN {
            sum += v * Double(w)
            total += Double(w)
            kept += 1
        }
        if kept == 0 { return .nan }
        if total == 0 { return nanMean(values) }
        return sum / total
    }

    /// scikit-learn's UndefinedMetricWarning texts for a result of `size` scores.
    func warnings(for s: Scores, size: Int) -> [String] {
        guard zeroDivision == .warn else { return [] }
        let place = size == 1 ? "due to" : "in labels with"
        func text(_ metric: String, _ what: String) -> String {
            "\(metric) is ill-defined and being set to 0.0 \(place) no \(what) samples. "
                + "Use `zero_division` parameter to control this behavior."
        }
        var out: [String] = []
        if s.precisionIllDefined { out.append(text("Precision", "predicted")) }
        if s.recallIllDefined { out.append(text("Recall", "true")) }
        if s.fIllDefined { out.append(text("F-score", "true nor predicted")) }
        return out
    }

    /// scikit-learn's UserWarning for a confusion matrix of one label.
    static let singleLabelWarning =
        "A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to have the "
        + "correct shape, use the 'labels' parameter to pass all known labels."
}
