/// The Python `str` behaviour that sacreBLEU's results depend on, on UTF-8 bytes:
/// `split()`/`rstrip()` whitespace and `lower()`.
///
/// sacreBLEU 2.6.0 runs on the reference interpreter Python 3.11, whose `unicodedata`
/// is Unicode 14.0; Swift's tables are newer (Unicode 17 in Swift 6.3). Lowercasing
/// therefore leaves alone characters assigned after 14.0 (Python does not know them),
/// and the two characters whose case properties changed since are pinned to their 14.0
/// values. Tests/Fixtures/eval/sacrebleu/unicode.json holds Python's own answers for
/// every code point, and a test checks these functions against it.
enum SacreText {
    /// `str.isspace()` for an ASCII byte: \t \n \v \f \r, the separators 0x1C-0x1F and space.
    @inline(__always)
    static func isASCIISpace(_ b: UInt8) -> Bool {
        b &- 0x09 < 5 || b &- 0x1C < 5
    }

    /// Python 3.11 `str.isspace()` (the whitespace of `split()` and `rstrip()`).
    @inline(__always)
    static func isSpace(_ v: UInt32) -> Bool {
        if v < 0x80 { return isASCIISpace(UInt8(v)) }
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// The byte length of the whitespace character starting at `p[i]` (valid UTF-8,
    /// `i < n`), or 0 when it is not whitespace.
    @inline(__always)
    static func spaceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        let b = p[i]
        if b < 0x80 { return isASCIISpace(b) ? 1 : 0 }
        switch b {
        case 0xC2:
            let c = p[i + 1]
            return c == 0x85 || c == 0xA0 ? 2 : 0
        case 0xE1:
            return p[i + 1] == 0x9A && p[i + 2] == 0x80 ? 3 : 0
        case 0xE2:
            let c = p[i + 1], d = p[i + 2]
            if c == 0x80 { return d <= 0x8A || d == 0xA8 || d == 0xA9 || d == 0xAF ? 3 : 0 }
            return c == 0x81 && d == 0x9F ? 3 : 0
        case 0xE3:
            return p[i + 1] == 0x80 && p[i + 2] == 0x80 ? 3 : 0
        default:
            return 0
        }
    }

    /// The length of `p[0..<n]` without trailing whitespace (`str.rstrip()`).
    static func rstrippedLength(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var end = n
        while end > 0 {
            let b = p[end - 1]
            if b < 0x80 {
                if isASCIISpace(b) { end -= 1; continue }
                return end
            }
            // A whitespace character is 2 or 3 bytes long; find where the last one starts.
            var start = end - 1
            while start > 0 && p[start] & 0xC0 == 0x80 { start -= 1 }
            if spaceLength(p, start, end) == end - start { end = start } else { return end }
        }
        return 0
    }

    /// Decodes the scalar starting at `p[i]` (valid UTF-8); returns it and its byte length.
    @inline(__always)
    static func decode(_ p: UnsafePointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                | UInt32(p[i + 3] & 0x3F), 4)
    }

    /// Appends the UTF-8 encoding of scalar `v`.
    @inline(__always)
    static func encode(_ v: UInt32, into out: SacreBuffer<UInt8>) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | v >> 6))
            out.append(UInt8(0x80 | v & 0x3F))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | v >> 12))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        } else {
            out.append(UInt8(0xF0 | v >> 18))
            out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Whether Python 3.11 (Unicode 14.0) knows the scalar at all.
    @inline(__always)
    static func knownToPython(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }
        return age.major < 14 || (age.major == 14 && age.minor == 0)
    }

    /// Unicode 14.0 Case_Ignorable, as Python's `lower()` tests it for the final sigma.
    static func isCaseIgnorable(_ v: UInt32) -> Bool {
        if v == 0x1171E { return true }  // AHOM CONSONANT SIGN MEDIAL RA: Mn until Unicode 16
        guard let s = Unicode.Scalar(v), knownToPython(s) else { return false }
        return s.properties.isCaseIgnorable
    }

    /// Unicode 14.0 Cased.
    static func isCased(_ v: UInt32) -> Bool {
        if v == 0x295 { return true }  // LATIN LETTER PHARYNGEAL VOICED FRICATIVE: Ll until Unicode 16
        guard let s = Unicode.Scalar(v), knownToPython(s) else { return false }
        return s.properties.isCased
    }

    /// Python's `str.lower()` of `p[0..<n]` appended to `out` (which is emptied first).
    // reference: CPython 3.11 unicodeobject.c do_lower / handle_capital_sigma
    static func lowercase(_ p: UnsafePointer<UInt8>, _ n: Int, into out: SacreBuffer<UInt8>) {
        out.count = 0
        out.reserve(n)
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                out.append(b &+ (b &- 0x41 < 26 ? 0x20 : 0))
                i += 1
                continue
            }
            let (v, len) = decode(p, i)
            if v == 0x3A3 {
                encode(finalSigma(p, i, n) ? 0x3C2 : 0x3C3, into: out)
            } else if let s = Unicode.Scalar(v), s.properties.changesWhenLowercased, knownToPython(s) {
                for u in s.properties.lowercaseMapping.unicodeScalars { encode(u.value, into: out) }
            } else {
                out.append(p + i, len)
            }
            i += len
        }
    }

    /// Whether the capital sigma at byte `i` ends a word: a cased letter before it and none
    /// after it, skipping case-ignorable characters on both sides.
    private static func finalSigma(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        var j = i
        var before: UInt32? = nil
        while j > 0 {
            var start = j - 1
            while start > 0 && p[start] & 0xC0 == 0x80 { start -= 1 }
            let (v, _) = decode(p, start)
            j = start
            if !isCaseIgnorable(v) { before = v; break }
        }
        guard let b = before, isCased(b) else { return false }
        var k = i + 2  // U+03A3 is two bytes
        while k < n {
            let (v, len) = decode(p, k)
            if !isCaseIgnorable(v) { return !isCased(v) }
            k += len
        }
        return true
    }
}
