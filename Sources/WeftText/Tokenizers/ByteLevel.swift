/// GPT-2 byte-level mapping and pre-tokenisation.
///
/// reference: OpenAI GPT-2 `encoder.py` (`bytes_to_unicode`, the pre-tokenisation
/// pattern) and Hugging Face `tokenizers` 0.23.3 `pre_tokenizers::ByteLevel`, which runs
/// that pattern on the Oniguruma engine (Ruby syntax, UTF-8).
public enum ByteLevel {
    /// byte → the printable Unicode scalar GPT-2 uses for it (256 entries).
    ///
    /// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other
    /// 68 bytes take U+0100, U+0101, … in byte order, so every byte has a visible glyph.
    public static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let keepsItself = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if keepsItself {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// byte → that scalar's UTF-8 encoding (1 or 2 bytes), for building token strings fast.
    public static let byteToUTF8: [[UInt8]] = byteToScalar.map { Array(String($0).utf8) }

    /// The 256 scalars sorted by value: the order `tokenizers` gives `ByteLevel.alphabet()`
    /// symbols in a trained vocabulary (its trainer sorts the alphabet by code point).
    public static let alphabet: [Unicode.Scalar] = byteToScalar.sorted { $0.value < $1.value }

    /// Scalar values 0..<324 → byte + 1 (0 where the scalar is not in the mapping).
    private static let scalarToByte: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 324)
        for (b, s) in byteToScalar.enumerated() { table[Int(s.value)] = UInt16(b + 1) }
        return table
    }()

    /// Inverse: scalar value → byte, nil for scalars that are not in the mapping.
    @inline(__always)
    public static func byte(forScalar value: UInt32) -> UInt8? {
        guard value < 324 else { return nil }
        let b = scalarToByte[Int(value)]
        return b == 0 ? nil : UInt8(b - 1)
    }

    /// Maps raw bytes to the byte-level string (each byte → its scalar), as `tokenizers`
    /// shows pre-tokenised pieces and vocabulary entries.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        for b in bytes { out.append(contentsOf: byteToUTF8[Int(b)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Maps a byte-level string back to raw bytes; nil if a scalar is not in the mapping.
    public static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            guard let b = byte(forScalar: s.value) else { return nil }
            out.append(b)
        }
        return out
    }

    /// Splits UTF-8 text into the pieces of the GPT-2 pre-tokenisation regex
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
    /// calling `body` with each piece's byte range, in order.
    ///
    /// Hand-written (no regex engine), following the pattern's leftmost-first alternation
    /// and backtracking exactly. Character classes are Oniguruma's for UTF-8 (see
    /// `ByteLevel.CharClass`). The pieces always cover the whole input. Bytes that are not valid
    /// UTF-8 count as one "other" character each (inputs are validated upstream; this only
    /// keeps the split total).
    public static func splitGPT2(_ utf8: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let end = utf8.count
        var i = 0
        while i < end {
            let start = i
            let b0 = utf8[i]
            // Alternatives 1–7: `'s|'t|'re|'ve|'m|'ll|'d` (case-sensitive).
            if b0 == UInt8(ascii: "'"), i + 1 < end {
                let b1 = utf8[i + 1]
                if b1 == UInt8(ascii: "s") || b1 == UInt8(ascii: "t") || b1 == UInt8(ascii: "m") || b1 == UInt8(ascii: "d") {
                    body(start..<(i + 2))
                    i += 2
                    continue
                }
                if i + 2 < end {
                    let b2 = utf8[i + 2]
                    if (b1 == UInt8(ascii: "r") && b2 == UInt8(ascii: "e")) || (b1 == UInt8(ascii: "v") && b2 == UInt8(ascii: "e"))
                        || (b1 == UInt8(ascii: "l") && b2 == UInt8(ascii: "l"))
                    {
                        body(start..<(i + 3))
                        i += 3
                        continue
                    }
                }
            }
            var (cls, len) = CharClass.at(utf8, i)
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an ASCII space joins the run after it.
            if b0 == 0x20, i + 1 < end {
                let (nextClass, nextLen) = CharClass.at(utf8, i + 1)
                if nextClass != .space {
                    i = runEnd(utf8, i + 1 + nextLen, nextClass)
                    body(start..<i)
                    continue
                }
            }
            if cls != .space {
                i = runEnd(utf8, i + len, cls)
                body(start..<i)
                continue
            }
            // `\s+(?!\S)`: the whole whitespace run if it ends the text; otherwise the run
            // less its last character (which then starts the next piece), unless the run is
            // a single character, which `\s+` takes alone.
            var lastStart = i
            while i < end {
                (cls, len) = CharClass.at(utf8, i)
                if cls != .space { break }
                lastStart = i
                i += len
            }
            if i < end, lastStart > start { i = lastStart }
            body(start..<i)
        }
    }

    /// Index after the run of characters of class `cls` starting at `i`.
    @inline(__always)
    private static func runEnd(_ utf8: UnsafeBufferPointer<UInt8>, _ from: Int, _ cls: CharClass) -> Int {
        var i = from
        let end = utf8.count
        // ASCII letters and digits first in a tight loop (most text), then the general case.
        switch cls {
        case .letter: while i < end, (utf8[i] | 0x20) &- 0x61 < 26 { i += 1 }
        case .number: while i < end, utf8[i] &- 0x30 < 10 { i += 1 }
        default: break
        }
        while i < end {
            let (c, n) = CharClass.at(utf8, i)
            if c != cls { break }
            i += n
        }
        return i
    }

    /// Splits a string (convenience over `splitGPT2` for tests and small inputs).
    public static func splitGPT2(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var pieces: [String] = []
        bytes.withUnsafeBufferPointer { buf in
            splitGPT2(buf) { r in pieces.append(String(decoding: buf[r], as: UTF8.self)) }
        }
        return pieces
    }
}

