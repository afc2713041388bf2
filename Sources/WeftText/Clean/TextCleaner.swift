import Foundation

/// The `clean` stage's text pipeline: each step is off unless configured, except
/// Unicode NFC and whitespace collapse, and they run in the order of `Step`.
public struct TextCleaner: Sendable {
    /// The steps, in the order they run (also the order of the report).
    public enum Step: String, Sendable, CaseIterable {
        case html, control, normalize, urls, emails, phones, chars, whitespace, lowercase, lemmatize, stem
    }

    /// What to do with a URL, e-mail or phone number.
    public enum PIIAction: String, Sendable, CaseIterable { case keep, mask, remove }

    /// Unicode normal form.
    public enum Normalization: String, Sendable, CaseIterable { case none, nfc, nfkc }

    /// Character classes `keep_classes` can keep (Unicode general categories).
    public enum CharClass: String, Sendable, CaseIterable {
        case letter, mark, number, punctuation, symbol, space
    }

    /// Options; defaults are the stage's defaults.
    public struct Options: Sendable {
        public var html = false
        public var removeControl = false
        public var normalization = Normalization.nfc
        public var urls = PIIAction.keep
        public var emails = PIIAction.keep
        public var phones = PIIAction.keep
        public var maskTokens: [String] = ["<URL>", "<EMAIL>", "<PHONE>"]
        /// Empty: no filtering. Otherwise characters outside these classes are deleted.
        public var keepClasses: Set<CharClass> = []
        public var collapseWhitespace = true
        public var lowercase = false
        public var minChars = 0, maxChars = 0, minWords = 0, maxWords = 0
        public init() {}
    }

    /// Per-row counts: rows each step changed, characters it removed, rows each filter dropped.
    public struct Stats: Sendable {
        public var changed: [Step: Int] = [:]
        public var removedChars: [Step: Int] = [:]
        public var masked: [Step: Int] = [:]
        public var dropped: [String: Int] = [:]
        public init() {}

        /// Adds another batch's counts.
        public mutating func merge(_ o: Stats) {
            for (k, v) in o.changed { changed[k, default: 0] += v }
            for (k, v) in o.removedChars { removedChars[k, default: 0] += v }
            for (k, v) in o.masked { masked[k, default: 0] += v }
            for (k, v) in o.dropped { dropped[k, default: 0] += v }
        }
    }

    public let options: Options
    /// Per-token transforms (lemmatise, stem) applied to each word, in order.
    let wordSteps: [(Step, @Sendable (String) -> String)]

    /// `lemmatize` and `stem` transform one lowercase-or-not word (a maximal run of
    /// letters, digits and inner apostrophes); other characters pass through.
    public init(options: Options, lemmatize: (@Sendable (String) -> String)? = nil, stem: (@Sendable (String) -> String)? = nil) {
        self.options = options
        var steps: [(Step, @Sendable (String) -> String)] = []
        if let lemmatize { steps.append((.lemmatize, lemmatize)) }
        if let stem { steps.append((.stem, stem)) }
        wordSteps = steps
    }

    static let maskPlaceholder: [UInt32] = [0xE000, 0xE001, 0xE002]

