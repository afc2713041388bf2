/// Train/validation/test splits and K folds, stratified by label, seeded.
///
/// Two streaming passes: the first counts rows per label (memory: one label per
/// row), the second sends each row to its part. Within each label the rows' order is
/// shuffled with a Fisher–Yates permutation drawn from SplitMix64(seed, label), and
/// the first `round(n·test)` go to test, the next `round(n·validation)` to
/// validation, the rest to train (a label with one row always lands in train, so no
/// class disappears from training). With `kfold: K` the non-test rows of each label
/// are dealt round-robin over K folds in shuffled order (fold sizes per label differ
/// by at most one); fold k's validation is fold k and its train is every other fold.
/// Rows keep their input order inside every output file.
public struct Splitter {
    /// Ratios and mode.
    public struct Options: Sendable {
        public var validation: Double = 0.1
        public var test: Double = 0.1
        public var kfold = 0
        public var seed: UInt64 = 0
        /// nil: no stratification (one group).
        public var labelField: String? = "label"
        public init() {}
    }

    /// Where one row goes: test, or a fold/validation index.
    public enum Part: Equatable, Sendable {
        case train, validation, test
        /// K-fold: the fold this row validates (it trains every other fold).
        case fold(Int)
    }

    public let options: Options
    /// Label of each row (pass 1), as text; rows without the field share "" (no stratum).
    var labels: [String] = []
    var assignment: [Part] = []

    /// Checks the ratios.
    public init(options: Options) throws {
        guard options.validation >= 0, options.test >= 0, options.validation + options.test < 1 || options.kfold > 1 && options.test < 1 else {
            throw TextError.config(key: "with.validation/with.test", message: "ratios must be ≥ 0 and leave rows for training (validation + test < 1)",
                                   hint: "e.g. validation: 0.1, test: 0.1")
        }
        guard options.kfold == 0 || options.kfold >= 2 else {
            throw TextError.config(key: "with.kfold", message: "kfold must be 0 (off) or at least 2", hint: "")
        }
        self.options = options
    }

    /// Pass 1: records one row's label.
    public mutating func count(_ row: Row) {
        labels.append(options.labelField.flatMap { row.scalarText($0) } ?? "")
    }

    /// Decides every row's part once all rows are counted.
    public mutating func assign() {
        var byLabel: [String: [Int]] = [:]
        for (i, l) in labels.enumerated() { byLabel[l, default: []].append(i) }
        assignment = Array(repeating: .train, count: labels.count)
        for (label, rows) in byLabel {
            var rng = SplitMix64(seed: options.seed ^ SplitMix64.hash(label))
            var order = rows
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
            let n = order.count
            var nTest = Int((Double(n) * options.test).rounded())
            var nVal = options.kfold > 1 ? 0 : Int((Double(n) * options.validation).rounded())
            if n - nTest - nVal < 1 {  // keep at least one training row per label
                let over = 1 - (n - nTest - nVal)
                let fromVal = min(nVal, over)
                nVal -= fromVal
                nTest -= min(nTest, over - fromVal)
            }
            for (k, i) in order.enumerated() {
                if k < nTest {
                    assignment[i] = .test
                } else if options.kfold > 1 {
                    assignment[i] = .fold((k - nTest) % options.kfold)
                } else {
                    assignment[i] = k < nTest + nVal ? .validation : .train
                }
            }
        }
    }

    /// The part of the `index`-th row (0-based, in input order).
    public func part(of index: Int) -> Part { assignment[index] }

    /// Rows per label (for reports), sorted by label.
    public var labelCounts: [(String, Int)] {
        var c: [String: Int] = [:]
        for l in labels { c[l, default: 0] += 1 }
        return c.sorted { $0.key < $1.key }
    }
}
