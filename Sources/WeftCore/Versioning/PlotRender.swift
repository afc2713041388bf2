import Foundation

/// Rows of a plots file: each row an ordered list of (column, value).
public typealias PlotRows = [[(String, Value)]]

/// Reading plots files: CSV/TSV with a header, JSON, JSONL, YAML (the shapes DVC accepts).
public enum PlotTable {
    /// Parses a plots file by its extension. JSON/YAML: a list of objects, or an object whose
    /// first list-of-objects value is the table. CSV/TSV cells that read as numbers become numbers.
    public static func parse(_ bytes: [UInt8], path: String) throws -> PlotRows {
        let text = String(decoding: bytes, as: UTF8.self)
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "csv": return try delimited(text, separator: ",", path: path)
        case "tsv": return try delimited(text, separator: "\t", path: path)
        case "jsonl", "ndjson":
            var rows: PlotRows = []
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let v = try DocumentLoader.parse(String(line), file: "\(path):\(n + 1)").value
                guard case .dict(let d) = v else {
                    throw WeftError.io(path: "\(path):\(n + 1)", message: "each line of a JSONL plots file must be an object", hint: "")
                }
                rows.append(d)
            }
            return rows
        default:
            let v = try DocumentLoader.parse(text, file: path).value
            if let rows = table(v) { return rows }
            throw WeftError.io(path: path, message: "not a table: expected a list of objects, or an object holding one",
                               hint: "write rows like [{\"step\": 1, \"loss\": 0.5}, ...], or a CSV with a header")
        }
    }

    static func table(_ v: Value) -> PlotRows? {
        switch v {
        case .list(let items):
            var rows: PlotRows = []
            for i in items {
                guard case .dict(let d) = i else { return nil }
                rows.append(d)
            }
            return rows
        case .dict(let d):
            for (_, x) in d { if case .list(let l) = x, !l.isEmpty, let rows = table(x) { _ = l; return rows } }
            return nil
        default:
            return nil
        }
    }

    /// RFC 4180 fields: quotes, doubled quotes, separators and newlines inside quotes.
    static func delimited(_ text: String, separator: Character, path: String) throws -> PlotRows {
        var records: [([String], Int)] = []
        var field = "", record: [String] = []
        var quoted = false, line = 1, recordLine = 1, atFieldStart = true
        var it = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let d = next() {
                        if d == "\"" { field.append("\"") } else { quoted = false; pending = d }
                    } else { quoted = false }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case separator:
                record.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r\n":
                record.append(field)
                if !(record.count == 1 && record[0].isEmpty) { records.append((record, recordLine)) }
                record = []
                field = ""
                line += 1
                recordLine = line
                atFieldStart = true
            case "\r":
                continue
            default:
                field.append(c)
                atFieldStart = false
            }
        }
        if quoted { throw WeftError.io(path: "\(path):\(recordLine)", message: "unterminated quoted field", hint: "close the quote") }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append((record, recordLine)) }
        guard let (header, _) = records.first else { return [] }
        var rows: PlotRows = []
        for (r, at) in records.dropFirst() {
            guard r.count == header.count else {
                throw WeftError.io(path: "\(path):\(at)", message: "\(r.count) fields where the header has \(header.count)",
                                   hint: "quote fields that contain '\(separator == "\t" ? "\\t" : String(separator))'")
            }
            rows.append(zip(header, r).map { ($0, cellValue($1)) })
        }
        return rows
    }

    static func cellValue(_ s: String) -> Value {
        let t = s.trimmingCharacters(in: .whitespaces)
        if let i = Int(t) { return .int(i) }
        if let d = Double(t), !t.isEmpty, t.lowercased() != "nan", !t.lowercased().contains("inf") { return .double(d) }
        return .string(s)
    }
}

/// One plot to draw: the file, how to draw it, and its rows at each revision (in display order).
public struct PlotInput: @unchecked Sendable {
    public var path: String
    public var options: PlotOptions
    public var revisions: [(revision: String, rows: PlotRows)]

    public init(path: String, options: PlotOptions, revisions: [(revision: String, rows: PlotRows)]) {
        self.path = path
        self.options = options
        self.revisions = revisions
    }
}
