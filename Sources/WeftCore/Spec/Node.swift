import Foundation
import Yams

/// Where something was written: file, line and column (1-based).
public struct SourceLoc: Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// A YAML/JSON document tree that remembers the source position of every node,
/// so that every error about a pipeline can point at `file:line:column`.
public struct Node: Sendable {
    public enum Kind: Sendable {
        case scalar(Value)
        case list([Node])
        case dict([Entry])
    }

    /// One key/value pair of a mapping; the key keeps its own position.
    public struct Entry: Sendable {
        public var key: String
        public var keyLoc: SourceLoc
        public var value: Node
    }

    public var kind: Kind
    public var loc: SourceLoc
    /// True for a scalar that was written quoted, so `"1"` stays a string.
    public var quoted: Bool = false

    public init(_ kind: Kind, at loc: SourceLoc) {
        self.kind = kind
        self.loc = loc
    }

    /// Builds a node tree from a plain value, every node placed at `loc`.
    public init(value: Value, at loc: SourceLoc) {
        switch value {
        case .list(let l): self.init(.list(l.map { Node(value: $0, at: loc) }), at: loc)
        case .dict(let d):
            self.init(.dict(d.map { Entry(key: $0.0, keyLoc: loc, value: Node(value: $0.1, at: loc)) }), at: loc)
        default: self.init(.scalar(value), at: loc)
        }
    }

    /// The plain value, positions dropped.
    public var value: Value {
        switch kind {
        case .scalar(let v): return v
        case .list(let l): return .list(l.map(\.value))
        case .dict(let d): return .dict(d.map { ($0.key, $0.value.value) })
        }
    }

    public var entries: [Entry]? { if case .dict(let d) = kind { return d } else { return nil } }
    public var items: [Node]? { if case .list(let l) = kind { return l } else { return nil } }
    public var string: String? { if case .scalar(.string(let s)) = kind { return s } else { return nil } }

    /// Looks a key up in a mapping node.
    public subscript(key: String) -> Node? { entries?.first(where: { $0.key == key })?.value }

    public var typeName: String {
        switch kind {
        case .scalar(let v): return v.typeName
        case .list: return "list"
        case .dict: return "mapping"
        }
    }
}

/// Reads YAML and JSON files into `Node` trees.
///
/// JSON is parsed by the same YAML parser (JSON is YAML 1.2 flow syntax), so both
/// forms of one pipeline produce identical trees and identical error positions.
/// Plain scalars are resolved with YAML 1.2 core-schema rules, as DVC's ruamel
/// loader does: `yes`/`on` stay strings, `true`/`false`/`null`/`~` do not.
public enum DocumentLoader {
    /// Parses a file; an empty file yields an empty mapping.
    public static func load(path: String, displayPath: String? = nil) throws -> Node {
        let shown = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeftError.io(path: shown, message: "cannot read file", hint: "check that it exists and is readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WeftError.syntax(loc: SourceLoc(file: shown), message: "file is not valid UTF-8")
        }
        return try parse(text, file: shown)
    }

    /// Parses text that came from `file` (used in messages).
    public static func parse(_ text: String, file: String) throws -> Node {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let e as YamlError {
            throw convert(e, file: file)
        }
        guard let root else { return Node(.dict([]), at: SourceLoc(file: file, line: 1, column: 1)) }
        return try convert(root, file: file)
    }

    static func convert(_ e: YamlError, file: String) -> WeftError {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            var msg = problem
            if let context { msg += " (\(context.text) at line \(context.mark.line))" }
            return .syntax(loc: SourceLoc(file: file, line: mark.line, column: mark.column), message: msg)
        case let .reader(problem, offset, _, _):
            return .syntax(loc: SourceLoc(file: file), message: "\(problem) at byte \(offset ?? 0)")
        default:
            return .syntax(loc: SourceLoc(file: file), message: "\(e)")
        }
    }

    static func loc(_ m: Mark?, _ file: String) -> SourceLoc {
        SourceLoc(file: file, line: m?.line ?? 0, column: m?.column ?? 0)
    }

    static func convert(_ n: Yams.Node, file: String) throws -> Node {
        switch n {
        case .scalar(let s):
            let plain = s.style == .plain || s.style == .any
            var node = Node(.scalar(plain ? resolvePlain(s.string) : .string(s.string)), at: loc(s.mark, file))
            node.quoted = !plain
            return node
        case .sequence(let seq):
            return Node(.list(try seq.map { try convert($0, file: file) }), at: loc(seq.mark, file))
        case .mapping(let map):
            var entries: [Node.Entry] = []
            var seen = Set<String>()
            for (k, v) in map {
                let keyNode = try convert(k, file: file)
                let key: String
                switch keyNode.kind {
                case .scalar(let kv): key = kv.interpolationText ?? ""
                default:
                    throw WeftError.spec(loc: keyNode.loc, message: "mapping keys must be plain scalars", hint: "write the key as a string")
                }
                if !seen.insert(key).inserted {
                    throw WeftError.spec(loc: keyNode.loc, message: "duplicate key '\(key)'", hint: "remove or rename one of the two entries")
                }
                entries.append(Node.Entry(key: key, keyLoc: keyNode.loc, value: try convert(v, file: file)))
            }
            return Node(.dict(entries), at: loc(map.mark, file))
        case .alias(let a):
            return Node(.scalar(.null), at: loc(a.mark, file))
        }
    }

    /// YAML 1.2 core schema resolution of a plain scalar.
    public static func resolvePlain(_ s: String) -> Value {
        guard let first = s.utf8.first else { return .null }
        switch s {
        case "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        // Fast exit: numbers start with a digit, sign or dot.
        guard (first >= 0x30 && first <= 0x39) || first == 0x2D || first == 0x2B || first == 0x2E else {
            return .string(s)
        }
        if let i = Int(s) { return .int(i) }
        if s.hasPrefix("0x"), let i = Int(s.dropFirst(2), radix: 16) { return .int(i) }
        if s.hasPrefix("0o"), let i = Int(s.dropFirst(2), radix: 8) { return .int(i) }
        if isFloatLiteral(s), let d = Double(s) { return .double(d) }
        return .string(s)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` — the core-schema float.
    static func isFloatLiteral(_ s: String) -> Bool {
        var u = Substring(s).utf8[...]
        if let c = u.first, c == 0x2B || c == 0x2D { u = u.dropFirst() }
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let intDigits = u.prefix(while: isDigit).count
        u = u.dropFirst(intDigits)
        var fracDigits = 0
        if u.first == 0x2E {
            u = u.dropFirst()
            fracDigits = u.prefix(while: isDigit).count
            u = u.dropFirst(fracDigits)
        }
        if intDigits == 0 && fracDigits == 0 { return false }
        if let c = u.first, c == 0x65 || c == 0x45 {
            u = u.dropFirst()
            if let c = u.first, c == 0x2B || c == 0x2D { u = u.dropFirst() }
            let e = u.prefix(while: isDigit).count
            if e == 0 { return false }
            u = u.dropFirst(e)
        }
        return u.isEmpty
    }
}
