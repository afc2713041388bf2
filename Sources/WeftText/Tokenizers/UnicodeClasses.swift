/// Character classes exactly as Hugging Face `tokenizers` 0.23.3 sees them, for every
/// code point.
///
/// The reference mixes several Unicode tables of different ages: Oniguruma's for `Split`
/// regexes (`\p{L}`, `\p{N}`, `\s`…), the `unicode_categories` crate (Unicode 8-era) for
/// BERT's control/punctuation/accent tests, Rust's `char` methods for whitespace and
/// numbers, and the `regex` crate for `\w`. Swift's own tables are newer (letters added
/// since then would split differently), so the classes are measured from the reference
/// itself (Tests/Fixtures/make_text_tokenizers.py) and shipped as packed ranges in
/// `UnicodeClassData.swift`; this file unpacks them into a two-stage lookup table.
enum UnicodeClasses {
    /// One class per bit; the order matches `packedRanges`.
    enum Bit {
        /// Rust `char::is_whitespace`, `regex` `\s` and Oniguruma `\s` (all White_Space).
        static let whitespace: UInt32 = 1 << 0
        /// Removed by `BertNormalizer` clean_text (Cc, Cf, Co of `unicode_categories`; U+0000; U+FFFD).
        static let bertRemoved: UInt32 = 1 << 1
        /// `is_ascii_punctuation || unicode_categories::is_punctuation` (BERT, Punctuation).
        static let punctuation: UInt32 = 1 << 2
        /// Rust `char::is_numeric` (Digits).
        static let numeric: UInt32 = 1 << 3
        /// Nonspacing marks removed by BERT's strip_accents (after NFD).
        static let bertNonspacingMark: UInt32 = 1 << 4
        /// Combining marks removed by `StripAccents`.
        static let combiningMark: UInt32 = 1 << 5
        /// `regex` crate `\w` (Whitespace pre-tokenizer, single_word added tokens).
        static let word: UInt32 = 1 << 6
        /// Oniguruma `\p{N}`.
        static let number: UInt32 = 1 << 7
        /// Oniguruma `\p{M}`.
        static let mark: UInt32 = 1 << 8
        /// Oniguruma `\p{Lu}`.
        static let upper: UInt32 = 1 << 9
        /// Oniguruma `\p{Ll}`.
        static let lower: UInt32 = 1 << 10
        /// Oniguruma `\p{Lt}`.
        static let title: UInt32 = 1 << 11
        /// Oniguruma `\p{Lm}`.
        static let modifier: UInt32 = 1 << 12
        /// Oniguruma `\p{Lo}`.
        static let otherLetter: UInt32 = 1 << 13
        /// Changed by the reference's NFD, or of nonzero combining class there.
        static let nfdRelevant: UInt32 = 1 << 14
        /// Changed by the reference's NFKD, or of nonzero combining class there.
        static let nfkdRelevant: UInt32 = 1 << 15
        /// Changed by the reference's NFC, of nonzero combining class, or the second half
        /// of a canonical composition (NFC's quick check).
        static let nfcRelevant: UInt32 = 1 << 16
        /// The same for NFKC.
        static let nfkcRelevant: UInt32 = 1 << 17
        /// Changed by Rust's `char::to_lowercase`.
        static let lowercaseChanges: UInt32 = 1 << 18
        /// Oniguruma `\p{L}` (the union of the five letter categories).
        static let letter: UInt32 = upper | lower | title | modifier | otherLetter
    }

    /// The alphabet of the packed varints (index = 6-bit digit).
    static let packAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The unpacked table, built on first use (about 0.1 s of work, ~300 KB).
    static let table = Table()

    /// The class bits of one scalar value.
    @inline(__always)
    static func classes(_ v: UInt32) -> UInt32 { table.classes(v) }

    /// Two-stage lookup: block index per 256 code points, then deduplicated blocks.
    final class Table: Sendable {
        let stage1: [UInt32]
        let stage2: [UInt32]

        init() {
            var flat = [UInt32](repeating: 0, count: 0x110000)
            var digit = [Int](repeating: 0, count: 128)
            for (k, c) in UnicodeClasses.packAlphabet.enumerated() { digit[Int(c)] = k }
            for (bitIndex, chunks) in UnicodeClasses.packedRanges.enumerated() {
                let bit = UInt32(1) << UInt32(bitIndex)
                var numbers: [Int] = []
                var n = 0, shift = 0
                for chunk in chunks {
                    for c in chunk.utf8 {
                        let d = digit[Int(c)]
                        n |= (d & 31) << shift
                        shift += 5
                        if d & 32 == 0 { numbers.append(n); n = 0; shift = 0 }
                    }
                }
                var pos = 0
                var k = 0
                while k + 1 < numbers.count {
                    let start = pos + numbers[k]
                    let end = start + numbers[k + 1]
                    for cp in start..<min(end, 0x110000) { flat[cp] |= bit }
                    pos = end
                    k += 2
                }
            }
            var s1 = [UInt32](repeating: 0, count: 0x110000 >> 8)
            var s2: [UInt32] = []
            var seen: [[UInt32]: UInt32] = [:]
            for b in 0..<(0x110000 >> 8) {
                let block = Array(flat[(b << 8)..<((b + 1) << 8)])
                if let idx = seen[block] {
                    s1[b] = idx
                } else {
                    let idx = UInt32(s2.count >> 8)
                    seen[block] = idx
                    s2.append(contentsOf: block)
                    s1[b] = idx
                }
            }
            stage1 = s1
            stage2 = s2
        }

        @inline(__always)
        func classes(_ v: UInt32) -> UInt32 {
            guard v < 0x110000 else { return 0 }
            return stage2.withUnsafeBufferPointer { s2 in
                stage1.withUnsafeBufferPointer { s1 in s2[Int(s1[Int(v >> 8)]) << 8 | Int(v & 0xFF)] }
            }
        }
    }

    /// Whether `v` is in the CJK blocks BERT pads with spaces (handle_chinese_chars).
    ///
    /// reference: tokenizers `normalizers/bert.rs` `is_chinese_char`.
    @inline(__always)
    static func isChinese(_ v: UInt32) -> Bool {
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}

/// Decoding of UTF-8 bytes one scalar at a time (inputs come from Swift strings, so they
/// are valid; a stray byte decodes as U+FFFD of length 1 to keep loops total).
enum UTF8Scalar {
    /// The scalar starting at `i` and its length in bytes.
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        let n = p.count
        if b0 >= 0xC2, b0 <= 0xDF, i + 1 < n {
            return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2)
        }
        if b0 >= 0xE0, b0 <= 0xEF, i + 2 < n {
            return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        if b0 >= 0xF0, b0 <= 0xF4, i + 3 < n {
            return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
        }
        return (0xFFFD, 1)
    }

    /// Byte length of the scalar whose first byte is `b0`.
    @inline(__always)
    static func length(_ b0: UInt8) -> Int {
        if b0 < 0x80 { return 1 }
        if b0 < 0xE0 { return 2 }
        if b0 < 0xF0 { return 3 }
        return 4
    }

    /// Appends the UTF-8 encoding of `v`.
    @inline(__always)
    static func append(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | v >> 6)); out.append(UInt8(0x80 | v & 0x3F))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | v >> 12)); out.append(UInt8(0x80 | (v >> 6) & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        } else {
            out.append(UInt8(0xF0 | v >> 18)); out.append(UInt8(0x80 | (v >> 12) & 0x3F))
            out.append(UInt8(0x80 | (v >> 6) & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        }
    }
}
