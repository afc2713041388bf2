/// Turns one segment into BLEU's tokens exactly as sacreBLEU 2.6.0 does: optional Python
/// `lower()`, `rstrip()`, then the `none`, `13a`, `intl` or `char` tokenizer, then
/// `split()`. One instance per thread; it reuses its buffers across segments.
///
/// The tokenizers are regex substitutions applied one after another in sacreBLEU; each
/// is reproduced as one left-to-right pass with the same non-overlapping matching, so the
/// spaces a pass inserts are seen by the next one as they are there. The 13a passes run
/// on UTF-8 bytes: every character they test for is ASCII, and a byte-wise scan finds
/// the same matches as a scan over code points.
final class BLEUTokenizer {
    let tokenize: BLEUTokenize
    let lowercase: Bool

    /// Start (byte offset into `text`) and byte length of each token of the last segment.
    let starts = SacreBuffer<Int>(capacity: 256)
    let lengths = SacreBuffer<Int32>(capacity: 256)
    /// The bytes the tokens point into, valid until the next call.
    private(set) var text: UnsafePointer<UInt8>

    private let lowered = SacreBuffer<UInt8>(capacity: 1024)
    private let bufferA = SacreBuffer<UInt8>(capacity: 1024)
    private let bufferB = SacreBuffer<UInt8>(capacity: 1024)
    private let scalarsA = SacreBuffer<UInt32>(capacity: 512)
    private let scalarsB = SacreBuffer<UInt32>(capacity: 512)

    init(tokenize: BLEUTokenize, lowercase: Bool) {
        self.tokenize = tokenize
        self.lowercase = lowercase
        text = UnsafePointer(lowered.base)
    }

    /// The number of tokens of the last segment.
    var count: Int { starts.count }

    /// Tokenizes `line`; the tokens are then in `starts`/`lengths` over `text`.
    func run(_ line: String) {
        sacreWithUTF8(line) { src in
            var p = src.baseAddress ?? UnsafePointer(lowered.base)
            var n = src.count
            if lowercase {
                SacreText.lowercase(p, n, into: lowered)
                p = UnsafePointer(lowered.base)
                n = lowered.count
            }
            n = SacreText.rstrippedLength(p, n)
            switch tokenize {
            case .none: split(own(p, n))
            case .char: characters(own(p, n))
            case .thirteenA:
                if !thirteenAWithoutPeriods(p, n) { thirteenA(p, n) }
            case .intl: international(p, n)
            }
        }
    }

    /// Copies the text into a buffer this tokenizer owns (the caller's may not outlive `run`).
    private func own(_ p: UnsafePointer<UInt8>, _ n: Int) -> SacreBuffer<UInt8> {
        if p == UnsafePointer(lowered.base) { lowered.count = n; return lowered }
        bufferA.count = 0
        bufferA.append(p, n)
        return bufferA
    }

    /// Records the whitespace-separated tokens of `buffer` (Python `str.split()`).
    private func split(_ buffer: SacreBuffer<UInt8>) {
        starts.count = 0
        lengths.count = 0
        let p = UnsafePointer(buffer.base), n = buffer.count
        text = p
        var i = 0
        while i < n {
            let w = SacreText.spaceLength(p, i, n)
            if w > 0 { i += w; continue }
            let start = i
            i += 1
            while i < n && SacreText.spaceLength(p, i, n) == 0 { i += 1 }
            starts.append(start)
            lengths.append(Int32(i - start))
        }
    }

    // MARK: char

    /// Every non-whitespace character is a token.
    // reference: sacreBLEU 2.6.0 tokenizer_char (" ".join(line), then split())
    private func characters(_ buffer: SacreBuffer<UInt8>) {
        starts.count = 0
        lengths.count = 0
        let p = UnsafePointer(buffer.base), n = buffer.count
        text = p
        var i = 0
        while i < n {
            let w = SacreText.spaceLength(p, i, n)
            if w > 0 { i += w; continue }
            let len = p[i] < 0x80 ? 1 : SacreText.decode(p, i).1
            starts.append(i)
            lengths.append(Int32(len))
            i += len
        }
    }

    // MARK: 13a