    /// Cleans one text; nil when a length filter drops it (counted in `stats.dropped`).
    public func clean(_ text: String, stats: inout Stats) -> String? {
        var bytes = Array(text.utf8)
        var ascii = isASCII(bytes)
        func record(_ step: Step, _ new: [UInt8]) {
            if new != bytes {
                stats.changed[step, default: 0] += 1
                let removed = ascii && isASCII(new) ? bytes.count - new.count : scalarCount(bytes) - scalarCount(new)
                if removed > 0 { stats.removedChars[step, default: 0] += removed }
                bytes = new
            }
        }
        if options.html, HTMLText.mayContainMarkup(bytes) {
            record(.html, HTMLText.clean(bytes))
            ascii = isASCII(bytes)
        }
        if options.removeControl { record(.control, removeControl(bytes, ascii: ascii)) }
        if options.normalization != .none, !ascii {
            let s = String(decoding: bytes, as: UTF8.self)
            let n = options.normalization == .nfc ? s.precomposedStringWithCanonicalMapping : s.precomposedStringWithCompatibilityMapping
            record(.normalize, Array(n.utf8))
        }
        var usedMasks = false
        if options.urls != .keep || options.emails != .keep || options.phones != .keep {
            let found = PIIMatcher.matches(bytes, urls: options.urls != .keep, emails: options.emails != .keep, phones: options.phones != .keep)
            if !found.isEmpty {
                var out: [UInt8] = []
                out.reserveCapacity(bytes.count)
                var last = 0
                var perStep: [Step: Int] = [:]
                for (r, kind) in found {
                    out.append(contentsOf: bytes[last..<r.lowerBound])
                    let step: Step = kind == .url ? .urls : kind == .email ? .emails : .phones
                    let action = kind == .url ? options.urls : kind == .email ? options.emails : options.phones
                    perStep[step, default: 0] += 1
                    if action == .mask {
                        JSONBytes.appendUTF8(Unicode.Scalar(Self.maskPlaceholder[kind.rawValue])!, to: &out)
                        usedMasks = true
                        ascii = false
                    } else {
                        out.append(0x20)
                    }
                    last = r.upperBound
                }
                out.append(contentsOf: bytes[last...])
                for (step, n) in perStep {
                    stats.changed[step, default: 0] += 1
                    stats.masked[step, default: 0] += n
                }
                bytes = out
            }
        }
        if !options.keepClasses.isEmpty { record(.chars, filterClasses(bytes)) }
        if options.collapseWhitespace { record(.whitespace, collapseWhitespace(bytes)) }
        if options.lowercase { record(.lowercase, lowercase(bytes)) }
        for (step, f) in wordSteps { record(step, mapWords(bytes, f)) }
        if usedMasks { bytes = expandMasks(bytes) }
        return lengthFilter(bytes, stats: &stats)
    }

    func lengthFilter(_ bytes: [UInt8], stats: inout Stats) -> String? {
        let o = options
        if o.minChars > 0 || o.maxChars > 0 {
            let n = scalarCount(bytes)
            if n < o.minChars { stats.dropped["min_chars", default: 0] += 1; return nil }
            if o.maxChars > 0, n > o.maxChars { stats.dropped["max_chars", default: 0] += 1; return nil }
        }
        if o.minWords > 0 || o.maxWords > 0 {
            let n = wordCount(bytes)
            if n < o.minWords { stats.dropped["min_words", default: 0] += 1; return nil }
            if o.maxWords > 0, n > o.maxWords { stats.dropped["max_words", default: 0] += 1; return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: steps

    func isASCII(_ b: [UInt8]) -> Bool {
        b.withUnsafeBufferPointer { buf in
            var i = 0
            var acc: UInt64 = 0
            while i + 8 <= buf.count {
                acc |= UnsafeRawPointer(buf.baseAddress! + i).loadUnaligned(as: UInt64.self)
                i += 8
            }
            while i < buf.count { acc |= UInt64(buf[i]); i += 1 }
            return acc & 0x8080_8080_8080_8080 == 0
        }
    }

    /// Unicode scalars in UTF-8 bytes (what Python's `len` counts).
    func scalarCount(_ b: [UInt8]) -> Int {
        b.withUnsafeBufferPointer { buf in
            var n = 0
            for x in buf where x & 0xC0 != 0x80 { n += 1 }
            return n
        }
    }

    func wordCount(_ b: [UInt8]) -> Int {
        var n = 0
        var inWord = false
        for scalar in String(decoding: b, as: UTF8.self).unicodeScalars {
            let space = scalar.properties.isWhitespace
            if !space && !inWord { n += 1 }
            inWord = !space
        }
        return n
    }

    /// Removes C0/C1 controls (tab, newline and carriage return become spaces) and
    /// format characters (Cf: zero-width space/joiners, BOM, soft hyphen, bidi marks).
    func removeControl(_ b: [UInt8], ascii: Bool) -> [UInt8] {
        if ascii {
            guard b.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return b }
            return b.compactMap { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D ? 0x20 : ($0 < 0x20 || $0 == 0x7F ? nil : $0) }
        }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        for s in String(decoding: b, as: UTF8.self).unicodeScalars {
            if s == "\t" || s == "\n" || s == "\r" { out.append(0x20); continue }
            switch s.properties.generalCategory {
            case .control, .format: continue
            default: JSONBytes.appendUTF8(s, to: &out)
            }
        }
        return out
    }

    func classOf(_ s: Unicode.Scalar) -> CharClass? {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .nonspacingMark, .spacingMark, .enclosingMark: return .mark
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return .symbol
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: return .space
        case .control: return s.properties.isWhitespace ? .space : nil
        default: return nil
        }
    }

    /// Deletes characters outside the kept classes (mask placeholders always stay).
    func filterClasses(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        for s in String(decoding: b, as: UTF8.self).unicodeScalars {
            if (0xE000...0xE002).contains(s.value) { JSONBytes.appendUTF8(s, to: &out); continue }
            if let c = classOf(s), options.keepClasses.contains(c) { JSONBytes.appendUTF8(s, to: &out) }
        }
        return out
    }

    /// Runs of Unicode whitespace become one space; leading and trailing whitespace go.
    func collapseWhitespace(_ b: [UInt8]) -> [UInt8] {
        let n = b.count
        return [UInt8](unsafeUninitializedCapacity: n) { out, count in
            b.withUnsafeBufferPointer { src in
                var o = 0
                var pendingSpace = false
                var i = 0
                while i < n {
                    let c = src[i]
                    var len = 1
                    let isSpace: Bool
                    if c < 0x80 {
                        isSpace = c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)
                    } else {
                        // Non-ASCII: decode one scalar to test Unicode whitespace (NBSP, U+2000…, U+3000, …).
                        len = min(c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, n - i)
                        isSpace = String(decoding: UnsafeBufferPointer(rebasing: src[i..<(i + len)]), as: UTF8.self)
                            .unicodeScalars.first!.properties.isWhitespace
                    }
                    if isSpace {
                        pendingSpace = true
                    } else {
                        if pendingSpace && o > 0 { out[o] = 0x20; o += 1 }
                        pendingSpace = false
                        for k in 0..<len { out[o + k] = src[i + k] }
                        o += len
                    }
                    i += len
                }
                count = o
            }
        }
    }

