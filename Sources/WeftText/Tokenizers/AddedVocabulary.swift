/// The `added_tokens` of a tokenizer.json: tokens cut out of the text before the model
/// sees it (special tokens such as `[CLS]` or `<|endoftext|>`, and user additions).
///
/// reference: Hugging Face tokenizers 0.23.3 `tokenizer/added_vocabulary.rs`:
/// - ids: a token whose content is in the model vocabulary takes that id; others take
///   the next id from the model's vocabulary size on, in file order (the ids written in
///   the file are only checked there, and agree in files the library wrote);
/// - tokens with `normalized: false` are matched in the original text, the others in the
///   normalized text (by their normalized content);
/// - matching is leftmost-longest (Aho–Corasick), scanning on after each match even
///   when `single_word` then rejects it;
/// - `single_word`: no word character (`\w`) right before or after; `lstrip`/`rstrip`:
///   the match grows over whitespace (`\s`) on that side, never back into the previous match.
final class AddedVocabulary: Sendable {
    /// One added token.
    struct Token: Sendable {
        var content: String
        var id: UInt32
        var special: Bool
        var singleWord: Bool
        var lstrip: Bool
        var rstrip: Bool
        var normalized: Bool
    }

    /// Tokens by id (the last definition of an id wins, as in the reference).
    let byID: [UInt32: Token]
    /// content → id.
    let idsByContent: TokenTable
    /// Contents of special tokens (decode skips tokens whose text is one of these).
    let specialContents: Set<[UInt8]>
    /// Matcher for `normalized: false` tokens (on the original text).
    let originalMatcher: Matcher?
    /// Matcher for `normalized: true` tokens (on the normalized text).
    let normalizedMatcher: Matcher?
    /// Normalized content of normalized tokens whose normalization changes them (decode
    /// shows this form, as the reference's `simple_id_to_token` does).
    let normalizedContent: [UInt32: String]

    init(tokens: [Token], normalizer: TextNormalizer?) {
        var byID: [UInt32: Token] = [:]
        var order: [UInt32] = []
        var contentIDs: [([UInt8], UInt32)] = []
        var special = Set<[UInt8]>()
        var normalizedContent: [UInt32: String] = [:]
        for t in tokens {
            if byID[t.id] == nil { order.append(t.id) }
            byID[t.id] = t
            contentIDs.append((Array(t.content.utf8), t.id))
            if t.special { special.insert(Array(t.content.utf8)) }
            if t.normalized, let n = normalizer {
                var out: [UInt8] = []
                var lead = false
                let content = Array(t.content.utf8)
                content.withUnsafeBufferPointer { n.apply($0, into: &out, leadingDeleted: &lead) }
                if out != content { normalizedContent[t.id] = String(decoding: out, as: UTF8.self) }
            }
        }
        var original: [([UInt8], Token)] = []
        var normalized: [([UInt8], Token)] = []
        for id in order {
            let t = byID[id]!
            if t.normalized {
                normalized.append((Array((normalizedContent[id] ?? t.content).utf8), t))
            } else {
                original.append((Array(t.content.utf8), t))
            }
        }
        self.byID = byID
        self.idsByContent = TokenTable(contentIDs)
        self.specialContents = special
        self.normalizedContent = normalizedContent
        self.originalMatcher = original.isEmpty ? nil : Matcher(original)
        self.normalizedMatcher = normalized.isEmpty ? nil : Matcher(normalized)
    }

    /// Leftmost-longest matching of a set of byte patterns, with the reference's
    /// single_word / lstrip / rstrip rules.
    struct Matcher: Sendable {
        /// Patterns by first byte, longest first.
        private let byFirstByte: [[(pattern: [UInt8], token: Token)]]
        private let firstBytes: [Bool]

        init(_ patterns: [([UInt8], Token)]) {
            var table = [[(pattern: [UInt8], token: Token)]](repeating: [], count: 256)
            for (p, t) in patterns where !p.isEmpty { table[Int(p[0])].append((p, t)) }
            for k in 0..<256 { table[k].sort { $0.pattern.count > $1.pattern.count } }
            byFirstByte = table
            firstBytes = table.map { !$0.isEmpty }
        }

        /// Splits `text` into text pieces and token pieces, in order; empty text pieces are
        /// not reported. `body(range, token)`: token nil for plain text.
        func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Token?) -> Void) {
            let n = text.count
            var startOffset = 0
            var i = 0
            let t = UnicodeClasses.table
            while i < n {
                guard firstBytes[Int(text[i])] else { i += 1; continue }
                var found: (pattern: [UInt8], token: Token)?
                for cand in byFirstByte[Int(text[i])] where cand.pattern.count <= n - i {
                    if cand.pattern.withUnsafeBufferPointer({ tokenBytesEqual(text.baseAddress! + i, $0.baseAddress!, $0.count) }) {
                        found = cand
                        break
                    }
                }
                guard let m = found else { i += 1; continue }
                var start = i
                var stop = i + m.pattern.count
                i = stop
                let tok = m.token
                if tok.singleWord {
                    let startSpace = start == 0 || !Self.endsWithWord(text, start, t)
                    let stopSpace = stop == n || !Self.startsWithWord(text, stop, t)
                    if !startSpace || !stopSpace { continue }
                }
                if tok.lstrip {
                    var k = start
                    while k > 0 {
                        var b = k - 1
                        while b > 0, text[b] & 0xC0 == 0x80 { b -= 1 }
                        let (v, _) = UTF8Scalar.decode(text, b)
                        if t.classes(v) & UnicodeClasses.Bit.whitespace == 0 { break }
                        k = b
                    }
                    start = max(k, startOffset)
                }
                if tok.rstrip {
                    while stop < n {
                        let (v, len) = UTF8Scalar.decode(text, stop)
                        if t.classes(v) & UnicodeClasses.Bit.whitespace == 0 { break }
                        stop += len
                    }
                }
                if startOffset < start { body(startOffset..<start, nil) }
                body(start..<stop, tok)
                startOffset = stop
            }
            if startOffset < n { body(startOffset..<n, nil) }
        }

        private static func endsWithWord(_ text: UnsafeBufferPointer<UInt8>, _ end: Int, _ t: UnicodeClasses.Table) -> Bool {
            var b = end - 1
            while b > 0, text[b] & 0xC0 == 0x80 { b -= 1 }
            let (v, _) = UTF8Scalar.decode(text, b)
            return t.classes(v) & UnicodeClasses.Bit.word != 0
        }

        private static func startsWithWord(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ t: UnicodeClasses.Table) -> Bool {
            let (v, _) = UTF8Scalar.decode(text, start)
            return t.classes(v) & UnicodeClasses.Bit.word != 0
        }
    }
}
