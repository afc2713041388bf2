import Foundation
import CYaml

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
    /// The written text of a plain scalar that resolved to something other than a string
    /// (`1e5` → 100000.0 keeps "1e5"), for fields that must be read verbatim.
    public var plainText: String?

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
    ///
    /// Built straight from libyaml's event stream (no intermediate tree): a
    /// 500-stage pipeline parses in a few milliseconds.
    public static func parse(_ text: String, file: String) throws -> Node {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw WeftError.syntax(loc: SourceLoc(file: file), message: "cannot initialise the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var builder = TreeBuilder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError(parser, file: file) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                if try builder.handle(&event) { break }
            }
            return builder.root ?? Node(.dict([]), at: SourceLoc(file: file, line: 1, column: 1))
        }
    }

    static func syntaxError(_ p: yaml_parser_t, file: String) -> WeftError {
        var msg = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        if let ctx = p.context {
            msg += " (\(String(cString: ctx)) at line \(p.context_mark.line + 1))"
        }
        if p.error == YAML_READER_ERROR {
            return .syntax(loc: SourceLoc(file: file), message: "\(msg) at byte \(p.problem_offset)")
        }
        return .syntax(loc: SourceLoc(file: file, line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1), message: msg)
    }

    /// Assembles nodes from parser events: a stack of open collections, anchors for aliases.
    struct TreeBuilder {
        /// An open list or mapping (a class, so appending never copies the array).
        final class Open {
            let isList: Bool
            let loc: SourceLoc
            let anchor: String?
            var items: [Node] = []
            var entries: [Node.Entry] = []
            var pendingKey: Node?
            var seen = Set<String>()
            init(isList: Bool, loc: SourceLoc, anchor: String?) {
                self.isList = isList
                self.loc = loc
                self.anchor = anchor
            }
        }
        let file: String
        var stack: [Open] = []
        var anchors: [String: Node] = [:]
        var root: Node?

        init(file: String) { self.file = file }

        func loc(_ m: yaml_mark_t) -> SourceLoc { SourceLoc(file: file, line: Int(m.line) + 1, column: Int(m.column) + 1) }

        static func text(_ p: UnsafeMutablePointer<yaml_char_t>?, _ n: Int) -> String {
            guard let p else { return "" }
            return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        }

        static func cString(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let p else { return nil }
            return String(cString: p)
        }

        /// Handles one event; true when the first document is complete.
        mutating func handle(_ e: inout yaml_event_t) throws -> Bool {
            switch e.type {
            case YAML_SCALAR_EVENT:
                let sc = e.data.scalar
                let value = Self.text(sc.value, sc.length)
                let plain = sc.style == YAML_PLAIN_SCALAR_STYLE || sc.style == YAML_ANY_SCALAR_STYLE
                let resolved: Value = plain ? DocumentLoader.resolvePlain(value) : .string(value)
                var node = Node(.scalar(resolved), at: loc(e.start_mark))
                node.quoted = !plain
                if plain, case .string = resolved {} else if plain { node.plainText = value }
                if let a = Self.cString(sc.anchor) { anchors[a] = node }
                return try add(node)
            case YAML_ALIAS_EVENT:
                let name = Self.cString(e.data.alias.anchor) ?? ""
                guard let node = anchors[name] else {
                    throw WeftError.syntax(loc: loc(e.start_mark), message: "unknown alias '*\(name)'")
                }
                return try add(node)
            case YAML_SEQUENCE_START_EVENT:
                stack.append(Open(isList: true, loc: loc(e.start_mark), anchor: Self.cString(e.data.sequence_start.anchor)))
            case YAML_MAPPING_START_EVENT:
                stack.append(Open(isList: false, loc: loc(e.start_mark), anchor: Self.cString(e.data.mapping_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let o = stack.removeLast()
                let node = o.isList ? Node(.list(o.items), at: o.loc) : Node(.dict(o.entries), at: o.loc)
                if let a = o.anchor { anchors[a] = node }
                return try add(node)
            default:
                break
            }
            return false
        }

        mutating func add(_ node: Node) throws -> Bool {
            guard let top = stack.last else {
                root = node
                return true
            }
            if top.isList {
                top.items.append(node)
            } else if let key = top.pendingKey {
                guard case .scalar(let kv) = key.kind else {
                    throw WeftError.spec(loc: key.loc, message: "mapping keys must be plain scalars", hint: "write the key as a string")
                }
                let k = kv.interpolationText ?? ""
                if !top.seen.insert(k).inserted {
                    throw WeftError.spec(loc: key.loc, message: "duplicate key '\(k)'", hint: "remove or rename one of the two entries")
                }
                top.entries.append(Node.Entry(key: k, keyLoc: key.loc, value: node))
                top.pendingKey = nil
            } else {
                top.pendingKey = node
            }
            return false
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
