/// A plain data value as read from YAML/JSON: the currency of params, vars and `with:`.
///
/// Dictionaries keep their key order, because users read lock files and `status`
/// output in the order they wrote things.
public indirect enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case dict([(String, Value)])

    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.list(x), .list(y)): return x == y
        case let (.dict(x), .dict(y)):
            guard x.count == y.count else { return false }
            let yd = Dictionary(y, uniquingKeysWith: { a, _ in a })
            for (k, v) in x { guard let w = yd[k], w == v else { return false } }
            return true
        default: return false
        }
    }

    /// Looks a key up in a dictionary value.
    public subscript(key: String) -> Value? {
        if case .dict(let d) = self { return d.first(where: { $0.0 == key })?.1 }
        return nil
    }

    /// The string form used when a value is interpolated into a larger string
    /// (booleans lowercase, as DVC does for shell commands).
    public var interpolationText: String? {
        switch self {
        case .null: return "None"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Value.formatDouble(d)
        case .string(let s): return s
        case .list, .dict: return nil
        }
    }

    /// Short human form for messages (`param changed: lr 0.1 → 0.2`).
    public var display: String {
        if let t = interpolationText, case .string = self { return t.isEmpty ? "''" : t }
        if case .null = self { return "null" }
        return interpolationText ?? canonicalJSON
    }

    /// A name of this value's type for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "mapping"
        }
    }

    static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        return "\(d)"
    }

    /// Canonical JSON: sorted keys, no spaces; the form that enters signatures.
    public var canonicalJSON: String {
        var out = ""
        writeJSON(into: &out, sorted: true)
        return out
    }

    /// JSON keeping the key order as written.
    public var orderedJSON: String {
        var out = ""
        writeJSON(into: &out, sorted: false)
        return out
    }

    func writeJSON(into out: inout String, sorted: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite { out += "\(d)" } else { out += "\"\(Value.formatDouble(d))\"" }
        case .string(let s): Value.writeJSONString(s, into: &out)
        case .list(let l):
            out += "["
            for (i, v) in l.enumerated() {
                if i > 0 { out += "," }
                v.writeJSON(into: &out, sorted: sorted)
            }
            out += "]"
        case .dict(let d):
            out += "{"
            let items = sorted ? d.sorted(by: { $0.0 < $1.0 }) : d
            for (i, (k, v)) in items.enumerated() {
                if i > 0 { out += "," }
                Value.writeJSONString(k, into: &out)
                out += ":"
                v.writeJSON(into: &out, sorted: sorted)
            }
            out += "}"
        }
    }

    /// Appends `s` as a JSON string literal.
    public static func writeJSONString(_ s: String, into out: inout String) {
        out += "\""
        // Fast path: printable ASCII with nothing to escape is copied whole.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0xFEFF {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// Resolves a dotted/indexed path such as `train.layers[0].size`.
    public func lookup(_ path: String) -> Value? {
        var current: Value = self
        for part in Value.splitPath(path) {
            switch part {
            case .key(let k):
                guard let next = current[k] else { return nil }
                current = next
            case .index(let i):
                guard case .list(let l) = current, i >= 0, i < l.count else { return nil }
                current = l[i]
            }
        }
        return current
    }

    enum PathPart { case key(String), index(Int) }

    static func splitPath(_ path: String) -> [PathPart] {
        var parts: [PathPart] = []
        var buf = ""
        var chars = Substring(path)
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "." {
                if !buf.isEmpty { parts.append(.key(buf)); buf = "" }
            } else if c == "[" {
                if !buf.isEmpty { parts.append(.key(buf)); buf = "" }
                let idx = chars.prefix(while: { $0 != "]" })
                chars = chars.dropFirst(idx.count + 1)
                let t = idx.trimmingCharacters(in: .whitespaces)
                if let i = Int(t) { parts.append(.index(i)) } else { parts.append(.key(t)) }
            } else {
                buf.append(c)
            }
        }
        if !buf.isEmpty { parts.append(.key(buf)) }
        return parts
    }
}

import Foundation
