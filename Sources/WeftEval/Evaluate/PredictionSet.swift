import Foundation
import WeftText

/// The rows `weft evaluate` and the `evaluate` stage score: predictions with their
/// references (text metrics) or with their true labels (classification), read from a
/// JSONL file, each remembered with its line for error messages.
public struct PredictionSet: Sendable {
    /// Which fields hold what (the defaults are the documented `prediction`,
    /// `reference`/`references` and `label`).
    public struct Fields: Sendable {
        public var prediction = "prediction"
        public var reference = "reference"
        public var references = "references"
        public var label = "label"
        public init() {}
    }

    public var path: String
    /// 1-based line of each row in `path`.
    public var lines: [Int] = []
    public var predictions: [String] = []
    /// Every reference of each row (text metrics).
    public var references: [[String]] = []
    /// Predicted and true labels (classification).
    public var predictedLabels: [ClassLabel] = []
    public var labels: [ClassLabel] = []

    public var count: Int { lines.count }

    public init(path: String) { self.path = path }

    /// Reads `path` (JSONL). `text` asks for predictions and references, `classification`
    /// for predicted and true labels; `referencesPath` (text lines or JSONL) supplies the
    /// references when the rows do not carry them.
    public static func read(path: String, referencesPath: String? = nil, fields: Fields = Fields(), text: Bool, classification: Bool,
                            threads: Int = ParallelMap.defaultThreads) throws -> PredictionSet {
        var set = PredictionSet(path: path)
        var reader = try RowReader(path: path, options: .init(format: .jsonl, threads: threads))
        defer { reader.close() }
        let separateRefs = try referencesPath.map { try readReferences($0, fields: fields, threads: threads) }
        var labelKind: (isInt: Bool, line: Int)? = nil
        func label(_ row: Row, _ key: String) throws -> ClassLabel {
            guard let kind = row.kind(key) else {
                throw TextError.data(path: path, line: row.line, message: "row has no field '\(key)' (fields: \(row.keys.joined(separator: ", ")))",
                                     hint: "classification rows need '\(fields.prediction)' and '\(fields.label)' (strings or integers)")
            }
            let value: ClassLabel
            switch kind {
            case .string: value = .string(row.string(key)!)
            case .number:
                let t = row.scalarText(key) ?? ""
                guard let i = Int(t) else {
                    throw TextError.data(path: path, line: row.line, message: "'\(key)' is \(t), not an integer",
                                         hint: "class labels must be strings or integers")
                }
                value = .int(i)
            default:
                throw TextError.data(path: path, line: row.line, message: "'\(key)' is \(kind.rawValue), not a label",
                                     hint: "class labels must be strings or integers")
            }
            if let first = labelKind, first.isInt != value.isInt {
                throw TextError.data(path: path, line: row.line,
                                     message: "'\(key)' is the \(value.isInt ? "integer" : "string") \(value.isInt ? value.description : "\"\(value)\""), but the labels at line \(first.line) are \(first.isInt ? "integers" : "strings")",
                                     hint: "use one kind of label throughout: all integers (numbers expected here) or all strings")
            }
            if labelKind == nil { labelKind = (value.isInt, row.line) }
            return value
        }
        while let batch = try reader.nextBatch() {
            for row in batch {
                set.lines.append(row.line)
                if text {
                    guard let p = row.string(fields.prediction) else { throw missing(row, fields.prediction, path: path, what: "a string") }
                    set.predictions.append(p)
                    if separateRefs == nil { set.references.append(try references(of: row, fields: fields, path: path)) }
                }
                if classification {
                    set.predictedLabels.append(try label(row, fields.prediction))
                    set.labels.append(try label(row, fields.label))
                }
            }
        }
        guard set.count > 0 else {
            throw TextError.data(path: path, line: 0, message: "no rows to evaluate", hint: "the file is empty; write one JSON object per line")
        }
        if let refs = separateRefs {
            guard refs.rows.count == set.count else {
                throw EvalError.invalid("\(path) has \(set.count) prediction rows but \(refs.path) has \(refs.rows.count) references; give exactly one reference (line or row) per prediction")
            }
            set.references = refs.rows
        }
        return set
    }

    static func missing(_ row: Row, _ key: String, path: String, what: String) -> TextError {
        if row.has(key) {
            return .data(path: path, line: row.line, message: "'\(key)' is \(row.kind(key)!.rawValue), not \(what)", hint: "")
        }
        return .data(path: path, line: row.line, message: "row has no field '\(key)' (fields: \(row.keys.joined(separator: ", ")))",
                     hint: "text metrics need '\(key)' on every row")
    }

    /// A row's references: `references` (a list of strings) or `reference` (a string).
    public static func references(of row: Row, fields: Fields, path: String) throws -> [String] {
        if row.has(fields.references) {
            guard row.kind(fields.references) == .array, let list = stringList(row, fields.references) else {
                throw TextError.data(path: path, line: row.line, message: "'\(fields.references)' must be a list of strings", hint: "")
            }
            guard !list.isEmpty else {
                throw TextError.data(path: path, line: row.line, message: "'\(fields.references)' is an empty list", hint: "give at least one reference")
            }
            return list
        }
        if let r = row.string(fields.reference) { return [r] }
        if row.has(fields.reference) { throw missing(row, fields.reference, path: path, what: "a string") }
        throw TextError.data(path: path, line: row.line,
                             message: "row has neither '\(fields.reference)' nor '\(fields.references)' (fields: \(row.keys.joined(separator: ", ")))",
                             hint: "give each row its reference, or the references in a separate file")
    }

    /// A JSON array of strings, decoded byte-exactly; nil if any element is not a string.
    static func stringList(_ row: Row, _ key: String) -> [String]? {
        guard let text = row.jsonText(key) else { return nil }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buf -> [String]? in
            guard let items = try? JSONBytes.parseArray(buf, 0..<buf.count) else { return nil }
            var out: [String] = []
            var scratch: [UInt8] = []
            for r in items {
                guard buf[r.lowerBound] == UInt8(ascii: "\"") else { return nil }
                scratch.removeAll(keepingCapacity: true)
                JSONBytes.unescape(buf, (r.lowerBound + 1)..<(r.upperBound - 1), into: &scratch)
                out.append(String(decoding: scratch, as: UTF8.self))
            }
            return out
        }
    }

    /// References from their own file: one per line (text; every line counts, blank ones
    /// too) or one per JSONL row.
    static func readReferences(_ path: String, fields: Fields, threads: Int) throws -> (path: String, rows: [[String]]) {
        if RowReader.Format.infer(from: path) == .jsonl {
            var reader = try RowReader(path: path, options: .init(format: .jsonl, threads: threads))
            defer { reader.close() }
            var rows: [[String]] = []
            while let batch = try reader.nextBatch() { for row in batch { rows.append(try references(of: row, fields: fields, path: path)) } }
            return (path, rows)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.io(path: path, message: "cannot read the references file", hint: "check the path")
        }
        var bytes = [UInt8](data)
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.isEmpty { return (path, []) }
        // Bytes, not Characters: Swift treats "\r\n" as one Character.
        return (path, bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            [String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)]
        })
    }
}
