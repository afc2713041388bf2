import Foundation

/// A runtime value of the template interpreter, with Python's semantics where Jinja has them
/// (truthiness, `str()`, `repr()` inside lists, equality across int/float/bool).
enum JinjaValue {
    /// A missing variable or key (Jinja's default `Undefined`): prints as "", is falsy and
    /// iterates as empty, but arithmetic and attribute access on it are errors; the string
    /// is the message of those errors ("'x' is undefined").
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    /// A global function (`raise_exception`, `namespace`, `range`, `dict`, `strftime_now`).
    case function(String)
}

/// An insertion-ordered string-keyed dict (Python dicts keep insertion order).
struct JinjaDict {
    private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    init() {}
    init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var pairs: [(String, JinjaValue)] { keys.map { ($0, storage[$0]!) } }
    var count: Int { keys.count }
}

/// `namespace(...)`: the one mutable object templates have (`{% set ns.x = … %}`).
final class JinjaNamespace {
    var attributes = JinjaDict()
}

extension JinjaValue {
    var isUndefined: Bool { if case .undefined = self { return true }; return false }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let v): return v != 0
        case .double(let v): return v != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .dict(let d): return d.count > 0
        case .namespace, .function: return true
        }
    }

    /// The type name Python would give, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .namespace: return "namespace"
        case .function(let f): return "function \(f)"
        }
    }

    /// What `{{ value }}` prints: Python's `str()`.
    var text: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// Python's `repr()` (how lists and dicts print their items).
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let v): return String(v)
        case .double(let v): return Self.pythonFloat(v)
        case .string(let s): return Self.pythonRepr(s)
        case .list(let l): return "[" + l.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.pairs.map { Self.pythonRepr($0.0) + ": " + $0.1.repr }.joined(separator: ", ") + "}"
        case .namespace(let ns): return "<Namespace " + JinjaValue.dict(ns.attributes).repr + ">"
        case .function(let f): return "<function \(f)>"
        }
    }

    /// Python's float repr: shortest round-trip digits, `.0` on whole numbers, exponent from 1e16.
    static func pythonFloat(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if v == v.rounded(), abs(v) < 1e16 { return String(format: "%.1f", v) }
        var s = "\(v)"
        if let e = s.firstIndex(of: "e") {
            var exp = String(s[s.index(after: e)...])
            let sign = exp.hasPrefix("-") ? "-" : "+"
            exp = exp.trimmingCharacters(in: CharacterSet(charactersIn: "+-"))
            if exp.count < 2 { exp = "0" + exp }
            s = String(s[..<e]) + "e" + sign + exp
            s = s.replacingOccurrences(of: ".0e", with: "e")
        }
        return s
    }

    /// Python's `repr()` of a string: single quotes unless it holds a ' and no ".
    static func pythonRepr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case quote: out.append("\\"); out.append(c)
            default:
                if c.value < 0x20 || (0x7F...0xA0).contains(c.value) {
                    out.append(contentsOf: String(format: "\\x%02x", c.value).unicodeScalars)
                } else {
                    out.append(c)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// Python `==` (numbers across int/float/bool, deep for lists and dicts).
    static func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return Array(x.unicodeScalars) == Array(y.unicodeScalars)
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.pairs.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        case (.namespace(let x), .namespace(let y)): return x === y
        case (.function(let x), .function(let y)): return x == y
        default:
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    /// The value as a number when it is an int, float or bool (Python's numeric tower).
    var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The value as an integer when it is an int or bool.
    var integer: Int? {
        switch self {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// JSON as Python's `json.dumps(ensure_ascii=False)` writes it (transformers' `tojson`).
    func json(indent: Int?, sortKeys: Bool, level: Int = 0, line: Int) throws(JinjaError) -> String {
        let nl = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        let close = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        let sep = indent == nil ? ", " : ","
        switch self {
        case .undefined(let m): throw .runtime(m, line)
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return String(v)
        case .double(let v):
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v < 0 ? "-Infinity" : "Infinity" }
            return Self.pythonFloat(v)
        case .string(let s): return Self.jsonString(s)
        case .list(let l):
            if l.isEmpty { return "[]" }
            var parts: [String] = []
            for v in l { parts.append((nl ?? "") + (try v.json(indent: indent, sortKeys: sortKeys, level: level + 1, line: line))) }
            return "[" + parts.joined(separator: sep) + close + "]"
        case .dict(let d):
            if d.count == 0 { return "{}" }
            let pairs = sortKeys ? d.pairs.sorted { Array($0.0.unicodeScalars).lexicographicallyPrecedes(Array($1.0.unicodeScalars), by: { $0.value < $1.value }) } : d.pairs
            var parts: [String] = []
            for (k, v) in pairs {
                parts.append((nl ?? "") + Self.jsonString(k) + ": " + (try v.json(indent: indent, sortKeys: sortKeys, level: level + 1, line: line)))
            }
            return "{" + parts.joined(separator: sep) + close + "}"
        case .namespace, .function: throw .runtime("a \(typeName) cannot be written as JSON", line)
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}
