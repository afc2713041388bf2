extension WordNet {
    /// Synonyms of `word` for EDA-style synonym replacement: the lemma names of
    /// `synsets(word)` in order, with '_' and '-' turned into spaces, lowercased, and
    /// only ASCII letters and spaces kept; the word itself and repeats are dropped.
    ///
    /// This is EDA's `get_synonyms` (Wei & Zou 2019) with two deliberate differences:
    /// EDA collects into a Python set, whose order varies from run to run, where this
    /// keeps the first occurrence (so augmentation is reproducible from a seed); and a
    /// lemma with no letter left (e.g. "10" among the synonyms of "ten") is dropped
    /// rather than offered as an empty replacement.
    ///
    /// reference: jasonwei20/eda_nlp `code/eda.py` get_synonyms; NLTK `wn.synsets`.
    public func synonyms(of word: String) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for location in synsetLocations(word) {
            for lemma in lemmaNames(pos: location.pos, offset: location.offset) {
                let candidate = Self.edaForm(lemma)
                guard candidate != word, candidate.utf8.contains(where: { $0 != 0x20 }),
                    seen.insert(candidate).inserted
                else { continue }
                out.append(candidate)
            }
        }
        return out
    }

    /// A lemma name as EDA rewrites it: separators to spaces, lowercase, then only
    /// `[a-z ]` kept.
    static func edaForm(_ lemma: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lemma.utf8.count)
        let ascii = lemma.utf8.allSatisfy { $0 < 0x80 }
        let source = ascii ? lemma : PythonCase.lower(lemma)
        for b in source.utf8 {
            switch b {
            case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: " "): bytes.append(0x20)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(b)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(b | 0x20)
            default: continue
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
