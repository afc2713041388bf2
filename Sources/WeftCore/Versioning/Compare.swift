import Foundation

/// How `exp show`, `params diff` and `metrics show/diff` print.
public enum TableFormat: String, Sendable, CaseIterable {
    case text, json, csv, md
}

/// One row of `exp show` / `metrics show`: a revision with its params and metrics.
public struct RevisionRow: Sendable {
    public var name: String
    /// Short commit id, or `workspace`.
    public var rev: String
    public var baseline: String?
    public var state: String
    public var failedStage: String?
    public var params: [(String, Value)]
    public var metrics: [(String, Value)]
    /// Set when the revision's params or metrics could not be read (shown, not fatal).
    public var error: String?

    public init(name: String, rev: String, baseline: String? = nil, state: String = "", failedStage: String? = nil,
                params: [(String, Value)] = [], metrics: [(String, Value)] = [], error: String? = nil) {
        self.name = name
        self.rev = rev
        self.baseline = baseline
        self.state = state
        self.failedStage = failedStage
        self.params = params
        self.metrics = metrics
        self.error = error
    }
}

extension VersionedProject {
    /// The workspace (`workspace`), an experiment, or any revision, as a snapshot.
    public func snapshot(_ rev: String, store: ObjectStore) throws -> Snapshot {
        if rev == "workspace" { return Snapshot(workspace: root, catalog: catalog, store: store) }
        return try Snapshot(self, commit: try resolve(rev), label: rev, store: store)
    }

    /// A row for a snapshot; reading problems become the row's error.
    public func row(_ snap: Snapshot, name: String, state: String = "", baseline: String? = nil, failedStage: String? = nil) -> RevisionRow {
        var r = RevisionRow(name: name, rev: snap.commit?.short ?? "workspace", baseline: baseline, state: state,
                            failedStage: failedStage, params: [], metrics: [], error: nil)
        do {
            r.params = try snap.params()
            r.metrics = try snap.metrics()
        } catch {
            r.error = "\(error)"
        }
        return r
    }
}

/// Numeric value of a param or metric, if it has one.
func number(_ v: Value?) -> Double? {
    switch v {
    case .int(let i)?: return Double(i)
    case .double(let d)?: return d
    default: return nil
    }
}

/// A compact number for tables (at most 6 significant digits, no trailing zeros).
func formatNumber(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    var s = String(format: "%.6g", d)
    if s.contains("e") { return s }
    while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
    return s
}

func cell(_ v: Value?) -> String {
    guard let v else { return "-" }
    if case .double(let d) = v { return formatNumber(d) }
    return v.display
}

/// `exp show` / `metrics show`: revisions as rows, params and metrics as columns.
public func renderRows(_ rows: [RevisionRow], format: TableFormat, sortBy: String? = nil, descending: Bool = false,
                       onlyChanged: Bool = false, withParams: Bool = true) throws -> String {
    var rows = rows
    var paramKeys: [String] = [], metricKeys: [String] = []
    for r in rows {
        for (k, _) in r.params where !paramKeys.contains(k) { paramKeys.append(k) }
        for (k, _) in r.metrics where !metricKeys.contains(k) { metricKeys.append(k) }
    }
    func value(_ r: RevisionRow, _ k: String) -> Value? {
        r.metrics.first(where: { $0.0 == k })?.1 ?? r.params.first(where: { $0.0 == k })?.1
    }
    if let key = sortBy {
        guard paramKeys.contains(key) || metricKeys.contains(key) else {
            throw WeftError.usage(message: "--sort-by '\(key)' is neither a param nor a metric"
                                  + [didYouMean(key, paramKeys + metricKeys)].filter { !$0.isEmpty }.map { " (\($0))" }.joined()
                                  + "\n  hint: columns: " + (paramKeys + metricKeys).joined(separator: ", "))
        }
        // Workspace and baseline rows stay on top; experiments sort, missing values last.
        let fixed = rows.prefix { $0.state != "queued" && $0.state != "succeeded" && $0.state != "failed" }
        let rest = rows.dropFirst(fixed.count).sorted { a, b in
            let x = value(a, key), y = value(b, key)
            if let p = number(x), let q = number(y) { return descending ? p > q : p < q }
            if x == nil { return false }
            if y == nil { return true }
            return descending ? cell(x) > cell(y) : cell(x) < cell(y)
        }
        rows = Array(fixed) + rest
    }
    if onlyChanged {
        func varies(_ k: String) -> Bool { Set(rows.map { cell(value($0, k)) }).count > 1 }
        paramKeys = paramKeys.filter(varies)
        metricKeys = metricKeys.filter(varies)
    }
    if !withParams { paramKeys = [] }
    switch format {
    case .json:
        let list: [Value] = rows.map { r in
            var d: [(String, Value)] = [("name", .string(r.name)), ("rev", .string(r.rev))]
            if let b = r.baseline { d.append(("baseline", .string(b))) }
            if !r.state.isEmpty { d.append(("state", .string(r.state))) }
            if let f = r.failedStage { d.append(("failed_stage", .string(f))) }
            if withParams { d.append(("params", .dict(paramKeys.compactMap { k in r.params.first { $0.0 == k } }))) }
            d.append(("metrics", .dict(metricKeys.compactMap { k in r.metrics.first { $0.0 == k } })))
            if let e = r.error { d.append(("error", .string(e))) }
            return .dict(d)
        }
        return Value.list(list).orderedJSON
    case .text, .csv, .md:
        let showState = rows.contains { !$0.state.isEmpty }
        var head = [withParams ? "Experiment" : "Revision", "rev"] + (showState ? ["state"] : [])
        head += paramKeys + metricKeys
        var table = [head]
        for r in rows {
            var line = [r.name, r.rev]
            if showState { line.append(r.state + (r.failedStage.map { " (\($0))" } ?? "")) }
            line += paramKeys.map { k in cell(r.params.first { $0.0 == k }?.1) }
            line += metricKeys.map { k in cell(r.metrics.first { $0.0 == k }?.1) }
            if let e = r.error { line.append("error: " + e.replacingOccurrences(of: "\n", with: " ")) }
            table.append(line)
        }
        return renderGrid(table, format: format)
    }
}

