import WeftText

/// One text as rouge-score tokenizes it: token ids, plus where each "\n" fell, so the
/// same tokens serve rouge1/2/L (the whole text) and rougeLsum (its lines).
struct RougeTokens {
    /// Token ids (final ids: after stemming, from the interner that made them).
    var ids: [Int32] = []
    /// For each line break, the number of tokens before it.
    var breaks: [Int32] = []

    /// Forgets the contents, keeping capacity.
    mutating func removeAll() {
        ids.removeAll(keepingCapacity: true)
        breaks.removeAll(keepingCapacity: true)
    }

    /// The token ranges of the non-empty lines, in order.
    ///
    /// rouge-score drops zero-length lines and keeps lines without tokens as empty
    /// token lists; an empty list adds nothing to the summary-level LCS (no hits, no
    /// length), so dropping every empty range gives the same score.
    func sentences() -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(breaks.count + 1)
        var lo = 0
        for b in breaks {
            let hi = Int(b)
            if hi > lo { out.append(lo..<hi) }
            lo = hi
        }
        if ids.count > lo { out.append(lo..<ids.count) }
        return out
    }
}

/// rouge-score's `DefaultTokenizer`, producing interned ids instead of strings.
///
/// reference: rouge-score 0.1.2 `tokenize.tokenize`: `text.lower()`, every run of
/// characters outside `[a-z0-9]` becomes one space, split on whitespace, Porter-stem
/// (NLTK's `PorterStemmer()`, NLTK_EXTENSIONS) only tokens longer than 3 characters,
/// then keep tokens matching `^[a-z0-9]+$`. So a token is a maximal run of ASCII
/// letters and digits after Python's lowercasing. Of all non-ASCII code points only
/// two lowercase to something containing an ASCII letter (checked over every code
/// point with Python 3.11's `str.lower`): U+0130 'İ' → "i" + U+0307 (so "i" ends the
/// run) and U+212A KELVIN SIGN → "k" (the run goes on). Every other non-ASCII scalar,
/// and every ASCII byte outside [A-Za-z0-9], separates tokens.
///
/// Ids: each distinct raw token is looked up once in `raw`; its payload is the final
/// id, an index into `finals` (the stems and the short unstemmed tokens, which must
/// share ids: "uses" stems to "use"). The stemmer therefore runs once per distinct
/// token per interner, and an interner belongs to one worker (no locks).
struct RougeInterner {
    let useStemmer: Bool
    private let stemmer = PorterStemmer(mode: .nltk)
    private var raw: RougeByteTable
    private var finals: RougeByteTable

    /// An empty interner; `capacity` is the expected number of distinct tokens (small
    /// for one pair, larger for a worker that scores a corpus).
    init(useStemmer: Bool, capacity: Int = 64) {
        self.useStemmer = useStemmer
        raw = RougeByteTable(capacity: capacity)
        finals = RougeByteTable(capacity: useStemmer ? capacity : 1)
    }

    /// Number of distinct final ids handed out so far (ids are below this).
    var idCount: Int { useStemmer ? finals.count : raw.count }

    /// Forgets every token once the tables pass `limit` entries, so a worker's memory
    /// stays bounded on an open vocabulary. Call only between pairs: ids before and
    /// after a reset are unrelated.
    mutating func trim(limit: Int = 1 << 20) {
        if raw.count > limit || raw.arenaBytes > 64 * limit {
            raw.removeAll()
            finals.removeAll()
        }
    }

    /// Appends the tokens of `text` to `tokens` (a "\n" adds a line break).
    mutating func tokenize(_ text: String, into tokens: inout RougeTokens) {
        var text = text
        text.withUTF8 { utf8 in
            let n = utf8.count
            guard n > 0 else { return }
            // A token is never longer than the text, so one buffer of n bytes always fits.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { scratch in
                let tok = scratch.baseAddress!
                var len = 0
                var i = 0
                while i < n {
                    let b = utf8[i]
                    if b < 0x80 {
                        let lower = (b &- 0x41) < 26 ? b | 0x20 : b
                        if (lower &- 0x61) < 26 || (b &- 0x30) < 10 {
                            tok[len] = lower
                            len += 1
                        } else {
                            if len > 0 {
                                emit(tok, len, into: &tokens)
                                len = 0
                            }
                            if b == 0x0A { tokens.breaks.append(Int32(tokens.ids.count)) }
                        }
                        i += 1
                    } else if b == 0xC4, i + 1 < n, utf8[i + 1] == 0xB0 {
                        // U+0130 lowercases to "i" + U+0307: the "i" ends the current run.
                        tok[len] = 0x69
                        emit(tok, len + 1, into: &tokens)
                        len = 0
                        i += 2
                    } else if b == 0xE2, i + 2 < n, utf8[i + 1] == 0x84, utf8[i + 2] == 0xAA {
                        // U+212A KELVIN SIGN lowercases to ASCII "k".
                        tok[len] = 0x6B
                        len += 1
                        i += 3
                    } else {
                        if len > 0 {
                            emit(tok, len, into: &tokens)
                            len = 0
                        }
                        // Skip the rest of this scalar's bytes (valid UTF-8: the lead byte gives the length).
                        i += b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                    }
                }
                if len > 0 { emit(tok, len, into: &tokens) }
            }
        }
    }

    /// The tokens of `text` as strings, exactly as rouge-score's tokenizer returns them.
    mutating func strings(_ text: String) -> [String] {
        var tokens = RougeTokens()
        tokenize(text, into: &tokens)
        return tokens.ids.map { useStemmer ? finals.key(Int($0)) : raw.key(Int($0)) }
    }

    private mutating func emit(_ p: UnsafeMutablePointer<UInt8>, _ n: Int, into tokens: inout RougeTokens) {
        let h = RougeByteTable.hash(p, n)
        if let id = raw.find(p, n, hash: h) {
            if !useStemmer {
                tokens.ids.append(Int32(id))
                return
            }
            let final = raw.payloads[id]
            if final >= 0 { tokens.ids.append(final) }
            return
        }
        let id = raw.insert(p, n, hash: h, payload: -1)
        guard useStemmer else {
            tokens.ids.append(Int32(id))
            return
        }
        let final = finalID(p, n)
        raw.setPayload(id, final)
        if final >= 0 { tokens.ids.append(final) }
    }

    /// The final id of a new raw token: its stem's id (tokens over 3 characters) or its
    /// own; -1 when the stem fails rouge-score's `^[a-z0-9]+$` check (never seen with
    /// Porter on [a-z0-9] input, kept so the rule is the reference's).
    private mutating func finalID(_ p: UnsafeMutablePointer<UInt8>, _ n: Int) -> Int32 {
        // reference: rouge-score stems only `len(x) > 3`; tokens are ASCII, so bytes = characters.
        guard n > 3 else { return Int32(finals.intern(p, n)) }
        var stem = stemmer.stem(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        return stem.withUTF8 { s -> Int32 in
            guard s.count > 0 else { return -1 }
            for c in s where !((c &- 0x61) < 26 || (c &- 0x30) < 10) { return -1 }
            return Int32(finals.intern(s.baseAddress!, s.count))
        }
    }
}
