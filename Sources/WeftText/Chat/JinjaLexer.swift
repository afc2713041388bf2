/// A problem with a chat template or its rendering: `line` is the template line (1-based,
/// 0 when unknown); `unsupported` names a construct outside the supported Jinja subset, and
/// `raised` is a message of the template's own `raise_exception(...)`.
struct JinjaError: Error {
    enum Kind { case syntax, unsupported, runtime, raised }
    let kind: Kind
    let message: String
    let line: Int

    static func syntax(_ m: String, _ line: Int) -> JinjaError { .init(kind: .syntax, message: m, line: line) }
    static func unsupported(_ m: String, _ line: Int) -> JinjaError { .init(kind: .unsupported, message: m, line: line) }
    static func runtime(_ m: String, _ line: Int) -> JinjaError { .init(kind: .runtime, message: m, line: line) }
}

/// One token inside `{{ }}` or `{% %}`.
enum JinjaToken: Equatable, Sendable {
    case name(String)
    case string(String)
    case int(Int)
    case float(Double)
    case op(String)
}

/// The template split into literal text, `{{ }}` expressions and `{% %}` statements, with
/// Jinja's whitespace rules applied the way transformers configures its environment
/// (reference: jinja2 lexer; `trim_blocks=True, lstrip_blocks=True`, `keep_trailing_newline`
/// off): `-` strips whitespace on that side, `+` turns trim/lstrip off for that tag,
/// a block or comment tag eats one newline after it and the spaces/tabs before it on its
/// line; comments are dropped; newlines are normalised to `\n`.
enum JinjaPiece: Sendable {
    case text(String)
    case output([JinjaToken], line: Int)
    case statement([JinjaToken], line: Int)
}

