/// Hand-written matchers for the well-known pre-tokenisation regexes, following their
/// leftmost-first alternation and backtracking exactly, on UTF-8 bytes, with the
/// reference's Oniguruma character classes (`UnicodeClasses`).
///
/// Every one of these patterns matches every character somewhere, so the matches tile
/// the input and each piece is a match.
enum KnownSplitPattern: Sendable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// Llama-3 / cl100k: digits in runs of up to 3.
    case cl100k
    /// Qwen2: the cl100k pattern with single digits.
    case qwen2
    /// GPT-4o / o200k: case-aware words, digits up to 3, `/` after punctuation.
    case o200k

    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let cl100kSource = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let o200kSource = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Recognises a pattern by its exact text.
    init?(_ source: String) {
        switch source {
        case Self.gpt2Source: self = .gpt2
        case Self.cl100kSource: self = .cl100k
        case Self.qwen2Source: self = .qwen2
        case Self.o200kSource: self = .o200k
        default: return nil
        }
    }

    /// Calls `body` with each piece's byte range, in order.
    func split(_ p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .gpt2: ByteLevel.splitGPT2(p, body)
        case .cl100k: Self.splitCL100K(p, maxDigits: 3, body)
        case .qwen2: Self.splitCL100K(p, maxDigits: 1, body)
        case .o200k: Self.splitO200K(p, body)
        }
    }

    // MARK: - Character access

    private typealias Bit = UnicodeClasses.Bit

    /// Class bits and byte length of the character at `i`.
    @inline(__always)
    private static func at(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ t: UnicodeClasses.Table) -> (UInt32, Int, UInt32) {
        let b = p[i]
        if b < 0x80 { return (asciiClasses[Int(b)], 1, UInt32(b)) }
        let (v, n) = UTF8Scalar.decode(p, i)
        return (t.classes(v), n, v)
    }

    private static let asciiClasses: [UInt32] = (0..<128).map { UnicodeClasses.classes(UInt32($0)) }

    /// Length of a contraction `(?i:'s|'t|'re|'ve|'m|'ll|'d)` starting at `i` (the quote), or 0.
    /// Oniguruma's case folding also lets U+017F (long s) match `s`.
    @inline(__always)
    private static func contraction(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let n = p.count
        guard i + 1 < n, p[i] == UInt8(ascii: "'") else { return 0 }
        let c1 = p[i + 1] | 0x20
        switch c1 {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            if p[i + 1] >= 0x41 && p[i + 1] <= 0x7A { return 2 }
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            if p[i + 1] >= 0x41 && p[i + 1] <= 0x7A, i + 2 < n, p[i + 2] | 0x20 == UInt8(ascii: "e"),
               p[i + 2] >= 0x41 { return 3 }
        case UInt8(ascii: "l"):
            if p[i + 1] >= 0x41 && p[i + 1] <= 0x7A, i + 2 < n, p[i + 2] | 0x20 == UInt8(ascii: "l"),
               p[i + 2] >= 0x41 { return 3 }
        default:
            break
        }
        if p[i + 1] == 0xC5, i + 2 < n, p[i + 2] == 0xBF { return 3 }  // 'ſ
        return 0
    }

    /// Whether the scalar can be the optional prefix `[^\r\n\p{L}\p{N}]`.
    @inline(__always)
    private static func isPrefix(_ c: UInt32, _ v: UInt32) -> Bool {
        c & (Bit.letter | Bit.number) == 0 && v != 0x0A && v != 0x0D
    }

    /// The shared tail alternatives ` ?[^\s\p{L}\p{N}]+[extra]*`, `\s*[\r\n]+`,
    /// `\s+(?!\S)`, `\s+` at `i`; returns the end. `slashToo` adds `/` to the trailing set.
    @inline(__always)
    private static func tail(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, slashToo: Bool, _ t: UnicodeClasses.Table) -> Int {
        let n = p.count
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var k = i
        if p[k] == 0x20 { k += 1 }
        if k < n {
            var (c, len, _) = at(p, k, t)
            if c & (Bit.whitespace | Bit.letter | Bit.number) == 0 {
                k += len
                while k < n {
                    (c, len, _) = at(p, k, t)
                    if c & (Bit.whitespace | Bit.letter | Bit.number) != 0 { break }
                    k += len
                }
                while k < n, p[k] == 0x0A || p[k] == 0x0D || (slashToo && p[k] == UInt8(ascii: "/")) { k += 1 }
                return k
            }
        }
        // Whitespace run [i, e), remembering the last CR/LF and the last character's start.
        var e = i
        var lastStart = i
        var lastNewlineEnd = -1
        while e < n {
            let (c, len, v) = at(p, e, t)
            if c & Bit.whitespace == 0 { break }
            if v == 0x0A || v == 0x0D { lastNewlineEnd = e + 1 }
            lastStart = e
            e += len
        }
        if e == i { return i + UTF8Scalar.length(p[i]) }  // not reached for the known patterns
        if lastNewlineEnd > 0 { return lastNewlineEnd }  // \s*[\r\n]+
        if e == n { return e }  // \s+(?!\S) at the end
        if lastStart > i { return lastStart }  // \s+(?!\S): leave the last space
        return e  // \s+
    }

    /// cl100k (Llama-3) and Qwen2.
    ///
    /// reference: the pattern text (`cl100kSource`); alternatives tried in order at each position.
    static func splitCL100K(_ p: UnsafeBufferPointer<UInt8>, maxDigits: Int, _ body: (Range<Int>) -> Void) {
        let t = UnicodeClasses.table
        let n = p.count
        var i = 0
        while i < n {
            let start = i
            let q = contraction(p, i)
            if q > 0 {
                i += q
                body(start..<i)
                continue
            }
            let (c0, l0, v0) = at(p, i, t)
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            var letterStart = -1
            if c0 & Bit.letter != 0 {
                letterStart = i
            } else if isPrefix(c0, v0), i + l0 < n, at(p, i + l0, t).0 & Bit.letter != 0 {
                letterStart = i + l0
            }
            if letterStart >= 0 {
                i = letterStart
                while i < n {
                    let (c, len, _) = at(p, i, t)
                    if c & Bit.letter == 0 { break }
                    i += len
                }
                body(start..<i)
                continue
            }
            // `\p{N}{1,k}`
            if c0 & Bit.number != 0 {
                i += l0
                var count = 1
                while count < maxDigits, i < n {
                    let (c, len, _) = at(p, i, t)
                    if c & Bit.number == 0 { break }
                    i += len
                    count += 1
                }
                body(start..<i)
                continue
            }
            i = tail(p, i, slashToo: false, t)
            body(start..<i)
        }
    }

    /// o200k (GPT-4o).
    ///
    /// reference: the pattern text (`o200kSource`). The first alternative
    /// `P?U*L+C?` backtracks: with the upper-ish run U* ending at `u`, L+ either continues
    /// from `u` or, when the character at `u` is not lower-ish, ends just after the last
    /// lower-ish character inside the run (Lm, Lo and marks are in both sets).
    static func splitO200K(_ p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let t = UnicodeClasses.table
        let n = p.count
        let upperish = Bit.upper | Bit.title | Bit.modifier | Bit.otherLetter | Bit.mark
        let lowerish = Bit.lower | Bit.modifier | Bit.otherLetter | Bit.mark

        // `U*L+` from s: the end, or -1.
        func upperThenLower(_ s: Int) -> Int {
            var u = s
            var lastLowerEnd = -1
            while u < n {
                let (c, len, _) = at(p, u, t)
                if c & upperish == 0 { break }
                if c & lowerish != 0 { lastLowerEnd = u + len }
                u += len
            }
            if u < n, at(p, u, t).0 & lowerish != 0 {
                var e = u
                while e < n {
                    let (c, len, _) = at(p, e, t)
                    if c & lowerish == 0 { break }
                    e += len
                }
                return e
            }
            return lastLowerEnd
        }
        // `U+L*` from s: the end, or -1.
        func upperThenMaybeLower(_ s: Int) -> Int {
            var u = s
            while u < n {
                let (c, len, _) = at(p, u, t)
                if c & upperish == 0 { break }
                u += len
            }
            if u == s { return -1 }
            while u < n {
                let (c, len, _) = at(p, u, t)
                if c & lowerish == 0 { break }
                u += len
            }
            return u
        }

        var i = 0
        while i < n {
            let start = i
            let (c0, l0, v0) = at(p, i, t)
            let prefixOK = isPrefix(c0, v0)
            var end = -1
            if prefixOK, i + l0 < n { end = upperThenLower(i + l0) }
            if end < 0 { end = upperThenLower(i) }
            if end < 0, prefixOK, i + l0 < n { end = upperThenMaybeLower(i + l0) }
            if end < 0 { end = upperThenMaybeLower(i) }
            if end >= 0 {
                i = end + contraction(p, end)
                body(start..<i)
                continue
            }
            if c0 & Bit.number != 0 {
                i += l0
                var count = 1
                while count < 3, i < n {
                    let (c, len, _) = at(p, i, t)
                    if c & Bit.number == 0 { break }
                    i += len
                    count += 1
                }
                body(start..<i)
                continue
            }
            i = tail(p, i, slashToo: true, t)
            body(start..<i)
        }
    }
}
