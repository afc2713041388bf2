import WeftText

/// A JSON value with ordered keys: the results `weft evaluate --json`, `--per-example`
/// and the `evaluate` stage write, so key order and number spelling are stable.
public indirect enum EvalJSON: Sendable, Equatable {
    case number(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([EvalJSON])
    case object([(String, EvalJSON)])

    public static func == (a: EvalJSON, b: EvalJSON) -> Bool {
        switch (a, b) {
        case let (.number(x), .number(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.int(x), .int(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// An array of numbers.
    public static func numbers(_ v: [Double]) -> EvalJSON { .array(v.map { .number($0) }) }
    /// An array of integers.
    public static func ints(_ v: [Int]) -> EvalJSON { .array(v.map { .int($0) }) }

    /// The value under `key` of an object.
    public subscript(key: String) -> EvalJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Compact JSON (one line). Numbers use the shortest spelling that reads back to the
    /// same double (as Python's `json` does); NaN and infinities, which JSON cannot
    /// hold, are written as null.
    public var compact: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// JSON indented by one space per level, keys in their given order.
    public var pretty: String {
        var out = ""
        write(to: &out, indent: " ", level: 0)
        return out
    }

    func write(to out: inout String, indent: String?, level: Int) {
        func newline(_ l: Int) {
            guard let indent else { return }
            out += "\n" + String(repeating: indent, count: l)
        }
        switch self {
        case .number(let d): out += Self.format(d)
        case .int(let i): out += String(i)
        case .string(let s): Self.quote(s, into: &out)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, x) in items.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                newline(level + 1)
                x.write(to: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                newline(level + 1)
                Self.quote(k, into: &out)
                out += ": "
                v.write(to: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "}"
        }
    }

    /// A double as JSON, spelled as Python's `repr` spells it (shortest round-tripping
    /// digits, "54.0" for integral values, "1e-07"): Swift's `description` agrees.
    public static func format(_ d: Double) -> String {
        d.isFinite ? d.description : "null"
    }

    static func quote(_ s: String, into out: inout String) {
        var bytes: [UInt8] = []
        JSONBytes.appendString(s, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }
}
