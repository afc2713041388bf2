/// SQuAD's `normalize_answer` followed by `split()`, producing the normalised answer as
/// UTF-8 with the byte range of each token.
///
/// Stage 1 turns the text into scalars lower-cased with the 32 ASCII punctuation
/// characters dropped (pure-ASCII text takes a byte loop; other text goes through
/// `PythonText.lower`, which needs the whole string for the final-sigma rule). Stage 2
/// blanks the articles and splits on whitespace in one pass.
// reference: SQuAD v1.1 evaluate-v1.1.py normalize_answer (lower, remove_punc,
// remove_articles, white_space_fix, in that order)
struct SQuADTokens {
    /// The normalised answer: tokens joined by single spaces.
    var bytes: [UInt8] = []
    /// Where each token lies in `bytes`.
    var ranges: [Range<Int>] = []

    /// Normalises `text`.
    init(_ text: String) {
        var text = text
        let kept = text.withUTF8 { Self.lowerWithoutPunctuation($0) }
        kept.withUnsafeBufferPointer { split($0) }
    }

    /// 64-bit hashes of the tokens, to compare tokens cheaply before their bytes.
    func hashes() -> [UInt64] {
        bytes.withUnsafeBufferPointer { b in
            ranges.map { LabelHash.bytes(UnsafeBufferPointer(rebasing: b[$0])) }
        }
    }

    /// Whether token `i` has the same bytes as token `j` of `other`.
    @inline(__always) func same(_ i: Int, _ other: SQuADTokens, _ j: Int) -> Bool {
        let a = ranges[i], b = other.ranges[j]
        guard a.count == b.count else { return false }
        return bytes[a].elementsEqual(other.bytes[b])
    }

    /// Stage 1: lower-case and drop `string.punctuation`.
    private static func lowerWithoutPunctuation(_ b: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(b.count)
        var ascii = true
        for byte in b {
            if byte >= 0x80 {
                ascii = false
                break
            }
            if PythonText.isASCIIPunctuation(UInt32(byte)) { continue }
            out.append(byte >= 0x41 && byte <= 0x5A ? UInt32(byte) + 0x20 : UInt32(byte))
        }
        if ascii { return out }
        let scalars = Array(String(decoding: b, as: UTF8.self).unicodeScalars)
        return PythonText.lower(scalars).compactMap {
            PythonText.isASCIIPunctuation($0.value) ? nil : $0.value
        }
    }

    /// Stage 2: `re.sub(r'\b(a|an|the)\b', ' ', s)` then `' '.join(s.split())`. Matches are
    /// found in the text before replacement, left to right, so look-behind and look-ahead
    /// read `s` itself; a blanked article ends the current token like a space.
    private mutating func split(_ s: UnsafeBufferPointer<UInt32>) {
        let n = s.count
        bytes.reserveCapacity(n)
        var start = -1
        var i = 0
        @inline(__always) func word(_ k: Int) -> Bool { k >= 0 && k < n && Self.isWord(s[k]) }
        while i < n {
            let c = s[i]
            var skip = 0
            if PythonText.isSpace(c) {
                skip = 1
            } else if (c == 0x61 || c == 0x74) && !word(i - 1) {
                // "a" is tried before "an" (alternation order), each needing a boundary after.
                if c == 0x61 {
                    if !word(i + 1) {
                        skip = 1
                    } else if s[i + 1] == 0x6E && !word(i + 2) {
                        skip = 2
                    }
                } else if i + 2 < n && s[i + 1] == 0x68 && s[i + 2] == 0x65 && !word(i + 3) {
                    skip = 3
                }
            }
            if skip > 0 {
                if start >= 0 {
                    ranges.append(start..<bytes.count)
                    start = -1
                }
                i += skip
                continue
            }
            if start < 0 {
                if !bytes.isEmpty { bytes.append(0x20) }
                start = bytes.count
            }
            Self.appendUTF8(c, to: &bytes)
            i += 1
        }
        if start >= 0 { ranges.append(start..<bytes.count) }
    }

    @inline(__always) private static func isWord(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || v == 0x5F
        }
        return Unicode.Scalar(v).map(PythonText.isWord) ?? false
    }

    @inline(__always) private static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
