import Foundation
import WeftCore
import WeftText

/// What the text and data stages share: opening the input as rows with the common
/// parameters, the row's text field, and writing reports.
enum TextStageSupport {
    /// Opens `with.input` using `format` (or `formatKey`), `text_field` and `on_invalid_utf8`.
    static func reader(_ ctx: StageContext, key: String = "input", formatKey: String = "format") throws -> RowReader {
        let path = try ctx.string(key)
        let formatName = try ctx.optionalString(formatKey) ?? "auto"
        let format = formatName == "auto" ? nil : RowReader.Format(rawValue: formatName)
        let policy = try ctx.choice("on_invalid_utf8", as: RowReader.InvalidUTF8.self)
        let threads = ctx.with["threads"] == nil ? ParallelMap.defaultThreads : try ctx.threads()
        return try RowReader(path: path, options: .init(format: format, textField: try ctx.string("text_field"), invalidUTF8: policy, threads: threads))
    }

    /// The text of `field` in `row`, or an error naming the file, line and field.
    static func text(_ row: Row, _ field: String, path: String) throws -> String {
        if let s = row.string(field) { return s }
        if row.has(field) {
            throw TextError.data(path: path, line: row.line, message: "field '\(field)' is \(row.kind(field)!.rawValue), not a string",
                                 hint: "set text_field to the field that holds the text")
        }
        throw TextError.data(path: path, line: row.line, message: "row has no field '\(field)' (fields: \(row.keys.joined(separator: ", ")))",
                             hint: "set text_field to the field that holds the text")
    }

    /// `prompt_format`/`completion_format`: both set (rows become pairs built from their
    /// fields), or both empty.
    static func pairFormat(_ ctx: StageContext) throws -> (prompt: String, completion: String)? {
        let p = try ctx.string("prompt_format"), c = try ctx.string("completion_format")
        if p.isEmpty && c.isEmpty { return nil }
        guard !p.isEmpty && !c.isEmpty else {
            throw TextError.config(key: p.isEmpty ? "prompt_format" : "completion_format", message: "prompt_format and completion_format go together",
                                   hint: "set both (e.g. \"define {word}:\" and \" {definition}\") or neither")
        }
        return (p, c)
    }

    /// Every row of a data file (JSONL, CSV or text) with its line number; an error naming the
    /// file when it is missing or has no rows (`purpose` says what the rows were for).
    static func allRows(_ path: String, textField: String, threads: Int, purpose: String) throws -> [Row] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TextError.io(path: path, message: "no such file", hint: "check the path, or produce it with an earlier stage")
        }
        var reader = try RowReader(path: path, options: .init(format: nil, textField: textField, threads: threads))
        defer { reader.close() }
        var rows: [Row] = []
        while let batch = try reader.nextBatch() { rows += batch }
        guard !rows.isEmpty else { throw TextError.data(path: path, line: 0, message: "the file has no rows", hint: "give at least one row to \(purpose)") }
        return rows
    }

    /// Writes a report/metrics object as sorted, indented JSON (deterministic bytes).
    static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicWriter.write(path, Array(data) + [0x0A])
    }

    /// One log line with throughput and memory: "clean: 1,234 rows in 0.51 s (48.2 MB/s), peak RSS 21 MB".
    static func logThroughput(_ ctx: StageContext, _ name: String, rows: Int, bytes: Int, since start: Date) {
        let s = max(Date().timeIntervalSince(start), 1e-6)
        ctx.log(String(format: "%@: %d rows, %.1f MB in %.2f s (%.1f MB/s), peak RSS %.0f MB",
                       name, rows, Double(bytes) / 1e6, s, Double(bytes) / 1e6 / s, ProcessMemory.peakMiB()))
    }
}

extension TextStageSupport {
    /// Moves a completed temporary folder onto `path` (replacing an old one), so an
    /// output folder is either complete or absent.
    static func replaceFolder(_ path: String, with tmp: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            do { try fm.removeItem(atPath: path) } catch {
                throw TextError.io(path: path, message: "cannot replace the old output folder", hint: "check permissions")
            }
        }
        guard rename(tmp, path) == 0 else {
            throw TextError.io(path: path, message: "cannot move the output into place: \(String(cString: strerror(errno)))", hint: "")
        }
    }

    /// A fresh temporary folder next to `path` for building a folder output.
    static func temporaryFolder(for path: String) throws -> String {
        let tmp = path + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: tmp)
        try AtomicWriter.makeDirs(tmp)
        return tmp
    }
}
