/// Parses lexed pieces into nodes. Statements: for (with `if` filter and `else`), if/elif/else,
/// set (names, `ns.attr`, block set), generation, break, continue. Expressions follow
/// Jinja's precedence (reference: jinja2 parser): conditional < or < and < not < comparisons
/// and `in` < `+ -` < `~` < `* / // %` < `**` < unary `- +` < filters, tests and calls.
struct JinjaParser {
    private let pieces: [JinjaPiece]
    private var pos = 0

    /// Statements outside the subset, named in the error so a user knows what is missing.
    static let unsupportedStatements: Set<String> = [
        "macro", "call", "filter", "block", "extends", "include", "import", "from", "with", "raw", "autoescape", "do", "trans", "endmacro",
    ]

    static func parse(_ pieces: [JinjaPiece]) throws(JinjaError) -> [JinjaNode] {
        var p = JinjaParser(pieces: pieces)
        let (nodes, end) = try p.body(until: [])
        if let end { throw .syntax("unexpected '{% \(end.name) %}'", end.line) }
        return nodes
    }

    private init(pieces: [JinjaPiece]) { self.pieces = pieces }

    private mutating func body(until ends: Set<String>) throws(JinjaError) -> ([JinjaNode], (name: String, tokens: [JinjaToken], line: Int)?) {
        var nodes: [JinjaNode] = []
        while pos < pieces.count {
            let piece = pieces[pos]
            pos += 1
            switch piece {
            case .text(let s): nodes.append(.text(s))
            case .output(let toks, let line):
                var e = JinjaExprParser(toks, line)
                nodes.append(.output(try e.parseAll(), line: line))
            case .statement(let toks, let line):
                guard case .name(let keyword)? = toks.first else { throw .syntax("a '{% %}' tag needs a statement name", line) }
                if ends.contains(keyword) { return (nodes, (keyword, Array(toks.dropFirst()), line)) }
                nodes.append(try statement(keyword, Array(toks.dropFirst()), line, ends))
            }
        }
        if !ends.isEmpty {
            let want = ends.sorted().map { "{% \($0) %}" }.joined(separator: " or ")
            throw .syntax("the template ends before \(want)", 0)
        }
        return (nodes, nil)
    }

    private mutating func statement(_ keyword: String, _ toks: [JinjaToken], _ line: Int, _ outer: Set<String>) throws(JinjaError) -> JinjaNode {
        var e = JinjaExprParser(toks, line)
        switch keyword {
        case "for":
            var targets: [String] = []
            repeat {
                guard case .name(let n)? = e.next() else { throw .syntax("'for' needs a loop variable name", line) }
                targets.append(n)
            } while e.accept(.op(","))
            guard e.accept(.name("in")) else { throw .syntax("'for' needs 'in'", line) }
            let iterable = try e.parseExpression(allowConditional: false)
            let filter = e.accept(.name("if")) ? try e.parseExpression(allowConditional: false) : nil
            if e.accept(.name("recursive")) { throw .unsupported("recursive for loops", line) }
            try e.end()
            var (bodyNodes, end) = try body(until: ["endfor", "else"])
            var otherwise: [JinjaNode] = []
            if end?.name == "else" {
                let b = bodyNodes
                (otherwise, end) = try body(until: ["endfor"])
                bodyNodes = b
            }
            return .loop(targets: targets, iterable: iterable, filter: filter, body: bodyNodes, otherwise: otherwise, line: line)
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var cond = try e.parseAll()
            while true {
                let (nodes, end) = try body(until: ["elif", "else", "endif"])
                branches.append((cond, nodes))
                guard let end else { throw .syntax("missing {% endif %}", line) }
                switch end.name {
                case "elif":
                    var c = JinjaExprParser(end.tokens, end.line)
                    cond = try c.parseAll()
                case "else":
                    let (rest, _) = try body(until: ["endif"])
                    return .conditional(branches, otherwise: rest, line: line)
                default:
                    return .conditional(branches, otherwise: [], line: line)
                }
            }
        case "set":
            var names: [String] = []
            var attribute: (String, String)?
            repeat {
                guard case .name(let n)? = e.next() else { throw .syntax("'set' needs a variable name", line) }
                if e.accept(.op(".")) {
                    guard case .name(let a)? = e.next() else { throw .syntax("'set \(n).' needs an attribute name", line) }
                    attribute = (n, a)
                } else {
                    names.append(n)
                }
            } while e.accept(.op(","))
            if let attribute, !names.isEmpty { throw .unsupported("'set' of a namespace attribute together with other names", line) }
            if e.accept(.op("=")) {
                let value = try e.parseAll()
                if let attribute { return .set(.attribute(attribute.0, attribute.1), value, line: line) }
                return .set(.names(names), value, line: line)
            }
            try e.end()
            guard names.count == 1 else { throw .unsupported("block 'set' of a namespace attribute or several names", line) }
            let (nodes, _) = try body(until: ["endset"])
            return .setBlock(names[0], nodes, line: line)
        case "generation":
            try e.end()
            let (nodes, _) = try body(until: ["endgeneration"])
            return .generation(nodes, line: line)
        case "break":
            try e.end()
            return .breakLoop(line: line)
        case "continue":
            try e.end()
            return .continueLoop(line: line)
        default:
            if Self.unsupportedStatements.contains(keyword) { throw .unsupported("'{% \(keyword) %}' statements", line) }
            if keyword.hasPrefix("end") || keyword == "elif" || keyword == "else" { throw .syntax("unexpected '{% \(keyword) %}'", line) }
            throw .unsupported("'{% \(keyword) %}' statements", line)
        }
    }
}