extension ByteLevel {
    /// The character classes of the GPT-2 pattern, as Oniguruma (the engine `tokenizers`
    /// uses) defines them for UTF-8 text.
    ///
    /// - `letter`: `\p{L}` = general categories Lu, Ll, Lt, Lm, Lo (not the marks `\p{M}`).
    /// - `number`: `\p{N}` = Nd, Nl, No.
    /// - `space`: `\s` = U+0009…U+000D, U+0085 and the categories Zs, Zl, Zp (so U+00A0 and
    ///   U+3000 are spaces, U+001C…U+001F and U+200B are not).
    /// - `other`: everything else, and each byte of invalid UTF-8.
    ///
    /// reference: Oniguruma doc/RE ("\s … Unicode case"); the classes were checked for every
    /// code point against `tokenizers` 0.23.3 (Tests/Fixtures/text/bpe/hf_char_classes.txt).
    enum CharClass: UInt8 {
        case other = 0, letter, number, space

        /// The class of an ASCII byte (arithmetic, no table: a static table costs a
        /// lazy-initialisation check on every access in the hot loop).
        @inline(__always)
        static func ascii(_ b: UInt8) -> CharClass {
            if (b | 0x20) &- 0x61 < 26 { return .letter }
            if b &- 0x30 < 10 { return .number }
            if b == 0x20 || b &- 0x09 < 5 { return .space }
            return .other
        }

        /// Classes of the Basic Multilingual Plane, computed once (64 KB).
        static let bmp: [CharClass] = (0..<0x10000).map { of(UInt32($0)) }

        /// Characters Swift's newer Unicode tables make letters or numbers but that the
        /// reference engine's older tables (Oniguruma's) leave unassigned, hence "other". They are matched as
        /// the reference matches them so splits stay identical.
        static let newerThanReference: [ClosedRange<UInt32>] = [
            0x088F...0x088F, 0x0C5C...0x0C5C, 0x0CDC...0x0CDC, 0xA7CE...0xA7CF, 0xA7D2...0xA7D2,
            0xA7D4...0xA7D4, 0xA7F1...0xA7F1, 0x10940...0x10959, 0x10EC5...0x10EC7, 0x11DB0...0x11DDB,
            0x11DE0...0x11DE9, 0x16EA0...0x16EB8, 0x16EBB...0x16ED3, 0x16FF2...0x16FF6, 0x187F8...0x187FF,
            0x18D09...0x18D1E, 0x18D80...0x18DF2, 0x1E6C0...0x1E6DE, 0x1E6E0...0x1E6E2, 0x1E6E4...0x1E6E5,
            0x1E6E7...0x1E6ED, 0x1E6F0...0x1E6F4, 0x1E6FE...0x1E6FF, 0x2B73A...0x2B73F, 0x2CEA2...0x2CEAD,
            0x323B0...0x33479,
        ]

        /// The class of one scalar value from its Unicode properties.
        static func of(_ value: UInt32) -> CharClass {
            if value < 128 { return ascii(UInt8(value)) }
            if value == 0x85 { return .space }
            guard let scalar = Unicode.Scalar(value) else { return .other }
            let cls: CharClass
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: cls = .letter
            case .decimalNumber, .letterNumber, .otherNumber: cls = .number
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return .space
            default: return .other
            }
            for r in newerThanReference where r.contains(value) { return .other }
            return cls
        }

        /// Class and byte length of the character starting at `i` (invalid UTF-8: other, 1).
        @inline(__always)
        static func at(_ utf8: UnsafeBufferPointer<UInt8>, _ i: Int) -> (CharClass, Int) {
            let b0 = utf8[i]
            if b0 < 0x80 { return (ascii(b0), 1) }
            return nonASCII(utf8, i)
        }

        /// Decodes one multi-byte scalar strictly (no overlongs, surrogates or values past
        /// U+10FFFF) and classifies it.
        static func nonASCII(_ utf8: UnsafeBufferPointer<UInt8>, _ i: Int) -> (CharClass, Int) {
            let b0 = UInt32(utf8[i])
            let end = utf8.count
            @inline(__always) func cont(_ k: Int) -> UInt32? {
                guard i + k < end else { return nil }
                let b = utf8[i + k]
                return b & 0xC0 == 0x80 ? UInt32(b & 0x3F) : nil
            }
            if b0 >= 0xC2, b0 <= 0xDF, let c1 = cont(1) {
                return (bmp[Int((b0 & 0x1F) << 6 | c1)], 2)
            }
            if b0 >= 0xE0, b0 <= 0xEF, let c1 = cont(1), let c2 = cont(2) {
                let v = (b0 & 0x0F) << 12 | c1 << 6 | c2
                if v >= 0x800, !(0xD800...0xDFFF).contains(v) { return (bmp[Int(v)], 3) }
            }
            if b0 >= 0xF0, b0 <= 0xF4, let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) {
                let v = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
                if v >= 0x10000, v <= 0x10FFFF { return (of(v), 4) }
            }
            return (.other, 1)
        }
    }
}
