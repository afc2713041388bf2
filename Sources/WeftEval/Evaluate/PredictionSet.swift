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
    /// Classification: every distinct label once, and each row's true and predicted
    /// label as an index into it (a million rows stay two integer arrays).
    public private(set) var labelTable: [ClassLabel] = []
    public private(set) var truthCodes: [Int32] = []
    public private(set) var predictionCodes: [Int32] = []

    /// Row i's true label.
    public func label(at i: Int) -> ClassLabel { labelTable[Int(truthCodes[i])] }
    /// Row i's predicted label.
    public func predictedLabel(at i: Int) -> ClassLabel { labelTable[Int(predictionCodes[i])] }
    /// Whether the rows carry labels.
    public var hasLabels: Bool { !truthCodes.isEmpty }
    /// Whether the labels are integers (else strings).
    public var integerLabels: Bool { labelTable.first?.isInt ?? false }

    /// Sets the true and predicted labels (model mode), interning them.
    public mutating func setLabels(truths: [ClassLabel], predictions: [ClassLabel]) {
        var index: [ClassLabel: Int32] = [:]
        labelTable = []
        func code(_ l: ClassLabel) -> Int32 {
            if let c = index[l] { return c }
            let c = Int32(labelTable.count)
            index[l] = c
            labelTable.append(l)
            return c
        }
        truthCodes = truths.map(code)
        predictionCodes = predictions.map(code)
    }

    public var count: Int { lines.count }

    public init(path: String) { self.path = path }

    /// Reads `path` (JSONL). `text` asks for predictions and references, `classification`
    /// for predicted and true labels; `referencesPath` (text lines or JSONL) supplies the
    /// references when the rows do not carry them.
    public static func read(path: String, referencesPath: String? = nil, fields: Fields = Fields(), text: Bool, classification: Bool,
                            threads: Int = ParallelMap.defaultThreads) throws -> PredictionSet {
        var set = PredictionSet(path: path)
        if classification && !text {
            // Labels only: straight to codes, no row objects.
            let columns = try LabelColumns.read(path: path, predictionKey: fields.prediction, labelKey: fields.label)
            set.lines = columns.lines
            set.labelTable = columns.table
            set.truthCodes = columns.truths
            set.predictionCodes = columns.predictions
        } else {
            try set.readRows(fields: fields, references: referencesPath == nil, classification: classification, threads: threads)
        }
        guard set.count > 0 else {
            throw TextError.data(path: path, line: 0, message: "no rows to evaluate", hint: "the file is empty; write one JSON object per line")
        }
        if let referencesPath, text {
            let refs = try readReferences(referencesPath, fields: fields, threads: threads)
            guard refs.rows.count == set.count else {
                throw EvalError.invalid("\(path) has \(set.count) prediction rows but \(refs.path) has \(refs.rows.count) references; give exactly one reference (line or row) per prediction")
            }
            set.references = refs.rows
        }
        return set
    }

    /// Predictions (and references, and labels when asked) from row objects.
    private mutating func readRows(fields: Fields, references withReferences: Bool, classification: Bool, threads: Int) throws {
        var reader = try RowReader(path: path, options: .init(format: .jsonl, threads: threads))
        defer { reader.close() }
        let path = self.path
        var labelKind: (isInt: Bool, line: Int)? = nil
        var truths: [ClassLabel] = [], predicted: [ClassLabel] = []
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
                    throw TextError.data(path: path, line: row.line, message: "'\(key)' is \(t), not an integer", hint: "class labels must be strings or integers")
                }
                value = .int(i)
            default:
                throw TextError.data(path: path, line: row.line, message: "'\(key)' is \(kind.rawValue), not a label", hint: "class labels must be strings or integers")
            }
            if let first = labelKind, first.isInt != value.isInt {
                throw TextError.data(path: path, line: row.line,
                                     message: "'\(key)' is the \(value.isInt ? "integer \(value)" : "string \"\(value)\""), but the labels at line \(first.line) are \(first.isInt ? "integers" : "strings")",
                                     hint: "use one kind of label throughout: all integers (numbers expected here) or all strings")
            }
            if labelKind == nil { labelKind = (value.isInt, row.line) }
            return value
        }
        while let batch = try reader.nextBatch() {
            for row in batch {
                lines.append(row.line)
                guard let p = row.string(fields.prediction) else { throw Self.missing(row, fields.prediction, path: path, what: "a string") }
                predictions.append(p)
                if withReferences { references.append(try Self.references(of: row, fields: fields, path: path)) }
                if classification {
                    predicted.append(try label(row, fields.prediction))
                    truths.append(try label(row, fields.label))
                }
            }
        }
        if classification { setLabels(truths: truths, predictions: predicted) }
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
