/// The `WordPiece` model of a tokenizer.json (BERT, MiniLM).
///
/// reference: Hugging Face tokenizers 0.23.3 `models/wordpiece/mod.rs`: a word longer
/// than `max_input_chars_per_word` characters is `unk_token`; otherwise greedy
/// longest-match-first from the left, pieces after the first looked up with
/// `continuing_subword_prefix` in front, shortening one character at a time; if some
/// position has no match the whole word is `unk_token`.
final class WordPieceModel: Sendable {
    let vocab: TokenTable
    /// Tokens that start with the prefix, keyed without it (lookup of "##" + piece).
    let continuation: TokenTable
    /// id → token text.
    let tokenByID: [UInt32: String]
    let unkToken: String
    let unkID: UInt32?
    let prefix: [UInt8]
    let maxInputChars: Int

    init(vocab: [([UInt8], UInt32)], unkToken: String, prefix: String, maxInputChars: Int) {
        self.vocab = TokenTable(vocab)
        let p = Array(prefix.utf8)
        var cont: [([UInt8], UInt32)] = []
        var byID: [UInt32: String] = [:]
        for (k, v) in vocab {
            byID[v] = String(decoding: k, as: UTF8.self)
            if k.count >= p.count, k.starts(with: p) { cont.append((Array(k[p.count...]), v)) }
        }
        // Rebuild with the final value per key (a later duplicate key wins in `vocab`).
        var finalCont: [([UInt8], UInt32)] = []
        for (k, _) in cont {
            if let v = self.vocab.lookup(p + k) { finalCont.append((k, v)) }
        }
        continuation = TokenTable(finalCont)
        tokenByID = byID
        self.unkToken = unkToken
        self.unkID = self.vocab.lookup(Array(unkToken.utf8))
        self.prefix = p
        self.maxInputChars = maxInputChars
    }

    /// Tokenizes one word (non-empty, UTF-8), appending ids to `out`.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, out: inout [UInt32]) {
        var chars = 0
        for b in word where b & 0xC0 != 0x80 { chars += 1 }
        if chars > maxInputChars {
            if let u = unkID { out.append(u) }
            return
        }
        let mark = out.count
        let n = word.count
        let base = word.baseAddress!
        var start = 0
        while start < n {
            let first = start == 0
            // Longer candidates cannot be in the vocabulary: start from the longest that
            // could, on a character boundary.
            var end = min(n, start + (first ? vocab.maxKeyLength : continuation.maxKeyLength))
            while end < n, end > start, word[end] & 0xC0 == 0x80 { end -= 1 }
            var found: UInt32?
            while end > start {
                let id = first ? vocab.lookup(base + start, end - start) : continuation.lookup(base + start, end - start)
                if let id { found = id; break }
                end -= 1
                while end > start, word[end] & 0xC0 == 0x80 { end -= 1 }
            }
            guard let id = found else {
                out.removeSubrange(mark..<out.count)
                if let u = unkID { out.append(u) }
                return
            }
            out.append(id)
            start = end
        }
    }
}
