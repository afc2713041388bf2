import Foundation
import WeftCore
import WeftText

/// `uses: clean` — the configurable text cleaning pipeline of `TextCleaner` over the
/// text field of every row; other fields pass through untouched. Writes a report of
/// what each step changed and dropped.
public enum CleanStage: BuiltinStage {
    public static let name = "clean"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        var o = TextCleaner.Options()
        o.html = try ctx.bool("html")
        o.removeControl = try ctx.bool("remove_control")
        o.normalization = try ctx.choice("normalize", as: TextCleaner.Normalization.self)
        o.urls = try ctx.choice("urls", as: TextCleaner.PIIAction.self)
        o.emails = try ctx.choice("emails", as: TextCleaner.PIIAction.self)
        o.phones = try ctx.choice("phones", as: TextCleaner.PIIAction.self)
        o.keepClasses = Set(try ctx.strings("keep_classes").map { name in
            guard let c = TextCleaner.CharClass(rawValue: name) else {
                throw TextError.config(key: "with.keep_classes", message: "unknown class '\(name)'",
                                       hint: "use " + TextCleaner.CharClass.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return c
        })
        o.collapseWhitespace = try ctx.bool("collapse_whitespace")
        o.lowercase = try ctx.bool("lowercase")
        o.minChars = try ctx.int("min_chars")
        o.maxChars = try ctx.int("max_chars")
        o.minWords = try ctx.int("min_words")
        o.maxWords = try ctx.int("max_words")
        let words = try WordTransforms(ctx)
        let cleaner = TextCleaner(options: o, lemmatize: words.lemmatize, stem: words.stem)

        var reader = try TextStageSupport.reader(ctx)
        let inputPath = reader.path
        let field = try ctx.string("text_field")
        let writer = try AtomicWriter(path: try ctx.string("output"))
        var stats = TextCleaner.Stats()
        let totals = try RowPipeline.run(
            &reader, into: writer, threads: try ctx.threads(), state: { TextCleaner.Stats() }, merge: { stats.merge($0) }
        ) { row, st in
            let text = try TextStageSupport.text(row, field, path: inputPath)
            guard let cleaned = cleaner.clean(text, stats: &st) else { return nil }
            var out = row
            out.set(field, cleaned)
            return out
        }
        let steps = TextCleaner.Step.allCases.filter { cleaner.runs($0) }
        let report: [String: Any] = [
            "rows_in": totals.rowsIn, "rows_out": totals.rowsOut,
            "dropped": stats.dropped, "invalid_utf8_lines": totals.invalidUTF8Lines, "blank_lines_skipped": totals.blankLines,
            "steps": Dictionary(uniqueKeysWithValues: steps.map { s in
                (s.rawValue, ["rows_changed": stats.changed[s] ?? 0, "chars_removed": stats.removedChars[s] ?? 0]
                    .merging(stats.masked[s].map { ["matches": $0] } ?? [:]) { a, _ in a })
            }),
        ]
        if let path = try ctx.optionalString("report") { try TextStageSupport.writeJSON(report, to: path) }
        try writer.commit()
        for s in steps {
            ctx.log("clean: \(s.rawValue): \(stats.changed[s] ?? 0) rows changed, \(stats.removedChars[s] ?? 0) chars removed"
                + (stats.masked[s].map { ", \($0) matches" } ?? ""))
        }
        for (k, v) in stats.dropped.sorted(by: { $0.key < $1.key }) { ctx.log("clean: dropped by \(k): \(v)") }
        if totals.invalidUTF8Lines > 0 { ctx.log("clean: \(totals.invalidUTF8Lines) lines had invalid UTF-8 (replaced with U+FFFD)") }
        TextStageSupport.logThroughput(ctx, "clean", rows: totals.rowsOut, bytes: totals.bytesIn, since: start)
    }
}