    func lowercase(_ b: [UInt8]) -> [UInt8] {
        if isASCII(b) { return b.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
        return Array(String(decoding: b, as: UTF8.self).lowercased().utf8)
    }

    /// Applies `f` to each word: a maximal run of letters, marks, digits and
    /// apostrophes between letters.
    func mapWords(_ b: [UInt8], _ f: (String) -> String) -> [UInt8] {
        let s = String(decoding: b, as: UTF8.self)
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var word = ""
        func flush() {
            if !word.isEmpty { out += f(word); word = "" }
        }
        let scalars = Array(s.unicodeScalars)
        for (k, c) in scalars.enumerated() {
            let cls = classOf(c)
            let isWordChar = cls == .letter || cls == .mark || cls == .number
            let innerApostrophe = (c == "'" || c == "\u{2019}") && !word.isEmpty && k + 1 < scalars.count
                && classOf(scalars[k + 1]) == .letter
            if (isWordChar || innerApostrophe) && !(0xE000...0xE002).contains(c.value) {
                word.unicodeScalars.append(c)
            } else {
                flush()
                out.unicodeScalars.append(c)
            }
        }
        flush()
        return Array(out.utf8)
    }

    func expandMasks(_ b: [UInt8]) -> [UInt8] {
        var out = ""
        for s in String(decoding: b, as: UTF8.self).unicodeScalars {
            if (0xE000...0xE002).contains(s.value) { out += options.maskTokens[Int(s.value - 0xE000)] } else { out.unicodeScalars.append(s) }
        }
        return Array(out.utf8)
    }
}

extension TextCleaner {
    /// Whether `step` is configured to run (for reports).
    public func runs(_ step: Step) -> Bool {
        let o = options
        switch step {
        case .html: return o.html
        case .control: return o.removeControl
        case .normalize: return o.normalization != .none
        case .urls: return o.urls != .keep
        case .emails: return o.emails != .keep
        case .phones: return o.phones != .keep
        case .chars: return !o.keepClasses.isEmpty
        case .whitespace: return o.collapseWhitespace
        case .lowercase: return o.lowercase
        case .lemmatize, .stem: return wordSteps.contains { $0.0 == step }
        }
    }
}