    private static let skipped = Array("<skipped>".utf8)
    private static let dashNewline = Array("-\n".utf8)
    private static let newline = Array("\n".utf8)
    private static let space = Array(" ".utf8)
    private static let entities: [([UInt8], [UInt8])] = [
        ("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    /// The buffer to write the next pass into: never the one holding its input.
    private func target(_ input: UnsafePointer<UInt8>) -> SacreBuffer<UInt8> {
        input == UnsafePointer(bufferA.base) ? bufferB : bufferA
    }

    /// Byte classes for the one-pass 13a tokenizer: 0 word byte, 1 ASCII whitespace,
    /// 2 a punctuation/symbol byte that 13a's first regex surrounds with spaces, 3 `-`,
    /// 4 a byte that may start a non-ASCII whitespace character, 5 a byte only the full
    /// 13a passes handle (`.`, `,`, and `<`, `\n`, `&` of the fixed replacements).
    private static let thirteenAClasses: [UInt8] = (0..<256).map { (v: Int) -> UInt8 in
        let b = UInt8(v)
        if b == 0x2E || b == 0x2C || b == 0x3C || b == 0x0A || b == 0x26 { return 5 }
        if SacreText.isASCIISpace(b) { return 1 }
        if isPass1(b) { return 2 }
        if b == 0x2D { return 3 }
        if b == 0xC2 || b == 0xE1 || b == 0xE2 || b == 0xE3 { return 4 }
        return 0
    }
    private let classes: UnsafeMutablePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for (i, c) in BLEUTokenizer.thirteenAClasses.enumerated() { t[i] = c }
        return t
    }()

    deinit { classes.deallocate() }

    /// 13a in one pass for a line without `.`, `,`, `<`, `\n` or `&` (most lines); false,
    /// with nothing recorded, for any other line. Without those characters only two of
    /// 13a's regexes can fire: the first puts every punctuation/symbol byte of its class
    /// in a token of its own, and the last does the same for a `-` right after a digit
    /// (the passes in between insert spaces only next to `.` and `,`, so that adjacency
    /// is the original one).
    private func thirteenAWithoutPeriods(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
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
    private func thirteenA(_ src: UnsafePointer<UInt8>, _ count: Int) {
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
    private func fixedReplacements(_ src: UnsafePointer<UInt8>, _ count: Int) -> (UnsafePointer<UInt8>, Int) {
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

    // MARK: intl

    /// Class bits of a scalar for the intl tokenizer: \p{P}, \p{S}, \p{N}.
    static let punctuationBit: UInt32 = 1 << 24, symbolBit: UInt32 = 1 << 25, numberBit: UInt32 = 1 << 26

    /// The scalar with its class bits (Swift's general categories agree with the `regex`
    /// module's for every code point; a fixture test checks it).
    @inline(__always)
    static func classified(_ v: UInt32) -> UInt32 {
        if v < 128 {
            let lo = v < 64
            let bit = UInt64(1) << UInt64(v & 63)
            var c: UInt32 = 0
            if (lo ? 0x8C00_F7EE_0000_0000 : 0x2800_0000_B800_0001) & bit != 0 { c |= punctuationBit }
            if (lo ? 0x7000_0810_0000_0000 : 0x5000_0001_4000_0000) & bit != 0 { c |= symbolBit }
            if lo && 0x03FF_0000_0000_0000 & bit != 0 { c |= numberBit }
            return v | c
        }
        guard let s = Unicode.Scalar(v) else { return v }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return v | punctuationBit
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return v | symbolBit
        case .decimalNumber, .letterNumber, .otherNumber:
            return v | numberBit
        default:
            return v
        }
    }

    /// mteval-v14 international tokenization: punctuation split off unless between
    /// digits, symbols always split off.
    // reference: sacreBLEU 2.6.0 tokenizer_intl (TokenizerV14International)
    private func international(_ p: UnsafePointer<UInt8>, _ n: Int) {
        let P = BLEUTokenizer.punctuationBit, S = BLEUTokenizer.symbolBit, N = BLEUTokenizer.numberBit
        var src = scalarsA, dst = scalarsB
        src.count = 0
        src.reserve(n)
        var i = 0
        while i < n {
            let (v, len) = SacreText.decode(p, i)
            src.append(BLEUTokenizer.classified(v))
            i += len
        }
        // Pass 1: `(\P{N})(\p{P})` -> `\1 \2 `.
        dst.count = 0
        dst.reserve(2 * src.count)
        var j = 0
        while j < src.count {
            let x = src[j]
            if j + 1 < src.count && x & N == 0 && src[j + 1] & P != 0 {
                dst.append(x); dst.append(0x20); dst.append(src[j + 1]); dst.append(0x20)
                j += 2
            } else {
                dst.append(x); j += 1
            }
        }
        swap(&src, &dst)
        // Pass 2: `(\p{P})(\P{N})` -> ` \1 \2`.
        dst.count = 0
        dst.reserve(2 * src.count)
        j = 0
        while j < src.count {
            let x = src[j]
            if j + 1 < src.count && x & P != 0 && src[j + 1] & N == 0 {
                dst.append(0x20); dst.append(x); dst.append(0x20); dst.append(src[j + 1])
                j += 2
            } else {
                dst.append(x); j += 1
            }
        }
        swap(&src, &dst)
        // Pass 3: `(\p{S})` -> ` \1 `, then back to UTF-8.
        let out = bufferA
        out.count = 0
        out.reserve(4 * src.count)
        for j in 0..<src.count {
            let x = src[j]
            let v = x & 0x1F_FFFF
            if x & S != 0 {
                out.append(0x20); SacreText.encode(v, into: out); out.append(0x20)
            } else {
                SacreText.encode(v, into: out)
            }
        }
        split(out)
    }
}

/// Runs `body` on the UTF-8 bytes of `s` (copied only when the string is not contiguous).
@inline(__always)
func sacreWithUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
    return Array(s.utf8).withUnsafeBufferPointer(body)
}
