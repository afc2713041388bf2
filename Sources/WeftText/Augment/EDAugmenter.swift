/// Easy Data Augmentation (Wei & Zou, EMNLP 2019, "EDA: Easy Data Augmentation
/// Techniques for Boosting Performance on Text Classification Tasks").
///
/// Four operations on the whitespace-separated words of a text, each with its rate α
/// (n = max(1, ⌊α·words⌋) changes): synonym replacement (n distinct non-stopwords
/// replaced, every occurrence, by a random WordNet synonym), random insertion (a random
/// synonym of a random word inserted at a random position, n times), random swap (two
/// random positions swapped, n times) and random deletion (each word dropped with
/// probability α; at least one word stays). As in the paper, ⌊count/4⌋+1 candidates
/// are made per enabled operation, shuffled, and `count` kept. Randomness comes from
/// SplitMix64(seed, row): the same seed gives the same rows on any thread count.
public struct EDAugmenter: Sendable {
    /// The four operations.
    public enum Operation: String, Sendable, CaseIterable { case synonym, insertion, swap, deletion }

    /// Rates (0 disables an operation).
    public struct Options: Sendable {
        public var synonymRate = 0.1
        public var insertionRate = 0.1
        public var swapRate = 0.1
        public var deletionRate = 0.1
        public init() {}

        func rate(_ op: Operation) -> Double {
            switch op {
            case .synonym: return synonymRate
            case .insertion: return insertionRate
            case .swap: return swapRate
            case .deletion: return deletionRate
            }
        }
    }

    public let options: Options
    /// Synonyms of a lowercase word, best first (WordNet lemma names).
    let synonyms: @Sendable (String) -> [String]

    public init(options: Options, synonyms: @escaping @Sendable (String) -> [String]) {
        self.options = options
        self.synonyms = synonyms
    }

    /// Up to `count` augmented variants of `text` (variants equal to the text are left out).
    public func augment(_ text: String, count: Int, seed: UInt64, row: Int) -> [(text: String, operation: Operation)] {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard count > 0, !words.isEmpty else { return [] }
        var rng = SplitMix64(seed: seed ^ SplitMix64.mix(UInt64(row) &+ 0x5EED))
        let ops = Operation.allCases.filter { options.rate($0) > 0 }
        guard !ops.isEmpty else { return [] }
        let perOp = count / ops.count + 1
        var made: [(String, Operation)] = []
        for op in ops {
            let alpha = options.rate(op)
            let n = max(1, Int(alpha * Double(words.count)))
            for _ in 0..<perOp {
                let out: [String]
                switch op {
                case .synonym: out = replaceSynonyms(words, n, &rng)
                case .insertion: out = insert(words, n, &rng)
                case .swap: out = swap(words, n, &rng)
                case .deletion: out = delete(words, alpha, &rng)
                }
                made.append((out.joined(separator: " "), op))
            }
        }
        shuffle(&made, &rng)
        var seen: Set<String> = [words.joined(separator: " ")]
        var result: [(text: String, operation: Operation)] = []
        for (t, op) in made where result.count < count && seen.insert(t).inserted { result.append((t, op)) }
        return result
    }

    func shuffle<T>(_ a: inout [T], _ rng: inout SplitMix64) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    }

    func synonymsOf(_ word: String) -> [String] {
        let lower = word.lowercased()
        return synonyms(lower).filter { $0 != lower }
    }

    func replaceSynonyms(_ words: [String], _ n: Int, _ rng: inout SplitMix64) -> [String] {
        var out = words
        var candidates: [String] = []
        var seen = Set<String>()
        for w in words where !EDAugmenter.stopwords.contains(w.lowercased()) && seen.insert(w).inserted { candidates.append(w) }
        shuffle(&candidates, &rng)
        var replaced = 0
        for w in candidates {
            let syn = synonymsOf(w)
            guard !syn.isEmpty else { continue }
            let pick = syn[Int(rng.next() % UInt64(syn.count))]
            for i in out.indices where out[i] == w { out[i] = pick }
            replaced += 1
            if replaced >= n { break }
        }
        return out
    }

    func insert(_ words: [String], _ n: Int, _ rng: inout SplitMix64) -> [String] {
        var out = words
        for _ in 0..<n {
            // EDA tries up to 10 random words for one that has synonyms.
            for _ in 0..<10 {
                let w = out[Int(rng.next() % UInt64(out.count))]
                let syn = synonymsOf(w)
                guard !syn.isEmpty else { continue }
                let pick = syn[Int(rng.next() % UInt64(syn.count))]
                out.insert(pick, at: Int(rng.next() % UInt64(out.count + 1)))
                break
            }
        }
        return out
    }

    func swap(_ words: [String], _ n: Int, _ rng: inout SplitMix64) -> [String] {
        var out = words
        guard out.count > 1 else { return out }
        for _ in 0..<n {
            let i = Int(rng.next() % UInt64(out.count))
            var j = Int(rng.next() % UInt64(out.count))
            var tries = 0
            while j == i && tries < 3 { j = Int(rng.next() % UInt64(out.count)); tries += 1 }
            out.swapAt(i, j)
        }
        return out
    }

    func delete(_ words: [String], _ p: Double, _ rng: inout SplitMix64) -> [String] {
        guard words.count > 1 else { return words }
        let kept = words.filter { _ in rng.unit() >= p }
        return kept.isEmpty ? [words[Int(rng.next() % UInt64(words.count))]] : kept
    }

    /// English stopwords never chosen for synonym replacement (NLTK's English list).
    static let stopwords: Set<String> = Set(
        ("i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his "
            + "himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom "
            + "this that that'll these those am is are was were be been being have has had having do does did doing a an "
            + "the and but if or because as until while of at by for with about against between into through during before "
            + "after above below to from up down in out on off over under again further then once here there when where why "
            + "how all any both each few more most other some such no nor not only own same so than too very s t can will "
            + "just don don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't "
            + "hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't "
            + "shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't").split(separator: " ").map(String.init))
}