/// Prints a grid (first row = header) as text, CSV or Markdown.
public func renderGrid(_ table: [[String]], format: TableFormat) -> String {
    switch format {
    case .csv:
        func q(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return table.map { $0.map(q).joined(separator: ",") }.joined(separator: "\n")
    case .md:
        guard let head = table.first else { return "" }
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var lines = ["| " + head.map(esc).joined(separator: " | ") + " |", "|" + head.map { _ in " --- |" }.joined()]
        for r in table.dropFirst() { lines.append("| " + r.map(esc).joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n")
    case .text, .json:
        return renderTextTable(table)
    }
}

/// One changed key between two revisions.
public struct ValueChange: Sendable {
    public var key: String
    public var old: Value?
    public var new: Value?
    /// Confidence intervals recorded next to the value as `<key>_ci: [low, high]` (the
    /// `evaluate` stage's bootstrap intervals), at each side.
    public var oldInterval: (Double, Double)? = nil
    public var newInterval: (Double, Double)? = nil
    /// new − old when both are numbers.
    public var delta: Double? {
        guard let a = number(old), let b = number(new) else { return nil }
        return b - a
    }
    /// Whether the two intervals are disjoint (nil without both): a change whose intervals
    /// overlap is within the noise the bootstrap measured.
    public var separated: Bool? {
        guard let x = oldInterval, let y = newInterval else { return nil }
        return x.1 < y.0 || y.1 < x.0
    }
}

/// The keys whose values differ (all keys with `all`), in first-seen order. A key with a
/// `<key>_ci` interval next to it carries the interval instead of listing it separately.
public func diffValues(_ a: [(String, Value)], _ b: [(String, Value)], all: Bool = false) -> [ValueChange] {
    var keys: [String] = []
    var seen = Set<String>()
    for (k, _) in a + b where seen.insert(k).inserted { keys.append(k) }
    let da = Dictionary(a, uniquingKeysWith: { x, _ in x }), db = Dictionary(b, uniquingKeysWith: { x, _ in x })
    func interval(_ v: Value?) -> (Double, Double)? {
        guard case .list(let l)? = v, l.count == 2, let lo = number(l[0]), let hi = number(l[1]) else { return nil }
        return (lo, hi)
    }
    return keys.compactMap { k in
        if k.hasSuffix("_ci"), seen.contains(String(k.dropLast(3))), interval(da[k]) != nil || interval(db[k]) != nil { return nil }
        let x = da[k], y = db[k]
        let ci = k + "_ci"
        if !all && x == y && da[ci] == db[ci] { return nil }
        return ValueChange(key: k, old: x, new: y, oldInterval: interval(da[ci]), newInterval: interval(db[ci]))
    }
}

/// `params diff` / `metrics diff`: key, old, new and the numeric change.
public func renderDiff(_ changes: [ValueChange], from a: String, to b: String, kind: String, format: TableFormat) -> String {
    if format == .json {
        return Value.dict(changes.map { c in
            var d: [(String, Value)] = [("old", c.old ?? .null), ("new", c.new ?? .null)]
            if let x = c.delta { d.append(("diff", .double(x))) }
            if let i = c.oldInterval { d.append(("old_ci", .list([.double(i.0), .double(i.1)]))) }
            if let i = c.newInterval { d.append(("new_ci", .list([.double(i.0), .double(i.1)]))) }
            if let sep = c.separated { d.append(("significant", .bool(sep))) }
            return (c.key, .dict(d))
        }).orderedJSON
    }
    if changes.isEmpty && format == .text { return "No \(kind) changed between \(a) and \(b)." }
    let withIntervals = changes.contains { $0.oldInterval != nil || $0.newInterval != nil }
    var table = [[kind == "params" ? "Param" : "Metric", a, b, "Change"] + (withIntervals ? ["Intervals"] : [])]
    func withCI(_ v: Value?, _ i: (Double, Double)?) -> String {
        guard let i else { return cell(v) }
        return cell(v) + " [" + formatNumber(i.0) + ", " + formatNumber(i.1) + "]"
    }
    for c in changes {
        let d = c.delta.map { ($0 > 0 ? "+" : "") + formatNumber($0) } ?? (c.old == nil ? "added" : c.new == nil ? "removed" : "changed")
        var row = [c.key, withCI(c.old, c.oldInterval), withCI(c.new, c.newInterval), d]
        if withIntervals { row.append(c.separated.map { $0 ? "disjoint" : "overlap" } ?? "") }
        table.append(row)
    }
    return renderGrid(table, format: format)
}
