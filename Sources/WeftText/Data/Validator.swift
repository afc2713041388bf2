/// Declarative data checks for the `validate` stage: per-row rules (required fields,
/// types, non-empty text, length bounds, allowed labels) and whole-file rules (class
/// imbalance, duplicate rate). Streams rows; keeps only label counts, 128-bit text
/// hashes as `dedup` computes them (for the duplicate rate) and the first offending lines of each rule.
public struct Validator {
    /// The rules; an empty/zero rule is off.
    public struct Rules: Sendable {
        public var textField = "text"
        public var labelField = "label"
        public var required: [String] = []
        /// field → expected JSON kind.
        public var types: [(String, Row.Kind)] = []
        public var nonEmpty: [String] = []
        public var minChars = 0, maxChars = 0, minWords = 0, maxWords = 0
        public var allowedLabels: [String] = []
        /// Largest class count / smallest class count must not exceed this (0: off).
        public var maxImbalance = 0.0
        /// Exact duplicates of the text (lowercased, whitespace collapsed, as `dedup` compares) / rows (negative: off).
        public var maxDuplicateRate = -1.0
        public init() {}
    }

    /// One violated rule: its name as written in `with:`, how many rows broke it, and
    /// the first offending lines with a reason.
    public struct Violation: Sendable, CustomStringConvertible {
        public var rule: String
        public var count: Int
        public var examples: [(line: Int, detail: String)]
        public var description: String {
            let ex = examples.map { $0.line > 0 ? "line \($0.line): \($0.detail)" : $0.detail }.joined(separator: "; ")
            return "\(rule): \(count) " + (count == 1 ? "violation" : "violations") + (ex.isEmpty ? "" : " (\(ex))")
        }
    }

    public let rules: Rules
    public let path: String
    public private(set) var rows = 0
    public private(set) var labelCounts: [String: Int] = [:]
    var seen = Set<Hash128>()
    /// The dedup stage's normaliser, so both agree on what a duplicate is.
    var normalizer = DedupText()
    public private(set) var duplicates = 0
    var found: [String: Violation] = [:]
    var order: [String] = []
    static let maxExamples = 5

    public init(rules: Rules, path: String) {
        self.rules = rules
        self.path = path
    }

    mutating func flag(_ rule: String, _ line: Int, _ detail: String) {
        if found[rule] == nil { found[rule] = Violation(rule: rule, count: 0, examples: []); order.append(rule) }
        found[rule]!.count += 1
        if found[rule]!.examples.count < Self.maxExamples { found[rule]!.examples.append((line, detail)) }
    }

    /// Checks one row.
    public mutating func check(_ row: Row) {
        rows += 1
        let r = rules
        for f in r.required where !row.has(f) { flag("required", row.line, "missing '\(f)'") }
        for (f, kind) in r.types {
            if let k = row.kind(f), k != kind { flag("types", row.line, "'\(f)' is \(k.rawValue), expected \(kind.rawValue)") }
        }
        for f in r.nonEmpty {
            let s = row.string(f)
            if s == nil || s!.allSatisfy(\.isWhitespace) { flag("non_empty", row.line, "'\(f)' is empty or not a string") }
        }
        if r.minChars > 0 || r.maxChars > 0 || r.minWords > 0 || r.maxWords > 0 || r.maxDuplicateRate >= 0, let text = row.string(r.textField) {
            let chars = text.unicodeScalars.count
            if r.minChars > 0, chars < r.minChars { flag("min_chars", row.line, "\(chars) chars") }
            if r.maxChars > 0, chars > r.maxChars { flag("max_chars", row.line, "\(chars) chars") }
            if r.minWords > 0 || r.maxWords > 0 {
                let words = text.split(whereSeparator: \.isWhitespace).count
                if r.minWords > 0, words < r.minWords { flag("min_words", row.line, "\(words) words") }
                if r.maxWords > 0, words > r.maxWords { flag("max_words", row.line, "\(words) words") }
            }
            if r.maxDuplicateRate >= 0 {
                normalizer.load(text, normalize: true)
                if !seen.insert(normalizer.exactHash()).inserted { duplicates += 1 }
            }
        }
        if let label = row.scalarText(r.labelField) {
            labelCounts[label, default: 0] += 1
            if !r.allowedLabels.isEmpty, !r.allowedLabels.contains(label) { flag("labels", row.line, "label '\(label)' is not allowed") }
        } else if !r.allowedLabels.isEmpty {
            flag("labels", row.line, "no scalar '\(r.labelField)'")
        }
    }

    /// The violations, per-row rules first (in the order first seen), then file rules.
    public mutating func finish() -> [Violation] {
        var out = order.map { found[$0]! }
        if rules.maxImbalance > 0, let hi = labelCounts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }),
            let lo = labelCounts.min(by: { ($0.value, $0.key) < ($1.value, $1.key) })
        {
            let ratio = Double(hi.value) / Double(lo.value)
            if ratio > rules.maxImbalance {
                out.append(Violation(rule: "max_imbalance", count: 1, examples: [
                    (0, "largest class '\(hi.key)' has \(hi.value) rows, smallest '\(lo.key)' \(lo.value): ratio \(formatRatio(ratio)) > \(formatRatio(rules.maxImbalance))")
                ]))
            }
        }
        if rules.maxDuplicateRate >= 0, rows > 0 {
            let rate = Double(duplicates) / Double(rows)
            if rate > rules.maxDuplicateRate {
                out.append(Violation(rule: "max_duplicate_rate", count: duplicates, examples: [
                    (0, "\(duplicates) of \(rows) rows repeat an earlier text: rate \(formatRatio(rate)) > \(formatRatio(rules.maxDuplicateRate))")
                ]))
            }
        }
        return out
    }

    func formatRatio(_ x: Double) -> String {
        let s = String(Double((x * 10000).rounded()) / 10000)
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }
}
