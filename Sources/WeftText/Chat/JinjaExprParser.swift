/// A recursive-descent parser for one tag's tokens.
struct JinjaExprParser {
    private let toks: [JinjaToken]
    private var i = 0
    let line: Int

    init(_ toks: [JinjaToken], _ line: Int) { self.toks = toks; self.line = line }

    mutating func next() -> JinjaToken? { defer { i += 1 }; return i < toks.count ? toks[i] : nil }
    func peek(_ k: Int = 0) -> JinjaToken? { i + k < toks.count ? toks[i + k] : nil }
    mutating func accept(_ t: JinjaToken) -> Bool { if peek() == t { i += 1; return true }; return false }
    mutating func expect(_ t: JinjaToken, _ what: String) throws(JinjaError) { guard accept(t) else { throw .syntax("expected \(what) \(near)", line) } }
    var near: String { peek().map { "near \(Self.describe($0))" } ?? "at the end of the tag" }
    static func describe(_ t: JinjaToken) -> String {
        switch t {
        case .name(let s), .op(let s): return "'\(s)'"
        case .string(let s): return "'\"\(s)\"'"
        case .int(let v): return "'\(v)'"
        case .float(let v): return "'\(v)'"
        }
    }
    func end() throws(JinjaError) { if i < toks.count { throw .syntax("unexpected \(Self.describe(toks[i])) in a tag", line) } }

    mutating func parseAll() throws(JinjaError) -> JinjaExpr {
        let e = try parseTuple()
        try end()
        return e
    }

    /// An expression, or a bare tuple `a, b` (a list here).
    mutating func parseTuple() throws(JinjaError) -> JinjaExpr {
        let first = try parseExpression()
        guard peek() == .op(",") else { return first }
        var items = [first]
        while accept(.op(",")) {
            if peek() == nil { break }
            items.append(try parseExpression())
        }
        return .list(items)
    }

    mutating func parseExpression(allowConditional: Bool = true) throws(JinjaError) -> JinjaExpr {
        let e = try parseOr()
        guard allowConditional, accept(.name("if")) else { return e }
        let cond = try parseOr()
        let otherwise = accept(.name("else")) ? try parseExpression() : nil
        return .conditional(then: e, cond: cond, otherwise: otherwise)
    }

    private mutating func parseOr() throws(JinjaError) -> JinjaExpr {
        var e = try parseAnd()
        while accept(.name("or")) { e = .binary("or", e, try parseAnd()) }
        return e
    }

    private mutating func parseAnd() throws(JinjaError) -> JinjaExpr {
        var e = try parseNot()
        while accept(.name("and")) { e = .binary("and", e, try parseNot()) }
        return e
    }

