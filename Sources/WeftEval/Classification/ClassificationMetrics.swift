/// Accuracy, precision, recall, F-beta, support and the confusion matrix of a labelled set,
/// equal to scikit-learn 1.9.1's `accuracy_score`, `precision_recall_fscore_support`
/// (average None, micro, macro, weighted) and `confusion_matrix`.
///
/// Label set: without explicit `labels`, the distinct labels of truths and predictions,
/// sorted (scikit-learn's `unique_labels`). With `labels`, exactly those in that order:
/// labels absent from the data score as empty classes, and data labels left out are not
/// scored (so micro averages count only the listed labels' rows), as in scikit-learn.
/// Accuracy always counts every row.
///
/// Departures, each a clear `EvalError` where scikit-learn returns something odd: labels
/// mixing integers and strings (also within one array, which NumPy silently turns into
/// strings), explicit labels of the other kind than the data, repeated or empty explicit
/// labels. `confusion_matrix` raises when no listed label occurs in the truths; here the
/// matrix is then all zeros, since precision/recall are still defined.
public struct ClassificationMetrics: Sendable {
    /// Labels to score, in report order; `nil`: every label seen, sorted.
    public var labels: [ClassLabel]?
    /// The value of a score whose denominator is zero.
    public var zeroDivision: ZeroDivision
    /// Weight of recall in the F score (1: F1; 0: precision; infinity: recall).
    public var beta: Double

    /// Metrics with scikit-learn's defaults (`zero_division="warn"`, beta 1).
    public init(labels: [ClassLabel]? = nil, zeroDivision: ZeroDivision = .warn, beta: Double = 1) {
        self.labels = labels
        self.zeroDivision = zeroDivision
        self.beta = beta
    }

    /// Scores predictions against truths (one prediction per truth, at least one row).
    public func report(truths: [ClassLabel], predictions: [ClassLabel]) throws -> ClassificationReport {
        try checkRows(truths.count, predictions.count)
        let encoded = try LabelEncoding.encode(truths: truths, predictions: predictions)
        let counts = try countCodes(encoded.truth, encoded.prediction, encoded.labels)
        return try finish(
            universe: encoded.labels, present: Array(encoded.labels.indices), counts: counts,
            truth: encoded.truth, prediction: encoded.prediction)
    }

    /// Fast path on int codes 0..<classCount (the caller has already encoded labels)
    ///
    /// Code `c` stands for `labels[c]`; `labels` need not be sorted and may hold labels
    /// that never occur. The result equals `report(truths:predictions:)` on the decoded
    /// labels: without explicit `self.labels`, only the labels that occur are scored, sorted.
    public func report(truthCodes: [Int32], predictionCodes: [Int32], labels: [ClassLabel]) throws
        -> ClassificationReport
    {
        try checkRows(truthCodes.count, predictionCodes.count)
        try Self.checkUnique(labels, name: "code labels")
        let counts = try countCodes(truthCodes, predictionCodes, labels)
        let present = labels.indices.filter { counts.truth[$0] + counts.predicted[$0] > 0 }
            .sorted { labels[$0] < labels[$1] }
        if let first = present.first, let last = present.last, labels[first].isInt != labels[last].isInt {
            throw LabelEncoding.mixError(
                truths: truthCodes.map { labels[Int($0)] }, predictions: predictionCodes.map { labels[Int($0)] })
        }
        return try finish(
            universe: labels, present: present, counts: counts, truth: truthCodes, prediction: predictionCodes)
    }

    private func checkRows(_ truths: Int, _ predictions: Int) throws {
        if truths != predictions {
            throw EvalError.invalid(
                "truths has \(truths) rows but predictions has \(predictions); pass one prediction per truth")
        }
        if truths == 0 {
            throw EvalError.invalid(
                "no rows to score: truths and predictions are empty; pass at least one labelled row")
        }
        if beta.isNaN || beta < 0 {
            throw EvalError.invalid("beta must be a number ≥ 0 (got \(beta)); use 1 for F1")
        }
    }

