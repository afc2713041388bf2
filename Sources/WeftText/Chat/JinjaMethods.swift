import Foundation

/// Global functions (`raise_exception`, `namespace`, `dict`, `range`, `strftime_now`) and the
/// Python `str`/`dict` methods templates call (reference: transformers 5.23
/// `_cached_compile_jinja_template` globals; Python 3 `str` methods on code points).
extension JinjaRenderer {
    func callFunction(_ f: JinjaValue, _ a: [JinjaValue], _ k: [(String, JinjaValue)]) throws(JinjaError) -> JinjaValue {
        guard case .function(let name) = f else {
            if case .undefined(let m) = f { throw .runtime(m, line) }
            throw .runtime("a \(f.typeName) value is not callable", line)
        }
        switch name {
        case "raise_exception":
            throw JinjaError(kind: .raised, message: a.first?.text ?? "", line: line)
        case "namespace", "dict":
            var d = JinjaDict()
            if case .dict(let initial)? = a.first { for (key, v) in initial.pairs { d[key] = v } }
            for (key, v) in k { d[key] = v }
            if name == "dict" { return .dict(d) }
            let ns = JinjaNamespace()
            ns.attributes = d
            return .namespace(ns)
        case "range":
            let ints = a.compactMap(\.integer)
            guard ints.count == a.count, (1...3).contains(ints.count) else { throw .runtime("range() takes 1 to 3 integers", line) }
            let (lo, hi, st) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard st != 0 else { throw .runtime("range() step must not be zero", line) }
            let r = Array(stride(from: lo, to: hi, by: st).prefix(100_001))
            guard r.count <= 100_000 else { throw .runtime("range() of more than 100000 items", line) }
            return .list(r.map { .int($0) })
        case "strftime_now":
            let format = try text(a.first ?? .undefined("strftime_now() needs a format"), "strftime_now()")
            var t = time(nil)
            var tmv = tm()
            localtime_r(&t, &tmv)
            var buf = [Int8](repeating: 0, count: 512)
            let n = strftime(&buf, buf.count, format, &tmv)
            return .string(String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default:
            throw .unsupported("function '\(name)()'", line)
        }
    }

    func method(_ obj: JinjaValue, _ name: String, _ a: [JinjaValue], _ k: [(String, JinjaValue)]) throws(JinjaError) -> JinjaValue {
        switch obj {
        case .string(let s):
            func opt(_ i: Int) throws(JinjaError) -> String? {
                guard i < a.count else { return nil }
                if case .none = a[i] { return nil }
                return try text(a[i], "str.\(name)()")
            }
            switch name {
            case "strip": return .string(Self.strip(s, try opt(0), leading: true, trailing: true))
            case "lstrip": return .string(Self.strip(s, try opt(0), leading: true, trailing: false))
            case "rstrip": return .string(Self.strip(s, try opt(0), leading: false, trailing: true))
            case "split":
                let sep = try (arg(a, k, 0, "sep")).flatMap { v throws(JinjaError) -> String? in if case .none = v { return nil }; return try text(v, "str.split()") }
                return .list(Self.split(s, sep, arg(a, k, 1, "maxsplit")?.integer ?? -1).map { .string($0) })
            case "splitlines":
                var lines = Self.split(Self.replace(s, "\r\n", "\n", -1), "\n", -1)
                if lines.last == "" { lines.removeLast() }
                return .list(lines.map { .string($0) })
            case "startswith", "endswith":
                let options: [JinjaValue]
                if case .list(let l)? = a.first { options = l } else { options = a.prefix(1).map { $0 } }
                let u = Array(s.unicodeScalars)
                for o in options {
                    let p = Array(try text(o, "str.\(name)()").unicodeScalars)
                    if name == "startswith" ? u.starts(with: p) : u.reversed().starts(with: p.reversed()) { return .bool(true) }
                }
                return .bool(false)
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(Self.title(s))
            case "capitalize": return .string(Self.capitalize(s))
            case "replace":
                return .string(Self.replace(s, try text(arg(a, k, 0, "old") ?? .undefined("replace() needs 'old'"), "str.replace()"),
                                            try text(arg(a, k, 1, "new") ?? .undefined("replace() needs 'new'"), "str.replace()"), arg(a, k, 2, "count")?.integer ?? -1))
            case "find":
                return .int(Self.find(Array(s.unicodeScalars), Array(try text(a.first ?? .undefined("find() needs an argument"), "str.find()").unicodeScalars), from: 0) ?? -1)
            case "count":
                let n = Array(try text(a.first ?? .undefined("count() needs an argument"), "str.count()").unicodeScalars)
                return .int(max(0, Self.split(s, String(String.UnicodeScalarView(n)), -1).count - 1))
            case "join":
                var parts: [String] = []
                for v in try iterate(a.first ?? .list([])) { parts.append(try text(v, "str.join()")) }
                return .string(parts.joined(separator: s))
            default: break
            }
        case .dict(let d):
            switch name {
            case "items": return .list(d.pairs.map { .list([.string($0.0), $0.1]) })
            case "keys": return .list(d.keys.map { .string($0) })
            case "values": return .list(d.pairs.map(\.1))
            case "get":
                guard case .string(let key)? = a.first else { return a.count > 1 ? a[1] : .none }
                return d[key] ?? (a.count > 1 ? a[1] : .none)
            default: break
            }
        default: break
        }
        throw .unsupported("method '\(obj.typeName).\(name)()'", line)
    }
}