    private mutating func parseNot() throws(JinjaError) -> JinjaExpr {
        if accept(.name("not")) { return .unary("not", try parseNot()) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(JinjaError) -> JinjaExpr {
        let first = try parseMath1()
        var result: JinjaExpr?
        var left = first
        while true {
            var op: String
            if case .op(let o)? = peek(), ["==", "!=", "<", ">", "<=", ">="].contains(o) { op = o; i += 1 }
            else if accept(.name("in")) { op = "in" }
            else if peek() == .name("not"), peek(1) == .name("in") { i += 2; op = "not in" }
            else { break }
            let right = try parseMath1()
            let c = JinjaExpr.binary(op, left, right)
            result = result.map { .binary("and", $0, c) } ?? c
            left = right
        }
        return result ?? first
    }

    private mutating func parseMath1() throws(JinjaError) -> JinjaExpr {
        var e = try parseConcat()
        while case .op(let o)? = peek(), o == "+" || o == "-" { i += 1; e = .binary(o, e, try parseConcat()) }
        return e
    }

    private mutating func parseConcat() throws(JinjaError) -> JinjaExpr {
        var e = try parseMath2()
        while accept(.op("~")) { e = .binary("~", e, try parseMath2()) }
        return e
    }

    private mutating func parseMath2() throws(JinjaError) -> JinjaExpr {
        var e = try parsePow()
        while case .op(let o)? = peek(), ["*", "/", "//", "%"].contains(o) { i += 1; e = .binary(o, e, try parsePow()) }
        return e
    }

    private mutating func parsePow() throws(JinjaError) -> JinjaExpr {
        var e = try parseUnary(withFilter: true)
        while accept(.op("**")) { e = .binary("**", e, try parseUnary(withFilter: true)) }
        return e
    }

    private mutating func parseUnary(withFilter: Bool) throws(JinjaError) -> JinjaExpr {
        var e: JinjaExpr
        if accept(.op("-")) { e = .unary("-", try parseUnary(withFilter: false)) }
        else if accept(.op("+")) { e = .unary("+", try parseUnary(withFilter: false)) }
        else { e = try parsePostfix(try parsePrimary()) }
        return withFilter ? try parseFilters(e) : e
    }

    private mutating func parsePrimary() throws(JinjaError) -> JinjaExpr {
        guard let t = next() else { throw .syntax("expected an expression at the end of the tag", line) }
        switch t {
        case .name(let n):
            switch n {
            case "true", "True": return .bool(true)
            case "false", "False": return .bool(false)
            case "none", "None": return .none
            default: return .name(n)
            }
        case .string(var s):
            while case .string(let more)? = peek() { s += more; i += 1 }
            return .string(s)
        case .int(let v): return .int(v)
        case .float(let v): return .double(v)
        case .op("("):
            if accept(.op(")")) { return .list([]) }
            let e = try parseExpression()
            if accept(.op(")")) { return e }
            var items = [e]
            while accept(.op(",")) {
                if peek() == .op(")") { break }
                items.append(try parseExpression())
            }
            try expect(.op(")"), "')'")
            return .list(items)
        case .op("["):
            var items: [JinjaExpr] = []
            while !accept(.op("]")) {
                if !items.isEmpty { try expect(.op(","), "',' or ']'"); if accept(.op("]")) { break } }
                items.append(try parseExpression())
            }
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !accept(.op("}")) {
                if !pairs.isEmpty { try expect(.op(","), "',' or '}'"); if accept(.op("}")) { break } }
                let k = try parseExpression()
                try expect(.op(":"), "':' in a dict literal")
                pairs.append((k, try parseExpression()))
            }
            return .dict(pairs)
        default:
            i -= 1
            throw .syntax("unexpected \(Self.describe(t)) where an expression should be", line)
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var e = base
        while true {
            if accept(.op(".")) {
                switch next() {
                case .name(let n)?: e = .attr(e, n)
                case .int(let v)?: e = .index(e, .int(v))
                default: throw .syntax("expected an attribute name after '.'", line)
                }
            } else if accept(.op("[")) {
                var parts: [JinjaExpr?] = [nil]
                var isSlice = false
                while !accept(.op("]")) {
                    if accept(.op(":")) { isSlice = true; parts.append(nil); continue }
                    guard parts[parts.count - 1] == nil else { throw .syntax("expected ']' \(near)", line) }
                    parts[parts.count - 1] = try parseExpression()
                }
                if isSlice {
                    guard parts.count <= 3 else { throw .syntax("a slice takes at most three parts", line) }
                    e = .slice(e, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
                } else {
                    guard let k = parts[0] else { throw .syntax("empty subscript '[]'", line) }
                    e = .index(e, k)
                }
            } else if peek() == .op("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    private mutating func parseArguments() throws(JinjaError) -> ([JinjaExpr], [(String, JinjaExpr)]) {
        try expect(.op("("), "'('")
        var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
        while !accept(.op(")")) {
            if !(args.isEmpty && kwargs.isEmpty) { try expect(.op(","), "',' or ')'"); if accept(.op(")")) { break } }
            if peek() == .op("*") || peek() == .op("**") { throw .unsupported("'*args' / '**kwargs' in calls", line) }
            if case .name(let n)? = peek(), peek(1) == .op("=") {
                i += 2
                kwargs.append((n, try parseExpression()))
            } else {
                guard kwargs.isEmpty else { throw .syntax("a positional argument after a keyword argument", line) }
                args.append(try parseExpression())
            }
        }
        return (args, kwargs)
    }

    private mutating func parseCall(_ callee: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        let (a, k) = try parseArguments()
        return .call(callee, a, k)
    }

    private mutating func parseFilters(_ base: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var e = base
        while true {
            if accept(.op("|")) {
                guard case .name(let f)? = next() else { throw .syntax("expected a filter name after '|'", line) }
                if peek() == .op("(") {
                    let (a, k) = try parseArguments()
                    e = .filter(e, f, a, k)
                } else {
                    e = .filter(e, f, [], [])
                }
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                guard case .name(let t)? = next() else { throw .syntax("expected a test name after 'is'", line) }
                var args: [JinjaExpr] = []
                if peek() == .op("(") {
                    let (a, k) = try parseArguments()
                    guard k.isEmpty else { throw .unsupported("keyword arguments to tests", line) }
                    args = a
                } else if let p = peek(), Self.startsBareArgument(p) {
                    args = [try parsePostfix(try parsePrimary())]
                }
                e = .test(e, t, args, negated: negated)
            } else if peek() == .op("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// Whether a token after `is name` is a bare test argument (`is divisibleby 3`).
    private static func startsBareArgument(_ t: JinjaToken) -> Bool {
        switch t {
        case .string, .int, .float: return true
        case .name(let n): return !["and", "or", "else", "if", "not", "in", "is"].contains(n)
        case .op(let o): return o == "[" || o == "{"
        }
    }
}
