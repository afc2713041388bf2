/// NLTK's `WordNetLemmatizer`: the shortest base form morphy finds for the word and
/// part of speech, or the word unchanged when WordNet knows none.
///
/// Identical to NLTK 3.10.4 `WordNetLemmatizer().lemmatize(word, pos)`, which returns
/// `min(_morphy(word, pos), key=len)`: the length is counted in Unicode scalars, and on
/// a tie the earliest candidate wins (the word itself, then exception bases or
/// detachment results in rule order). Like NLTK it does not lowercase ("Dogs" stays
/// "Dogs") and multiword lemmas use underscores ("hot_dogs" → "hot_dog").
///
/// reference: NLTK `nltk/stem/wordnet.py`, `nltk/corpus/reader/wordnet.py` `_morphy`.
public struct WordNetLemmatizer: Sendable {
    /// The database the lemmas come from.
    public let wordnet: WordNet

    /// Creates a lemmatiser over an opened WordNet.
    public init(wordnet: WordNet) {
        self.wordnet = wordnet
    }

    /// The lemma of `word` as a `pos` (noun by default, as in NLTK).
    public func lemmatize(_ word: String, pos: WordNet.POS = .noun) -> String {
        var word = word
        let best: [UInt8]? = word.withUTF8 { utf8 in
            var bestStart: [UInt8]? = nil
            var bestLength = Int.max
            var isWord = false
            wordnet.forEachBaseForm(utf8, pos: pos) { candidate in
                let length = scalarCount(candidate)
                if length < bestLength {
                    bestLength = length
                    isWord = candidate.baseAddress == utf8.baseAddress && candidate.count == utf8.count
                    bestStart = isWord ? nil : Array(candidate)
                }
                return true
            }
            if bestLength == Int.max || isWord { return nil }
            return bestStart
        }
        guard let best else { return word }
        return String(decoding: best, as: UTF8.self)
    }
}

/// A `WordNetLemmatizer` that remembers its answers, for token streams where the same
/// words recur. A value type, so each thread keeps its own.
public struct CachingWordNetLemmatizer: Sendable {
    /// The lemmatiser whose results are cached.
    public let lemmatizer: WordNetLemmatizer
    /// Entries kept per part of speech before that cache is cleared.
    public let capacity: Int
    var caches: [[String: String]] = Array(repeating: [:], count: 5)

    /// Creates a caching lemmatiser holding up to `capacity` words per part of speech.
    public init(wordnet: WordNet, capacity: Int = 1 << 18) {
        lemmatizer = WordNetLemmatizer(wordnet: wordnet)
        self.capacity = max(1, capacity)
    }

    /// The lemma of `word` as a `pos` (see `WordNetLemmatizer.lemmatize`).
    public mutating func lemmatize(_ word: String, pos: WordNet.POS = .noun) -> String {
        let k = Self.slot(pos)
        if let hit = caches[k][word] { return hit }
        let result = lemmatizer.lemmatize(word, pos: pos)
        if caches[k].count >= capacity { caches[k].removeAll(keepingCapacity: true) }
        caches[k][word] = result
        return result
    }

    static func slot(_ pos: WordNet.POS) -> Int {
        switch pos {
        case .noun: return 0
        case .verb: return 1
        case .adjective: return 2
        case .adjectiveSatellite: return 3
        case .adverb: return 4
        }
    }
}

/// Number of Unicode scalars in UTF-8 bytes (bytes that do not continue a sequence).
@inline(__always) func scalarCount(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
    var n = 0
    for b in utf8 where b & 0xC0 != 0x80 { n += 1 }
    return n
}
