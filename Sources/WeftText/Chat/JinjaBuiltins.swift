import Foundation

/// Filters, tests, string/dict methods and global functions of the supported subset
/// (reference: jinja2 3.1 `filters.py`/`tests.py`; transformers' `tojson`, `raise_exception`,
/// `strftime_now`, `namespace`). Anything else fails naming the construct.
extension JinjaRenderer {
    static let filters: [String] = [
        "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "items", "join", "last", "length", "list",
        "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "safe", "select", "selectattr", "sort", "string",
        "sum", "title", "tojson", "trim", "unique", "upper",
    ]
    static let tests: [String] = [
        "boolean", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge", "gt", "in", "integer", "iterable", "le",
        "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper",
    ]
    static let methods: [String] = [
        "str.strip/lstrip/rstrip/split/startswith/endswith/upper/lower/title/capitalize/replace/find/count/join/splitlines",
        "dict.items/keys/values/get",
    ]
    static let functions: [String] = ["raise_exception", "namespace", "dict", "range", "strftime_now"]

    func arg(_ a: [JinjaValue], _ k: [(String, JinjaValue)], _ i: Int, _ name: String) -> JinjaValue? {
        if let v = k.first(where: { $0.0 == name })?.1 { return v }
        return i < a.count ? a[i] : nil
    }

    func text(_ v: JinjaValue, _ what: String) throws(JinjaError) -> String {
        switch v {
        case .string(let s): return s
        case .undefined(let m): throw .runtime(m, line)
        default: throw .runtime("\(what) needs a string, not \(v.typeName)", line)
        }
    }

