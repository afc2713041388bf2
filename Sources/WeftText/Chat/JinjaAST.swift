/// A Jinja expression of the supported subset.
indirect enum JinjaExpr: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case name(String)
    case list([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    /// `a.b`
    case attr(JinjaExpr, String)
    /// `a[b]`
    case index(JinjaExpr, JinjaExpr)
    /// `a[lo:hi:step]`
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    /// `f(args, name=value)`
    case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)])
    /// `a | f(args)`
    case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)])
    /// `a is [not] t(args)`
    case test(JinjaExpr, String, [JinjaExpr], negated: Bool)
    /// `not a`, `-a`, `+a`
    case unary(String, JinjaExpr)
    /// arithmetic, `~`, comparisons, `in`, `not in`, `and`, `or`
    case binary(String, JinjaExpr, JinjaExpr)
    /// `a if cond else b` (a missing else is undefined)
    case conditional(then: JinjaExpr, cond: JinjaExpr, otherwise: JinjaExpr?)
}

/// Where `{% set %}` stores: plain names (several unpack a sequence) or `ns.attr`.
enum JinjaSetTarget: Sendable {
    case names([String])
    case attribute(String, String)
}

/// A node of a parsed template.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr, line: Int)
    case conditional([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case loop(targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], line: Int)
    case set(JinjaSetTarget, JinjaExpr, line: Int)
    case setBlock(String, [JinjaNode], line: Int)
    /// transformers' `{% generation %}` block: marks assistant text for the loss mask.
    case generation([JinjaNode], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}
