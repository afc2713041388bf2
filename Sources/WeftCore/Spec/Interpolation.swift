/// `${...}` substitution in pipeline files, following DVC's templating rules.
///
/// - A string that is exactly one `${expr}` takes the referenced value with its type
///   (so `foreach: ${models}` gets a list and `with: {epochs: ${train.epochs}}` an int).
/// - Inside a longer string the value is rendered as text; lists and mappings are refused.
/// - `\${` is a literal `${`.
/// reference: DVC "Templating" docs (dvc.yaml `vars`, `${}` expressions).
public struct Interpolator: Sendable {
    public var context: Value

    public init(context: Value) { self.context = context }

    /// Returns a copy of `node` with every `${...}` replaced.
    public func apply(_ node: Node) throws -> Node {
        switch node.kind {
        case .scalar(.string(let s)):
            guard s.containsBytes("${") else { return node }
            var out = try substitute(s, at: node.loc)
            out.loc = node.loc
            return out
        case .scalar: return node
        case .list(let items):
            return Node(.list(try items.map { try apply($0) }), at: node.loc)
        case .dict(let entries):
            var mapped: [Node.Entry] = []
            for e in entries {
                var key = e.key
                if key.containsBytes("${") {
                    guard let text = try substitute(key, at: e.keyLoc).value.interpolationText else {
                        throw WeftError.spec(loc: e.keyLoc, message: "key '\(e.key)' must interpolate to a scalar", hint: "")
                    }
                    key = text
                }
                mapped.append(Node.Entry(key: key, keyLoc: e.keyLoc, value: try apply(e.value)))
            }
            return Node(.dict(mapped), at: node.loc)
        }
    }

    /// Substitutes one string; a lone `${x}` keeps x's type.
    public func substitute(_ s: String, at loc: SourceLoc) throws -> Node {
        let pieces = try Interpolator.split(s, at: loc)
        if pieces.count == 1, case .expr(let e) = pieces[0] {
            return Node(value: try resolve(e, at: loc), at: loc)
        }
        var out = ""
        for p in pieces {
            switch p {
            case .text(let t): out += t
            case .expr(let e):
                let v = try resolve(e, at: loc)
                guard let t = v.interpolationText else {
                    throw WeftError.spec(
                        loc: loc, message: "'${\(e)}' is a \(v.typeName) and cannot be placed inside the string '\(s)'",
                        hint: "use a scalar key such as '${\(e).<key>}', or make the whole value '${\(e)}'")
                }
                out += t
            }
        }
        return Node(.scalar(.string(out)), at: loc)
    }

    func resolve(_ expr: String, at loc: SourceLoc) throws -> Value {
        let e = expr.trimmingCharacters(in: .whitespaces)
        if let v = context.lookup(e) { return v }
        var known: [String] = []
        if case .dict(let d) = context { known = d.map(\.0) }
        let head = String(e.prefix(while: { $0 != "." && $0 != "[" }))
        var hint = "define it in params.yaml or under 'vars:'"
        if let s = suggestion(for: head, among: known), s != head { hint = "did you mean '${\(e.replacingOccurrences(of: head, with: s))}'? (or " + hint + ")" }
        throw WeftError.spec(loc: loc, message: "unknown variable '${\(e)}'", hint: hint)
    }

    enum Piece { case text(String), expr(String) }

    static func split(_ s: String, at loc: SourceLoc) throws -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "\\", s[s.index(after: i)...].hasPrefix("${") {
                text += "${"
                i = s.index(i, offsetBy: 3)
                continue
            }
            if c == "$", s[s.index(after: i)...].hasPrefix("{") {
                guard let close = s[i...].firstIndex(of: "}") else {
                    throw WeftError.spec(loc: loc, message: "unterminated '${' in '\(s)'", hint: "close it with '}' or escape it as '\\${'")
                }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                let expr = String(s[s.index(i, offsetBy: 2)..<close])
                if expr.trimmingCharacters(in: .whitespaces).isEmpty {
                    throw WeftError.spec(loc: loc, message: "empty '${}' in '\(s)'", hint: "name a variable, e.g. '${train.lr}'")
                }
                pieces.append(.expr(expr))
                i = s.index(after: close)
                continue
            }
            text.append(c)
            i = s.index(after: i)
        }
        if !text.isEmpty || pieces.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// Merges `extra` into `base`; a key defined twice with different values is an error.
    public static func merge(_ base: Value, _ extra: Value, source: SourceLoc) throws -> Value {
        guard case .dict(var b) = base, case .dict(let e) = extra else { return extra }
        for (k, v) in e {
            if let i = b.firstIndex(where: { $0.0 == k }) {
                if case .dict = b[i].1, case .dict = v {
                    b[i].1 = try merge(b[i].1, v, source: source)
                } else if b[i].1 != v {
                    throw WeftError.spec(loc: source, message: "variable '\(k)' is defined twice with different values", hint: "keep one definition (params.yaml and vars: must not disagree)")
                }
            } else {
                b.append((k, v))
            }
        }
        return .dict(b)
    }
}

import Foundation
