/// The Porter suffix-stripping stemmer, word for word identical to NLTK 3.10.4's
/// `PorterStemmer(mode=...).stem(word)` (with its default `to_lowercase=True`).
///
/// Two modes:
/// - `.nltk` (the default) is NLTK's `NLTK_EXTENSIONS` mode, what
///   `nltk.stem.PorterStemmer()` gives every NLTK user by default, and what Google's
///   `rouge-score` uses: its `DefaultTokenizer(use_stemmer=True)` builds
///   `porter.PorterStemmer()` (NLTK_EXTENSIONS) and stems only tokens longer than 3
///   characters. Choosing it as the default means stems match the numbers people
///   already have.
/// - `.original` is `ORIGINAL_ALGORITHM`, the 1980 paper as published, for datasets
///   made with it (py-rouge, for one, selects it for ROUGE-1.5.5 compatibility).
///
/// The word is lowercased as Python's `str.lower()` does (Unicode full case mapping),
/// and every rule works on Unicode scalars as Python works on code points; ASCII words
/// (the common case) take a byte path without allocating.
///
/// reference: M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980;
/// NLTK `nltk/stem/porter.py` (modes, irregular forms, rule order).
public struct PorterStemmer: Sendable {
    /// Which variant of the algorithm to run.
    public enum Mode: String, Sendable, CaseIterable {
        /// NLTK's `NLTK_EXTENSIONS` (NLTK's default).
        case nltk
        /// NLTK's `ORIGINAL_ALGORITHM` (the published paper).
        case original
    }

    /// The variant this stemmer runs.
    public let mode: Mode

    /// Creates a stemmer; `.nltk` is NLTK's default mode.
    public init(mode: Mode = .nltk) {
        self.mode = mode
    }

    /// The stem of `word`, as NLTK's `PorterStemmer(mode).stem(word)` returns it.
    public func stem(_ word: String) -> String {
        var word = word
        let nltk = mode == .nltk
        // Fast path: ASCII words are lowercased into a stack buffer and stemmed as bytes.
        if let result = word.withUTF8({ utf8 -> String? in
            let count = utf8.count
            guard count <= 256 else { return nil }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count + 4) { buffer -> String? in
                let p = buffer.baseAddress!
                var nonASCII: UInt8 = 0
                for i in 0..<count {
                    let b = utf8[i]
                    nonASCII |= b
                    // reference: Python str.lower() on ASCII maps only A-Z.
                    p[i] = (b &- 0x41) < 26 ? b | 0x20 : b
                }
                guard nonASCII < 0x80 else { return nil }
                var core = PorterWord(p, count, nltk: nltk)
                let n = core.stemmed(originalLength: count)
                return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            }
        }) {
            return result
        }
        return stemScalars(word)
    }

    /// The general path: Python-style lowercasing, then the same rules on scalar values.
    func stemScalars(_ word: String) -> String {
        let originalLength = word.unicodeScalars.count
        let lowered = PythonCase.lower(word)
        var scalars = lowered.unicodeScalars.map { $0.value }
        let count = scalars.count
        scalars.append(contentsOf: [0, 0, 0, 0])
        let nltk = mode == .nltk
        let n = scalars.withUnsafeMutableBufferPointer { buffer in
            var core = PorterWord(buffer.baseAddress!, count, nltk: nltk)
            return core.stemmed(originalLength: originalLength)
        }
        var out = String.UnicodeScalarView()
        for v in scalars[0..<n] { out.append(Unicode.Scalar(v)!) }
        return String(out)
    }
}

/// A `PorterStemmer` that remembers the stems of the words it has seen, for corpora
/// where the same few thousand words recur millions of times. A value type, so each
/// thread keeps its own.
public struct CachingPorterStemmer: Sendable {
    /// The stemmer whose results are cached.
    public let stemmer: PorterStemmer
    /// Entries kept before the cache is cleared (bounds memory on open vocabularies).
    public let capacity: Int
    var cache: [String: String] = [:]

    /// Creates a caching stemmer for `mode` holding up to `capacity` words.
    public init(mode: PorterStemmer.Mode = .nltk, capacity: Int = 1 << 18) {
        stemmer = PorterStemmer(mode: mode)
        self.capacity = max(1, capacity)
    }

    /// The stem of `word` (see `PorterStemmer.stem`).
    public mutating func stem(_ word: String) -> String {
        if let hit = cache[word] { return hit }
        let result = stemmer.stem(word)
        if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
        cache[word] = result
        return result
    }
}

/// Python's `str.lower()`, which differs from Swift's `lowercased()` in context-
/// dependent final sigma handling.
enum PythonCase {
    /// Lowercases like CPython: full case mapping, and U+03A3 becomes final sigma
    /// (U+03C2) when a cased letter precedes it and none follows it (case-ignorable
    /// characters skipped both ways).
    ///
    /// reference: CPython `Objects/unicodeobject.c` handle_capital_sigma; Unicode
    /// Standard §3.13, Final_Sigma condition.
    static func lower(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        guard scalars.contains("\u{03A3}") else { return s.lowercased() }
        var out = String.UnicodeScalarView()
        for (i, c) in scalars.enumerated() {
            guard c == "\u{03A3}" else {
                out.append(contentsOf: String(c).lowercased().unicodeScalars)
                continue
            }
            var j = i - 1
            while j >= 0, scalars[j].properties.isCaseIgnorable { j -= 1 }
            let casedBefore = j >= 0 && scalars[j].properties.isCased
            var k = i + 1
            while k < scalars.count, scalars[k].properties.isCaseIgnorable { k += 1 }
            let casedAfter = k < scalars.count && scalars[k].properties.isCased
            out.append(casedBefore && !casedAfter ? "\u{03C2}" : "\u{03C3}")
        }
        return String(out)
    }
}
