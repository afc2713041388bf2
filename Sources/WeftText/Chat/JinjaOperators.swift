import Foundation

/// Binary operators with Python's semantics (reference: Python 3 data model as Jinja uses it):
/// int arithmetic stays int, `/` is true division, `//` and `%` floor toward -inf,
/// `+` joins strings and lists, `*` repeats them, `~` joins the `str()` of both sides.
extension JinjaRenderer {
    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch op {
        case "~": return .string(a.text + b.text)
        case "==": return .bool(JinjaValue.equal(a, b))
        case "!=": return .bool(!JinjaValue.equal(a, b))
        case "<", ">", "<=", ">=":
            guard let c = compare(a, b) else { throw operandError(op, a, b) }
            switch op {
            case "<": return .bool(c < 0)
            case ">": return .bool(c > 0)
            case "<=": return .bool(c <= 0)
            default: return .bool(c >= 0)
            }
        case "in": return .bool(try contains(b, a))
        case "not in": return .bool(!(try contains(b, a)))
        default: break
        }
        if case .undefined(let m) = a { throw .runtime(m, line) }
        if case .undefined(let m) = b { throw .runtime(m, line) }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = (a.integer != nil ? a : b).integer else { throw operandError(op, a, b) }
            return .string(String(repeating: s, count: max(0, n)))
        case ("*", .list(let l), _), ("*", _, .list(let l)):
            guard let n = (a.integer != nil ? a : b).integer else { throw operandError(op, a, b) }
            return .list(Array(repeating: l, count: max(0, n)).flatMap { $0 })
        case ("%", .string, _): throw .unsupported("'%' string formatting", line)
        default: break
        }
        if let x = a.integer, let y = b.integer {
            switch op {
            case "+": return try checked(x.addingReportingOverflow(y))
            case "-": return try checked(x.subtractingReportingOverflow(y))
            case "*": return try checked(x.multipliedReportingOverflow(by: y))
            case "/":
                guard y != 0 else { throw .runtime("division by zero", line) }
                return .double(Double(x) / Double(y))
            case "//", "%":
                guard y != 0 else { throw .runtime("integer division or modulo by zero", line) }
                var q = x / y, r = x % y
                if r != 0 && ((r < 0) != (y < 0)) { q -= 1; r += y }
                return .int(op == "//" ? q : r)
            case "**":
                if y < 0 { return .double(pow(Double(x), Double(y))) }
                var result = 1
                for _ in 0..<y {
                    let (m, o) = result.multipliedReportingOverflow(by: x)
                    if o { throw .runtime("integer overflow in **", line) }
                    result = m
                }
                return .int(result)
            default: break
            }
        }
        if let x = a.number, let y = b.number {
            switch op {
            case "+": return .double(x + y)
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/":
                guard y != 0 else { throw .runtime("float division by zero", line) }
                return .double(x / y)
            case "//", "%":
                guard y != 0 else { throw .runtime("float modulo by zero", line) }
                let q = (x / y).rounded(.down)
                return .double(op == "//" ? q : x - q * y)
            case "**": return .double(pow(x, y))
            default: break
            }
        }
        throw operandError(op, a, b)
    }

    private func checked(_ r: (partialValue: Int, overflow: Bool)) throws(JinjaError) -> JinjaValue {
        if r.overflow { throw .runtime("integer overflow", line) }
        return .int(r.partialValue)
    }

    /// Ordering of numbers, strings (by code point, as Python) and lists; nil when unordered.
    func compare(_ a: JinjaValue, _ b: JinjaValue) -> Int? {
        if let x = a.number, let y = b.number { return x < y ? -1 : x > y ? 1 : 0 }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            let u = Array(x.unicodeScalars), v = Array(y.unicodeScalars)
            for (p, q) in zip(u, v) where p != q { return p.value < q.value ? -1 : 1 }
            return u.count < v.count ? -1 : u.count > v.count ? 1 : 0
        case (.list(let x), .list(let y)):
            for (p, q) in zip(x, y) where !JinjaValue.equal(p, q) { return compare(p, q) }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        default: return nil
        }
    }

    /// Python's `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue) throws(JinjaError) -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let n) = needle else { throw .runtime("'in <string>' needs a string on the left, not \(needle.typeName)", line) }
            return Self.find(Array(s.unicodeScalars), Array(n.unicodeScalars), from: 0) != nil
        case .list(let l): return l.contains { JinjaValue.equal($0, needle) }
        case .dict(let d):
            guard case .string(let k) = needle else { return false }
            return d[k] != nil
        case .undefined: return false
        default: throw .runtime("a \(container.typeName) value does not support 'in'", line)
        }
    }

    /// The first index of `needle` in `hay` at or after `from` (code point search).
    static func find(_ hay: [Unicode.Scalar], _ needle: [Unicode.Scalar], from: Int) -> Int? {
        if needle.isEmpty { return from <= hay.count ? from : nil }
        guard hay.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i] == needle[0], Array(hay[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// Python `str.split(sep, maxsplit)`; without `sep`, splits on runs of whitespace.
    static func split(_ s: String, _ sep: String?, _ maxSplit: Int) -> [String] {
        let u = Array(s.unicodeScalars)
        func str(_ r: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(r)) }
        var out: [String] = []
        if let sep {
            let n = Array(sep.unicodeScalars)
            var start = 0
            while maxSplit < 0 || out.count < maxSplit, let i = find(u, n, from: start) {
                out.append(str(u[start..<i]))
                start = i + n.count
            }
            out.append(str(u[start...]))
            return out
        }
        var i = 0
        while i < u.count {
            while i < u.count, JinjaLexer.isPythonSpace(u[i]) { i += 1 }
            guard i < u.count else { break }
            if maxSplit >= 0, out.count == maxSplit {
                var end = u.count
                while end > i, JinjaLexer.isPythonSpace(u[end - 1]) { end -= 1 }
                out.append(str(u[i..<end]))
                break
            }
            let start = i
            while i < u.count, !JinjaLexer.isPythonSpace(u[i]) { i += 1 }
            out.append(str(u[start..<i]))
        }
        return out
    }

    /// Python `str.strip(chars)` on the chosen sides.
    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? JinjaLexer.isPythonSpace(c) }
        var u = Substring(s).unicodeScalars[...]
        if leading { while let f = u.first, drop(f) { u.removeFirst() } }
        if trailing { while let l = u.last, drop(l) { u.removeLast() } }
        return String(String.UnicodeScalarView(u))
    }

    /// Python `str.replace(old, new, count)` (code point search).
    static func replace(_ s: String, _ old: String, _ new: String, _ count: Int) -> String {
        let u = Array(s.unicodeScalars), o = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0, done = 0
        if o.isEmpty { return s }
        while count < 0 || done < count, let j = find(u, o, from: i) {
            out.append(contentsOf: u[i..<j])
            out.append(contentsOf: new.unicodeScalars)
            i = j + o.count
            done += 1
        }
        out.append(contentsOf: u[i...])
        return String(out)
    }

    /// Python's `str.capitalize()` and `str.title()`.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
    }

    static func title(_ s: String) -> String {
        var out = "", word = ""
        for c in s.unicodeScalars {
            if c.properties.isAlphabetic { word.unicodeScalars.append(c) } else {
                out += capitalize(word) + String(c)
                word = ""
            }
        }
        return out + capitalize(word)
    }
}