    private static func checkUnique(_ labels: [ClassLabel], name: String) throws {
        if labels.isEmpty {
            throw EvalError.invalid("\(name) is empty; list at least one label, or leave it out to use every label")
        }
        var seen = [ClassLabel: Int](minimumCapacity: labels.count)
        for (i, label) in labels.enumerated() {
            if let j = seen[label] {
                throw EvalError.invalid("\(name)[\(i)] repeats \(name)[\(j)] (the \(label.quoted)); list each label once")
            }
            seen[label] = i
        }
    }

    private func countCodes(_ truth: [Int32], _ prediction: [Int32], _ labels: [ClassLabel]) throws -> ClassCounts {
        let result = truth.withUnsafeBufferPointer { t in
            prediction.withUnsafeBufferPointer { p in ClassCounts.count(truth: t, prediction: p, classCount: labels.count) }
        }
        switch result {
        case .success(let counts): return counts
        case .failure(let bad):
            let (field, code) =
                UInt32(bitPattern: truth[bad.row]) >= labels.count ? ("truth", truth[bad.row]) : ("prediction", prediction[bad.row])
            throw EvalError.invalid(
                "row \(bad.row): \(field) code \(code) is outside 0..<\(labels.count) (the number of labels); "
                    + "encode every label as its index in labels")
        }
    }

    /// Selects the labels to score, computes scores, averages, matrix and warnings.
    /// `present`: codes of the labels that occur, in label order.
    private func finish(
        universe: [ClassLabel], present: [Int], counts: ClassCounts, truth: [Int32], prediction: [Int32]
    ) throws -> ClassificationReport {
        var selected = present
        var names = present.map { universe[$0] }
        if let explicit = labels {
            try Self.checkUnique(explicit, name: "labels")
            let dataIsInt = universe[present[0]].isInt
            if let i = explicit.firstIndex(where: { $0.isInt != dataIsInt }) {
                throw EvalError.invalid(
                    "labels[\(i)] is the \(explicit[i].quoted), but the data's labels are \(dataIsInt ? "integers" : "strings"); "
                        + "list labels of the same kind as the data")
            }
            var code = [ClassLabel: Int](minimumCapacity: universe.count)
            for (i, label) in universe.enumerated() { code[label] = i }
            selected = explicit.map { code[$0] ?? -1 }
            names = explicit
        }
        func pick(_ v: [Int]) -> [Int] { selected.map { $0 >= 0 ? v[$0] : 0 } }
        let hits = pick(counts.hits), predicted = pick(counts.predicted), support = pick(counts.truth)

        let math = ScoreMath(zeroDivision: zeroDivision, beta: beta)
        let each = math.scores(hits: hits, predicted: predicted, truth: support)
        let sums = math.scores(
            hits: [hits.reduce(0, +)], predicted: [predicted.reduce(0, +)], truth: [support.reduce(0, +)])
        var warnings = math.warnings(for: each, size: selected.count)
        for w in math.warnings(for: sums, size: 1) where !warnings.contains(w) { warnings.append(w) }

        let confusion = truth.withUnsafeBufferPointer { t in
            prediction.withUnsafeBufferPointer { p in counts.confusion(selected: selected, truth: t, prediction: p) }
        }
        if confusion == nil {
            warnings.append(
                "confusion matrix left out: \(selected.count) labels would need \(selected.count * selected.count) cells "
                    + "(at most \(ClassCounts.confusionCellLimit)); pass fewer labels to get it")
        } else if selected.count == 1 {
            warnings.append(ScoreMath.singleLabelWarning)
        }
        let correct = counts.correct
        return ClassificationReport(
            labels: names, accuracy: Double(correct) / Double(counts.rows), correct: correct, count: counts.rows,
            beta: beta, precision: each.precision, recall: each.recall, f1: each.f, support: support,
            predicted: predicted,
            micro: AveragedScores(precision: sums.precision[0], recall: sums.recall[0], f1: sums.f[0]),
            macro: AveragedScores(
                precision: ScoreMath.nanMean(each.precision), recall: ScoreMath.nanMean(each.recall),
                f1: ScoreMath.nanMean(each.f)),
            weighted: AveragedScores(
                precision: ScoreMath.nanWeightedMean(each.precision, weights: support),
                recall: ScoreMath.nanWeightedMean(each.recall, weights: support),
                f1: ScoreMath.nanWeightedMean(each.f, weights: support)),
            confusion: confusion ?? [], warnings: warnings)
    }
}
