import Foundation
import WeftCore
import WeftText

/// `uses: validate` — declarative rules over a data file. Writes a report and fails
/// the stage, naming each violated rule with counts and the first offending lines,
/// unless `on_violation: warn`.
public enum ValidateStage: BuiltinStage {
    public static let name = "validate"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        var r = Validator.Rules()
        r.textField = try ctx.string("text_field")
        r.labelField = try ctx.string("label_field")
        r.required = try ctx.strings("required")
        if case .dict(let d)? = ctx.with["types"] {
            r.types = try d.map { field, v in
                guard let name = v.interpolationText, let kind = Row.Kind(rawValue: name) else {
                    throw TextError.config(key: "with.types.\(field)", message: "unknown type '\(v.display)'",
                                           hint: "use one of " + ["string", "number", "bool", "null", "array", "object"].joined(separator: ", "))
                }
                return (field, kind)
            }
        }
        r.nonEmpty = try ctx.strings("non_empty")
        r.minChars = try ctx.int("min_chars")
        r.maxChars = try ctx.int("max_chars")
        r.minWords = try ctx.int("min_words")
        r.maxWords = try ctx.int("max_words")
        r.allowedLabels = try ctx.strings("labels")
        r.maxImbalance = try ctx.double("max_imbalance")
        r.maxDuplicateRate = try ctx.double("max_duplicate_rate")
        let warnOnly = try ctx.string("on_violation") == "warn"

        var reader = try TextStageSupport.reader(ctx)
        var v = Validator(rules: r, path: reader.path)
        while let batch = try reader.nextBatch() { for row in batch { v.check(row) } }
        let violations = v.finish()
        let report: [String: Any] = [
            "rows": v.rows, "passed": violations.isEmpty, "labels": v.labelCounts, "duplicates": v.duplicates,
            "invalid_utf8_lines": reader.invalidUTF8Lines,
            "violations": violations.map { x in
                ["rule": x.rule, "count": x.count, "examples": x.examples.map { ["line": $0.line, "detail": $0.detail] }] as [String: Any]
            },
        ]
        try TextStageSupport.writeJSON(report, to: try ctx.string("report"))
        TextStageSupport.logThroughput(ctx, "validate", rows: v.rows, bytes: reader.bytesRead, since: start)
        guard !violations.isEmpty else {
            ctx.log("validate: \(reader.path): all rules hold (\(v.rows) rows)")
            return
        }
        let lines = violations.map { "  - \($0)" }.joined(separator: "\n")
        if warnOnly {
            ctx.log("validate: \(reader.path): \(violations.count) rules violated (on_violation: warn)\n" + lines)
            return
        }
        throw TextError.data(path: reader.path, line: 0, message: "\(violations.count) validation " + (violations.count == 1 ? "rule" : "rules") + " violated:\n" + lines,
                             hint: "fix the data upstream, relax the rule in with:, or set on_violation: warn")
    }
}