    func filter(_ name: String, _ v: JinjaValue, _ a: [JinjaValue], _ k: [(String, JinjaValue)]) throws(JinjaError) -> JinjaValue {
        switch name {
        case "default", "d":
            let fallback = arg(a, k, 0, "default_value") ?? .string("")
            let boolean = arg(a, k, 1, "boolean")?.truthy ?? false
            return v.isUndefined || (boolean && !v.truthy) ? fallback : v
        case "safe": return v
        case "string": return .string(v.text)
        default: break
        }
        if case .undefined(let m) = v, !["length", "count", "list", "join", "first", "last"].contains(name) { throw .runtime(m, line) }
        switch name {
        case "trim":
            let chars = try arg(a, k, 0, "chars").flatMap { c throws(JinjaError) -> String? in if case .none = c { return nil }; return try text(c, "trim") }
            return .string(Self.strip(v.text, chars, leading: true, trailing: true))
        case "upper": return .string(v.text.uppercased())
        case "lower": return .string(v.text.lowercased())
        case "capitalize": return .string(Self.capitalize(v.text))
        case "title": return .string(Self.title(v.text))
        case "length", "count":
            switch v {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw .runtime("a \(v.typeName) value has no length", line)
            }
        case "tojson":
            let indent = arg(a, k, 0, "indent")?.integer
            return .string(try v.json(indent: indent, sortKeys: arg(a, k, 1, "sort_keys")?.truthy ?? false, line: line))
        case "join":
            let sep = arg(a, k, 0, "d").map(\.text) ?? ""
            var items = try iterate(v)
            if let attr = arg(a, k, 1, "attribute") { items = try items.map { x throws(JinjaError) in try attribute(x, attr.text) } }
            return .string(items.map(\.text).joined(separator: sep))
        case "first":
            if case .undefined = v { return .undefined("first of an undefined value") }
            return try iterate(v).first ?? .undefined("first of an empty sequence")
        case "last":
            if case .undefined = v { return .undefined("last of an undefined value") }
            return try iterate(v).last ?? .undefined("last of an empty sequence")
        case "list": return .list(try iterate(v))
        case "reverse":
            if case .string(let s) = v { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try iterate(v).reversed())
        case "items":
            guard case .dict(let d) = v else { throw .runtime("items needs a dict, not \(v.typeName)", line) }
            return .list(d.pairs.map { .list([.string($0.0), $0.1]) })
        case "int":
            switch v {
            case .int: return v
            case .double(let d): return .int(Int(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s): return .int(Int(s.trimmingCharacters(in: .whitespaces)) ?? Double(s).map { Int($0) } ?? arg(a, k, 0, "default")?.integer ?? 0)
            default: return arg(a, k, 0, "default") ?? .int(0)
            }
        case "float":
            if let n = v.number { return .double(n) }
            if case .string(let s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return arg(a, k, 0, "default") ?? .double(0)
        case "abs":
            if case .int(let i) = v { return .int(abs(i)) }
            guard let n = v.number else { throw .runtime("abs needs a number, not \(v.typeName)", line) }
            return .double(abs(n))
        case "replace":
            return .string(Self.replace(v.text, arg(a, k, 0, "old")?.text ?? "", arg(a, k, 1, "new")?.text ?? "", arg(a, k, 2, "count")?.integer ?? -1))
        case "e", "escape":
            var s = v.text
            for (c, r) in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&#34;"), ("'", "&#39;")] { s = Self.replace(s, c, r, -1) }
            return .string(s)
        case "sort", "unique", "min", "max":
            var items = try iterate(v)
            let attr = arg(a, k, name == "sort" ? 2 : 1, "attribute")
            let caseSensitive = arg(a, k, name == "sort" ? 1 : 0, "case_sensitive")?.truthy ?? false
            func key(_ x: JinjaValue) throws(JinjaError) -> JinjaValue {
                let y = try attr.map { at throws(JinjaError) in try attribute(x, at.text) } ?? x
                if !caseSensitive, case .string(let s) = y { return .string(s.lowercased()) }
                return y
            }
            if name == "unique" {
                var seen: [JinjaValue] = [], out: [JinjaValue] = []
                for x in items {
                    let kx = try key(x)
                    if !seen.contains(where: { JinjaValue.equal($0, kx) }) { seen.append(kx); out.append(x) }
                }
                return .list(out)
            }
            var keyed: [(JinjaValue, JinjaValue)] = []
            for x in items { keyed.append((try key(x), x)) }
            var failed = false
            keyed.sort { p, q in
                guard let c = compare(p.0, q.0) else { failed = true; return false }
                return c < 0
            }
            if failed { throw .runtime("\(name) cannot order these values", line) }
            items = keyed.map(\.1)
            if name == "min" { return items.first ?? .undefined("min of an empty sequence") }
            if name == "max" { return items.last ?? .undefined("max of an empty sequence") }
            return .list((arg(a, k, 0, "reverse")?.truthy ?? false) ? items.reversed() : items)
        case "sum":
            var total: JinjaValue = arg(a, k, 1, "start") ?? .int(0)
            for x in try iterate(v) {
                let y = try arg(a, k, 0, "attribute").map { at throws(JinjaError) in try attribute(x, at.text) } ?? x
                total = try binary("+", total, y)
            }
            return total
        case "map":
            let items = try iterate(v)
            if let attr = k.first(where: { $0.0 == "attribute" })?.1 {
                return .list(try items.map { x throws(JinjaError) in
                    let y = try attribute(x, attr.text)
                    if y.isUndefined, let d = k.first(where: { $0.0 == "default" })?.1 { return d }
                    return y
                })
            }
            guard case .string(let f)? = a.first else { throw .runtime("map needs a filter name or attribute=", line) }
            return .list(try items.map { x throws(JinjaError) in try filter(f, x, Array(a.dropFirst()), []) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttr = name.hasSuffix("attr")
            var rest = a
            var attr: String?
            if byAttr {
                guard !rest.isEmpty else { throw .runtime("\(name) needs an attribute name", line) }
                attr = rest.removeFirst().text
            }
            let testName = rest.isEmpty ? nil : rest.removeFirst().text
            var out: [JinjaValue] = []
            for x in try iterate(v) {
                let y = try attr.map { at throws(JinjaError) in try attribute(x, at) } ?? x
                let ok = try testName.map { t throws(JinjaError) in try test(t, y, rest) } ?? y.truthy
                if ok == name.hasPrefix("select") { out.append(x) }
            }
            return .list(out)
        default:
            throw .unsupported("filter '\(name)'", line)
        }
    }

    func test(_ name: String, _ v: JinjaValue, _ a: [JinjaValue]) throws(JinjaError) -> Bool {
        func other() throws(JinjaError) -> JinjaValue {
            guard let x = a.first else { throw .runtime("the test '\(name)' needs an argument", line) }
            return x
        }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true }; return false
        case "string": if case .string = v { return true }; return false
        case "number": return v.number != nil
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "mapping": if case .dict = v { return true }; return false
        case "iterable", "sequence":
            switch v {
            case .list, .dict, .string: return true
            default: return false
            }
        case "callable": if case .function = v { return true }; return false
        case "odd", "even", "divisibleby":
            guard let i = v.integer else { throw .runtime("the test '\(name)' needs an integer, not \(v.typeName)", line) }
            if name == "divisibleby" {
                guard let d = try other().integer, d != 0 else { throw .runtime("divisibleby needs a non-zero integer", line) }
                return i % d == 0
            }
            return (abs(i) % 2 == 1) == (name == "odd")
        case "eq", "equalto", "==": return JinjaValue.equal(v, try other())
        case "ne", "!=": return !JinjaValue.equal(v, try other())
        case "sameas":
            let o = try other()
            switch (v, o) {
            case (.namespace(let x), .namespace(let y)): return x === y
            case (.none, .none): return true
            case (.bool(let x), .bool(let y)): return x == y
            default: return false
            }
        case "lt", "<", "le", "<=", "gt", ">", "ge", ">=":
            let op = ["lt": "<", "le": "<=", "gt": ">", "ge": ">="][name] ?? name
            return try binary(op, v, try other()).truthy
        case "in": return try contains(try other(), v)
        case "lower": return v.text == v.text.lowercased()
        case "upper": return v.text == v.text.uppercased()
        default: throw .unsupported("test 'is \(name)'", line)
        }
    }
}
