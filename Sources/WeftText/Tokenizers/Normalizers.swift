/// A `normalizer` of a tokenizer.json, applied to UTF-8 bytes.
///
/// Each case does what the same-named normalizer of Hugging Face `tokenizers` 0.23.3
/// does (`normalizers/*.rs`, `NormalizedString`), on the text between added tokens.
/// ASCII text takes byte-level fast paths; other text goes scalar by scalar.
indirect enum TextNormalizer: Sendable {
    /// `BertNormalizer`; `stripAccents` is already resolved (null follows `lowercase`).
    case bert(cleanText: Bool, chineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    case nfc, nfd, nfkc, nfkd
    case lowercase
    /// `Strip` (whitespace = Rust `char::is_whitespace`).
    case strip(left: Bool, right: Bool)
    /// `StripAccents`: drops combining marks (no decomposition first).
    case stripAccents
    /// `Replace` every match of a pattern by `content`.
    case replace(TextPattern, content: [UInt8])
    /// `Prepend` a string to non-empty text.
    case prepend([UInt8])
    /// `ByteLevel` normalizer: every byte becomes its GPT-2 symbol.
    case byteLevel
    case sequence([TextNormalizer])

    /// The type names this library reads, for "unsupported" errors.
    static let supportedNames = ["BertNormalizer", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Strip",
                                 "StripAccents", "Replace", "Prepend", "ByteLevel", "Sequence"]

    /// Normalizes `input` into `out` (replacing its contents). `leadingDeleted` becomes true
    /// when the first original character was deleted, so that the result no longer starts
    /// at original offset 0 (what Metaspace's prepend_scheme "first" tests).
    func apply(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], leadingDeleted: inout Bool) {
        out.removeAll(keepingCapacity: true)
        switch self {
        case .sequence(let steps):
            var current = Array(input)
            for step in steps {
                current.withUnsafeBufferPointer { step.apply($0, into: &out, leadingDeleted: &leadingDeleted) }
                swap(&current, &out)
            }
            out = current
        case let .bert(clean, chinese, strip, lower):
            Self.bert(input, clean, chinese, strip, lower, &out, &leadingDeleted)
        case .nfc: Self.form(input, .nfc, &out)
        case .nfd: Self.form(input, .nfd, &out)
        case .nfkc: Self.form(input, .nfkc, &out)
        case .nfkd: Self.form(input, .nfkd, &out)
        case .lowercase:
            if Self.isASCII(input) {
                for b in input { out.append(b >= 0x41 && b <= 0x5A ? b + 32 : b) }
            } else {
                var sc: [UInt32] = []
                for v in Self.scalars(input) { UnicodeForms.appendLowercase(v, to: &sc) }
                Self.encode(sc, &out)
            }
        case let .strip(left, right):
            var lo = 0, hi = input.count
            if left {
                while lo < hi {
                    let (v, n) = UTF8Scalar.decode(input, lo)
                    if UnicodeClasses.classes(v) & UnicodeClasses.Bit.whitespace == 0 { break }
                    lo += n
                }
                if lo > 0 && lo < hi { leadingDeleted = true }
            }
            if right {
                while hi > lo {
                    var k = hi - 1
                    while k > lo, input[k] & 0xC0 == 0x80 { k -= 1 }
                    let (v, _) = UTF8Scalar.decode(input, k)
                    if UnicodeClasses.classes(v) & UnicodeClasses.Bit.whitespace == 0 { break }
                    hi = k
                }
            }
            out.append(contentsOf: input[lo..<hi])
        case .stripAccents:
            Self.filter(input, &out, &leadingDeleted) { UnicodeClasses.classes($0) & UnicodeClasses.Bit.combiningMark == 0 }
        case let .replace(pattern, content):
            var last = 0
            var first = true
            pattern.forEachMatch(input) { r in
                if first, r.lowerBound == 0, !r.isEmpty, content.isEmpty, r.upperBound < input.count { leadingDeleted = true }
                first = false
                out.append(contentsOf: input[last..<r.lowerBound])
                out.append(contentsOf: content)
                last = r.upperBound
            }
            out.append(contentsOf: input[last..<input.count])
        case .prepend(let s):
            if !input.isEmpty { out.append(contentsOf: s) }
            out.append(contentsOf: input)
        case .byteLevel:
            for b in input { out.append(contentsOf: ByteLevel.byteToUTF8[Int(b)]) }
        }
    }

    // MARK: - Steps

    @inline(__always)
    static func isASCII(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var acc: UInt8 = 0
        for b in p { acc |= b }
        return acc < 0x80
    }

    static func scalars(_ p: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(p.count)
        var i = 0
        while i < p.count {
            let (v, n) = UTF8Scalar.decode(p, i)
            out.append(v)
            i += n
        }
        return out
    }

    static func encode(_ scalars: [UInt32], _ out: inout [UInt8]) {
        for v in scalars { UTF8Scalar.append(v, to: &out) }
    }

    static func form(_ input: UnsafeBufferPointer<UInt8>, _ form: UnicodeForms.Form, _ out: inout [UInt8]) {
        if isASCII(input) {
            out.append(contentsOf: input)
            return
        }
        encode(UnicodeForms.normalize(scalars(input), form), &out)
    }

    static func filter(_ input: UnsafeBufferPointer<UInt8>, _ out: inout [UInt8], _ leadingDeleted: inout Bool,
                       _ keep: (UInt32) -> Bool) {
        var i = 0
        var keptAny = false
        var droppedFirst = false
        while i < input.count {
            let (v, n) = UTF8Scalar.decode(input, i)
            if keep(v) {
                out.append(contentsOf: input[i..<(i + n)])
                keptAny = true
            } else if i == 0 {
                droppedFirst = true
            }
            i += n
        }
        if droppedFirst && keptAny { leadingDeleted = true }
    }

    /// Whether BERT's clean_text removes this ASCII byte (controls other than \t\n\r).
    @inline(__always)
    static func asciiBertDrops(_ b: UInt8) -> Bool {
        (b < 0x20 || b == 0x7F) && b != 0x09 && b != 0x0A && b != 0x0D
    }

    /// BertNormalizer: clean text, pad CJK, strip accents (NFD, drop Mn), lowercase, in
    /// that order over the whole text.
    ///
    /// reference: tokenizers `normalizers/bert.rs`.
    static func bert(_ input: UnsafeBufferPointer<UInt8>, _ clean: Bool, _ chinese: Bool, _ strip: Bool,
                     _ lower: Bool, _ out: inout [UInt8], _ leadingDeleted: inout Bool) {
        if isASCII(input) {
            // ASCII: controls other than \t\n\r are removed, \t\n\r become spaces; no CJK,
            // no accents.
            let droppedFirst = clean && !input.isEmpty && Self.asciiBertDrops(input[0])
            out.append(contentsOf: input)
            let kept = out.withUnsafeMutableBufferPointer { o -> Int in
                var k = 0
                for b in input {
                    var c = b
                    if clean, b < 0x20 || b == 0x7F {
                        if b == 0x09 || b == 0x0A || b == 0x0D { c = 0x20 } else { continue }
                    }
                    if lower, c &- 0x41 < 26 { c += 32 }
                    o[k] = c
                    k += 1
                }
                return k
            }
            out.removeLast(out.count - kept)
            if droppedFirst && !out.isEmpty { leadingDeleted = true }
            return
        }
        var sc = scalars(input)
        let table = UnicodeClasses.table
        if clean {
            var kept: [UInt32] = []
            kept.reserveCapacity(sc.count)
            for (k, v) in sc.enumerated() {
                let c = table.classes(v)
                if c & UnicodeClasses.Bit.bertRemoved != 0 {
                    if k == 0 { leadingDeleted = true }
                    continue
                }
                kept.append(c & UnicodeClasses.Bit.whitespace != 0 ? 0x20 : v)
            }
            sc = kept
        }
        if chinese {
            var padded: [UInt32] = []
            padded.reserveCapacity(sc.count + 8)
            for v in sc {
                if UnicodeClasses.isChinese(v) {
                    padded.append(0x20); padded.append(v); padded.append(0x20)
                } else {
                    padded.append(v)
                }
            }
            sc = padded
        }
        if strip {
            let decomposed = UnicodeForms.normalize(sc, .nfd)
            var kept: [UInt32] = []
            kept.reserveCapacity(decomposed.count)
            for v in decomposed where table.classes(v) & UnicodeClasses.Bit.bertNonspacingMark == 0 { kept.append(v) }
            sc = kept
        }
        if lower {
            var lowered: [UInt32] = []
            lowered.reserveCapacity(sc.count)
            for v in sc { UnicodeForms.appendLowercase(v, to: &lowered) }
            sc = lowered
        }
        encode(sc, &out)
    }
}
