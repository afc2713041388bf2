/// sacreBLEU's default tokenizer, mteval-v13a, on UTF-8 bytes: a one-pass path for
/// the common line and the regex passes one after another for the rest.
extension BLEUTokenizer {
    static let skipped = Array("<skipped>".utf8)
    static let dashNewline = Array("-\n".utf8)
    static let newline = Array("\n".utf8)
    static let space = Array(" ".utf8)
    static let entities: [([UInt8], [UInt8])] = [
        ("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    /// The buffer to write the next pass into: never the one holding its input.
    func target(_ input: UnsafePointer<UInt8>) -> SacreBuffer<UInt8> {
        input == UnsafePointer(bufferA.base) ? bufferB : bufferA
    }

    /// Byte classes for the one-pass 13a tokenizer: 0 word byte, 1 ASCII whitespace,
    /// 2 a punctuation/symbol byte that 13a's first regex surrounds with spaces, 3 `-`,
    /// 4 a byte that may start a non-ASCII whitespace character, 5 a byte only the full
    /// 13a passes handle (`.`, `,`, and `<`, `\n`, `&` of the fixed replacements).
    static let thirteenAClasses: [UInt8] = (0..<256).map { (v: Int) -> UInt8 in
        let b = UInt8(v)
        if b == 0x2E || b == 0x2C || b == 0x3C || b == 0x0A || b == 0x26 { return 5 }
        if SacreText.isASCIISpace(b) { return 1 }
        if isPass1(b) { return 2 }
        if b == 0x2D { return 3 }
        if b == 0xC2 || b == 0xE1 || b == 0xE2 || b == 0xE3 { return 4 }
        return 0
    }

    /// 13a in one pass for a line without `.`, `,`, `<`, `\n` or `&` (most lines); false,
    /// with nothing recorded, for any other line. Without those characters only two of
    /// 13a's regexes can fire: the first puts every punctuation/symbol byte of its class
    /// in a token of its own, and the last does the same for a `-` right after a digit
    /// (the passes in between insert spaces only next to `.` and `,`, so that adjacency
    /// is the original one).
    func thirteenAWithoutPeriods(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        starts.count = 0
        lengths.count = 0
        starts.reserve(n)
        lengths.reserve(n)
        let st = starts.base, ln = lengths.base, table = classes
        var count = 0, start = -1, i = 0
        while i < n {
            let b = p[i]
            switch table[Int(b)] {
            case 0:
                if start < 0 { start = i }
                i += 1
            case 1:
                if start >= 0 { st[count] = start; ln[count] = Int32(i - start); count += 1; start = -1 }
                i += 1
            case 2:
                if start >= 0 { st[count] = start; ln[count] = Int32(i - start); count += 1; start = -1 }
                st[count] = i; ln[count] = 1; count += 1
                i += 1
            case 3:
                if i > 0 && BLEUTokenizer.isDigit(p[i - 1]) {
                    if start >= 0 { st[count] = start; ln[count] = Int32(i - start); count += 1; start = -1 }
                    st[count] = i; ln[count] = 1; count += 1
                } else if start < 0 {
                    start = i
                }
                i += 1
            case 4:
                let w = SacreText.spaceLength(p, i, n)
                if w > 0 {
                    if start >= 0 { st[count] = start; ln[count] = Int32(i - start); count += 1; start = -1 }
                    i += w
                } else {
                    if start < 0 { start = i }
                    i += 1
                }
            default:
                starts.count = 0
                return false
            }
        }
        if start >= 0 { st[count] = start; ln[count] = Int32(n - start); count += 1 }
        starts.count = count
        lengths.count = count
        if p != UnsafePointer(lowered.base) {
            bufferA.count = 0
            bufferA.append(p, n)
            text = UnsafePointer(bufferA.base)
        } else {
            text = p
        }
        return true
    }

    /// mteval-v13a: fixed replacements, then punctuation split off except `.`/`,` inside
    /// numbers and `-` that does not follow a digit.
    // reference: sacreBLEU 2.6.0 tokenizer_13a and tokenizer_re (TokenizerRegexp)
    func thirteenA(_ src: UnsafePointer<UInt8>, _ count: Int) {
        var p = src, n = count
        var rare = false  // '<', '\n' or '&' present: the fixed replacements may apply
        for i in 0..<n {
            let b = p[i]
            if b == 0x3C || b == 0x0A || b == 0x26 { rare = true; break }
        }
        if rare { (p, n) = fixedReplacements(p, n) }

        // Pass 1: the line wrapped in spaces; ASCII punctuation and symbols other than
        // ' , - . get a space on both sides.
        var out = target(p)
        out.reserve(3 * n + 2)
        var o = out.base
        var k = 0
        o[k] = 0x20; k += 1
        var dotComma = false, dash = false
        for i in 0..<n {
            let b = p[i]
            if BLEUTokenizer.isPass1(b) {
                o[k] = 0x20; o[k + 1] = b; o[k + 2] = 0x20; k += 3
            } else {
                o[k] = b; k += 1
                dotComma = dotComma || b == 0x2E || b == 0x2C
                dash = dash || b == 0x2D
            }
        }
        o[k] = 0x20; k += 1
        out.count = k
        p = UnsafePointer(out.base); n = k

        if dotComma {
            // Pass 2: `([^0-9])([\.,])` -> `\1 \2 `.
            out = target(p)
            out.reserve(2 * n)
            o = out.base
            k = 0
            var i = 0
            while i < n {
                let b = p[i]
                if i + 1 < n && !BLEUTokenizer.isDigit(b) && BLEUTokenizer.isDotComma(p[i + 1]) {
                    o[k] = b; o[k + 1] = 0x20; o[k + 2] = p[i + 1]; o[k + 3] = 0x20
                    k += 4; i += 2
                } else {
                    o[k] = b; k += 1; i += 1
                }
            }
            out.count = k
            p = UnsafePointer(out.base); n = k

            // Pass 3: `([\.,])([^0-9])` -> ` \1 \2`.
            out = target(p)
            out.reserve(2 * n)
            o = out.base
            k = 0
            i = 0
            while i < n {
                let b = p[i]
                if i + 1 < n && BLEUTokenizer.isDotComma(b) && !BLEUTokenizer.isDigit(p[i + 1]) {
                    o[k] = 0x20; o[k + 1] = b; o[k + 2] = 0x20; o[k + 3] = p[i + 1]
                    k += 4; i += 2
                } else {
                    o[k] = b; k += 1; i += 1
                }
            }
            out.count = k
            p = UnsafePointer(out.base); n = k
        }
        if dash {
            // Pass 4: `([0-9])(-)` -> `\1 \2 `.
            out = target(p)
            out.reserve(2 * n)
            o = out.base
            k = 0
            var i = 0
            while i < n {
                let b = p[i]
                if i + 1 < n && BLEUTokenizer.isDigit(b) && p[i + 1] == 0x2D {
                    o[k] = b; o[k + 1] = 0x20; o[k + 2] = 0x2D; o[k + 3] = 0x20
                    k += 4; i += 2
                } else {
                    o[k] = b; k += 1; i += 1
                }
            }
            out.count = k
        }
        split(out)
    }

    /// sacreBLEU's string replacements before the regexes, in its order: `<skipped>`
    /// removed, `-\n` removed, `\n` to space, then four HTML entities (when `&` occurs).
    func fixedReplacements(_ src: UnsafePointer<UInt8>, _ count: Int) -> (UnsafePointer<UInt8>, Int) {
        var p = src, n = count
        var steps: [([UInt8], [UInt8])] = [(BLEUTokenizer.skipped, [])]
        steps += [(BLEUTokenizer.dashNewline, []), (BLEUTokenizer.newline, BLEUTokenizer.space)]
        for (k, (pattern, replacement)) in steps.enumerated() {
            if k == 1 && !UnsafeBufferPointer(start: p, count: n).contains(0x0A) { break }
            let out = target(p)
            if BLEUTokenizer.replace(p, n, pattern, replacement, into: out) {
                p = UnsafePointer(out.base)
                n = out.count
            }
        }
        if UnsafeBufferPointer(start: p, count: n).contains(0x26) {
            for (pattern, replacement) in BLEUTokenizer.entities {
                let out = target(p)
                if BLEUTokenizer.replace(p, n, pattern, replacement, into: out) {
                    p = UnsafePointer(out.base)
                    n = out.count
                }
            }
        }
        return (p, n)
    }

    /// `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: ASCII 0x20-0x26, 0x28-0x2B, 0x2F, 0x3A-0x40, 0x5B-0x60, 0x7B-0x7E.
    @inline(__always)
    static func isPass1(_ b: UInt8) -> Bool {
        b < 64 ? (0xFC00_8F7F_0000_0000 as UInt64) >> UInt64(b) & 1 != 0
            : b < 128 ? (0x7800_0001_F800_0001 as UInt64) >> UInt64(b - 64) & 1 != 0 : false
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isDotComma(_ b: UInt8) -> Bool { b == 0x2E || b == 0x2C }

    /// Python `str.replace` (left to right, non-overlapping) into `out`; false (and `out`
    /// untouched) when the pattern does not occur.
    static func replace(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ pattern: [UInt8], _ replacement: [UInt8],
        into out: SacreBuffer<UInt8>
    ) -> Bool {
        let m = pattern.count
        var found = false
        var i = 0, copied = 0
        while i + m <= n {
            var j = 0
            while j < m && p[i + j] == pattern[j] { j += 1 }
            if j < m { i += 1; continue }
            if !found { out.count = 0; found = true }
            out.append(p + copied, i - copied)
            for r in replacement { out.append(r) }
            i += m
            copied = i
        }
        if found { out.append(p + copied, n - copied) }
        return found
    }
}