enum JinjaLexer {
    /// Characters Python's `str.strip()` removes (Unicode White_Space, as `str.isspace`).
    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    static func lex(_ template: String) throws(JinjaError) -> [JinjaPiece] {
        var src: [Unicode.Scalar] = []
        src.reserveCapacity(template.unicodeScalars.count)
        var it = template.unicodeScalars.makeIterator()
        var pendingCR = false
        while let c = it.next() {
            if pendingCR { pendingCR = false; src.append("\n"); if c == "\n" { continue } }
            if c == "\r" { pendingCR = true } else { src.append(c) }
        }
        if pendingCR { src.append("\n") }
        if src.last == "\n" { src.removeLast() }  // keep_trailing_newline=False

        var pieces: [JinjaPiece] = []
        var i = 0, line = 1
        var lineStarting = true, stripNextLeading = false
        let n = src.count
        func countLines(_ a: Int, _ b: Int) { for k in a..<b where src[k] == "\n" { line += 1 } }
        while i < n {
            var j = i
            while j + 1 < n, !(src[j] == "{" && (src[j + 1] == "{" || src[j + 1] == "%" || src[j + 1] == "#")) { j += 1 }
            if j + 1 >= n { j = n }
            var data = Array(src[i..<j])
            if stripNextLeading { data = Array(data.drop(while: isPythonSpace)) }
            let dataLine = line
            countLines(i, j)
            if j == n {
                if !data.isEmpty { pieces.append(.text(String(String.UnicodeScalarView(data)))) }
                break
            }
            let kind = src[j + 1]
            var k = j + 2
            let minus = k < n && src[k] == "-", plus = k < n && src[k] == "+"
            if minus || plus { k += 1 }
            if minus {
                while let last = data.last, isPythonSpace(last) { data.removeLast() }
            } else if kind != "{" && !plus {
                let nl = data.lastIndex(of: "\n")
                let from = nl.map { $0 + 1 } ?? 0
                if nl != nil || lineStarting, data[from...].allSatisfy({ $0 == " " || $0 == "\t" }) { data.removeSubrange(from...) }
            }
            _ = dataLine
            if !data.isEmpty { pieces.append(.text(String(String.UnicodeScalarView(data)))) }
            let tagLine = line
            if kind == "#" {
                var e = k
                while e + 1 < n, !(src[e] == "#" && src[e + 1] == "}") { e += 1 }
                guard e + 1 < n else { throw .syntax("a comment '{#' is not closed with '#}'", tagLine) }
                countLines(j, e)
                stripNextLeading = e > k && src[e - 1] == "-"
                i = e + 2
                lineStarting = false
                if !stripNextLeading, i < n, src[i] == "\n" { i += 1; line += 1; lineStarting = true }
                continue
            }
            let close: Unicode.Scalar = kind == "{" ? "}" : "%"
            var tokens: [JinjaToken] = []
            var depth = 0
            var endMinus = false, endPlus = false
            var p = k
            scan: while true {
                while p < n, src[p] == " " || src[p] == "\t" || src[p] == "\n" {
                    if src[p] == "\n" { line += 1 }
                    p += 1
                }
                guard p < n else { throw .syntax("'\(kind == "{" ? "{{" : "{%")}' is not closed with '\(kind == "{" ? "}}" : "%}")'", tagLine) }
                if depth == 0 {
                    for (prefix, m, pl) in [("", false, false), ("-", true, false), ("+", false, true)] {
                        let off = prefix.isEmpty ? 0 : 1
                        if (prefix.isEmpty || (p < n && String(src[p]) == prefix)), p + off + 1 < n,
                           src[p + off] == close, src[p + off + 1] == "}", !(close == "}" && pl) {
                            endMinus = m; endPlus = pl
                            p += off + 2
                            break scan
                        }
                    }
                }
                let c = src[p]
                if c == "'" || c == "\"" {
                    let (s, next) = try string(src, p, tagLine)
                    for q in p..<next where src[q] == "\n" { line += 1 }
                    tokens.append(.string(s))
                    p = next
                } else if c.properties.numericType != nil && c.isASCII {
                    var q = p
                    while q < n, src[q].isASCII, src[q].properties.numericType != nil || src[q] == "_" { q += 1 }
                    var isFloat = false
                    if q + 1 < n, src[q] == ".", src[q + 1].isASCII, src[q + 1].properties.numericType != nil {
                        isFloat = true
                        q += 1
                        while q < n, src[q].isASCII, src[q].properties.numericType != nil || src[q] == "_" { q += 1 }
                    }
                    if q < n, src[q] == "e" || src[q] == "E" {
                        var r = q + 1
                        if r < n, src[r] == "+" || src[r] == "-" { r += 1 }
                        if r < n, src[r].isASCII, src[r].properties.numericType != nil {
                            isFloat = true
                            q = r
                            while q < n, src[q].isASCII, src[q].properties.numericType != nil { q += 1 }
                        }
                    }
                    let text = String(String.UnicodeScalarView(src[p..<q])).replacingOccurrences(of: "_", with: "")
                    if isFloat, let d = Double(text) { tokens.append(.float(d)) } else if let v = Int(text) { tokens.append(.int(v)) } else {
                        throw .syntax("number '\(text)' is out of range", tagLine)
                    }
                    p = q
                } else if c == "_" || c.properties.isAlphabetic && c.isASCII {
                    var q = p
                    while q < n, src[q] == "_" || (src[q].isASCII && (src[q].properties.isAlphabetic || src[q].properties.numericType != nil)) { q += 1 }
                    tokens.append(.name(String(String.UnicodeScalarView(src[p..<q]))))
                    p = q
                } else {
                    let two = p + 1 < n ? String(src[p]) + String(src[p + 1]) : ""
                    if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
                        tokens.append(.op(two))
                        p += 2
                    } else if "+-*/%~<>()[]{},.:|=".unicodeScalars.contains(c) {
                        if c == "(" || c == "[" || c == "{" { depth += 1 }
                        if c == ")" || c == "]" || c == "}" { depth = max(0, depth - 1) }
                        tokens.append(.op(String(c)))
                        p += 1
                    } else {
                        throw .syntax("unexpected character '\(c)' in a tag", tagLine)
                    }
                }
            }
            i = p
            lineStarting = false
            stripNextLeading = endMinus
            if kind == "%" {
                pieces.append(.statement(tokens, line: tagLine))
                if !endMinus && !endPlus, i < n, src[i] == "\n" { i += 1; line += 1; lineStarting = true }
            } else {
                pieces.append(.output(tokens, line: tagLine))
            }
        }
        return pieces
    }

    /// A quoted string literal starting at `p`, unescaped as Jinja does (Python's
    /// `unicode-escape`: \n \t \r \\ \' \" \xNN \uNNNN \UNNNNNNNN, octal; others kept).
    static func string(_ src: [Unicode.Scalar], _ p: Int, _ line: Int) throws(JinjaError) -> (String, Int) {
        let quote = src[p]
        var out = String.UnicodeScalarView()
        var q = p + 1
        while q < src.count {
            let c = src[q]
            if c == quote { return (String(out), q + 1) }
            if c == "\\", q + 1 < src.count {
                let e = src[q + 1]
                q += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\": out.append("\\")
                case "'": out.append("'")
                case "\"": out.append("\"")
                case "a": out.append("\u{07}")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "\n": break
                case "x", "u", "U":
                    let len = e == "x" ? 2 : e == "u" ? 4 : 8
                    guard q + len <= src.count, let v = UInt32(String(String.UnicodeScalarView(src[q..<q + len])), radix: 16),
                          let s = Unicode.Scalar(v) else { throw .syntax("bad \\\(e) escape in a string literal", line) }
                    out.append(s)
                    q += len
                case "0"..."7":
                    var v = e.value - 48
                    var k = 0
                    while k < 2, q < src.count, ("0"..."7").contains(src[q]) { v = v * 8 + src[q].value - 48; q += 1; k += 1 }
                    out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default:
                    out.append("\\")
                    out.append(e)
                }
                continue
            }
            out.append(c)
            q += 1
        }
        throw .syntax("a string literal is not closed", line)
    }
}
