import Foundation

/// Aggregates the metrics of K cross-validation folds as mean and standard deviation
/// per metric (population standard deviation, ddof = 0, as `numpy.std` and the usual
/// `scores.mean(), scores.std()` report of scikit-learn's `cross_val_score`).
public enum CrossValidation {
    /// One metric's mean and spread over the folds that report it.
    public struct Summary: Sendable, Equatable {
        public var mean: Double
        public var std: Double
        public var folds: Int
    }

    /// For every numeric key present in at least one fold (first-seen order), its
    /// summary over the folds that have it; non-numeric values are skipped.
    public static func aggregate(_ folds: [[(String, Double)]]) throws -> [(String, Summary)] {
        guard !folds.isEmpty else { throw EvalError.invalid("cross-validation needs at least one fold's metrics") }
        var order: [String] = []
        var values: [String: [Double]] = [:]
        for fold in folds {
            for (k, v) in fold where v.isFinite {
                if values[k] == nil { order.append(k) }
                values[k, default: []].append(v)
            }
        }
        return order.map { k in
            let v = values[k]!
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
            return (k, Summary(mean: mean, std: variance.squareRoot(), folds: v.count))
        }
    }
}
