import Foundation

/// Precision, recall and F averaged over the report's labels one way (micro, macro or weighted).
public struct AveragedScores: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    /// F-beta with the metrics' beta (F1 by default).
    public var f1: Double

    /// Scores from their three values.
    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }
}

/// Everything scikit-learn's `accuracy_score`, `precision_recall_fscore_support` (average
/// None, micro, macro, weighted) and `confusion_matrix` say about one labelled set.
public struct ClassificationReport: Sendable {
    /// The labels scored, in the order of every per-label array and of the matrix.
    public var labels: [ClassLabel]
    /// Share of rows whose prediction equals the truth (over all rows, whatever `labels`).
    public var accuracy: Double
    /// Rows whose prediction equals the truth.
    public var correct: Int
    /// Rows scored.
    public var count: Int
    /// The beta of the F scores (1: F1).
    public var beta: Double
    /// Per label: true positives / predicted positives.
    public var precision: [Double]
    /// Per label: true positives / actual positives.
    public var recall: [Double]
    /// Per label: F-beta, computed from counts as (1+β²)·tp / ((1+β²)·tp + β²·fn + fp).
    public var f1: [Double]
    /// Per label: rows whose truth is that label.
    public var support: [Int]
    /// Per label: rows predicted as that label.
    public var predicted: [Int]
    /// Scores from the counts summed over `labels`.
    public var micro: AveragedScores
    /// Unweighted mean of the per-label scores (NaN scores left out).
    public var macro: AveragedScores
    /// Mean of the per-label scores weighted by support (NaN scores left out).
    public var weighted: AveragedScores
    /// Rows = true label, columns = predicted label, in `labels` order. Rows whose truth or
    /// prediction is not in `labels` are not counted. Empty when more than 4,096 labels.
    public var confusion: [[Int]]
    /// What scikit-learn would have warned about (ill-defined scores under
    /// `zero_division: warn`, a 1×1 confusion matrix), each message once.
    public var warnings: [String]
}

extension ClassificationReport {
    /// A plain-text table in the style of scikit-learn's `classification_report`.
    public func table(digits: Int = 2) -> String {
        func fmt(_ v: Double) -> String {
            v.isNaN ? "nan" : String(format: "%.\(digits)f", v)
        }
        let names = labels.map(\.description)
        let width = max(names.map(\.count).max() ?? 0, "weighted avg".count, digits)
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        let cols = ["precision", "recall", "f1-score", "support"]
        var lines = [pad("", width) + cols.map { " " + pad($0, 9) }.joined()]
        lines.append("")
        for i in labels.indices {
            let cells = [fmt(precision[i]), fmt(recall[i]), fmt(f1[i]), String(support[i])]
            lines.append(pad(names[i], width) + cells.map { " " + pad($0, 9) }.joined())
        }
        lines.append("")
        let total = String(support.reduce(0, +))
        lines.append(pad("accuracy", width) + " " + pad("", 9) + " " + pad("", 9) + " " + pad(fmt(accuracy), 9) + " " + pad(String(count), 9))
        for (name, s) in [("micro avg", micro), ("macro avg", macro), ("weighted avg", weighted)] {
            let cells = [fmt(s.precision), fmt(s.recall), fmt(s.f1), total]
            lines.append(pad(name, width) + cells.map { " " + pad($0, 9) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
