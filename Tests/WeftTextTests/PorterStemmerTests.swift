import Foundation
import Testing

@testable import WeftText

/// Porter stemmer against NLTK 3.10.4 (fixtures from Tests/Fixtures/make_text_nltk.py):
/// edge cases, a sampled word list, and digests over the whole WordNet vocabulary.
@Suite struct PorterStemmerTests {
    let nltk = PorterStemmer(mode: .nltk)
    let original = PorterStemmer(mode: .original)

    @Test func defaultModeIsNLTKExtensions() {
        #expect(PorterStemmer().mode == .nltk)
        #expect(PorterStemmer.Mode(rawValue: "original") == .original)
    }

    @Test func paperAndExtensionExamples() {
        // reference: Porter (1980) examples; NLTK docstrings.
        #expect(nltk.stem("caresses") == "caress")
        #expect(nltk.stem("ponies") == "poni")
        #expect(nltk.stem("relational") == "relat")
        #expect(nltk.stem("generously") == "gener")
        #expect(nltk.stem("dying") == "die")
        #expect(nltk.stem("Skies") == "sky")
        #expect(nltk.stem("ties") == "tie")
        #expect(original.stem("ties") == "ti")
        #expect(nltk.stem("happy") == "happi")
        #expect(nltk.stem("enjoy") == "enjoy")
        #expect(original.stem("enjoy") == "enjoi")
        #expect(nltk.stem("is") == "is")
        #expect(original.stem("is") == "i")
        #expect(nltk.stem("") == "")
    }

    @Test func trickyCasesMatchNLTK() throws {
        let rows = try NLTKFixtures.json([[String]].self, "porter_tricky.json")
        #expect(rows.count > 300)
        var failures: [String] = []
        for row in rows {
            let (word, expectedNLTK, expectedOriginal) = (row[0], row[1], row[2])
            let a = nltk.stem(word)
            let b = original.stem(word)
            if a != expectedNLTK { failures.append("nltk \(word.debugDescription): \(a.debugDescription) != \(expectedNLTK.debugDescription)") }
            if b != expectedOriginal {
                failures.append("original \(word.debugDescription): \(b.debugDescription) != \(expectedOriginal.debugDescription)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches: \(failures.prefix(20).joined(separator: "; "))")
    }

    @Test func sampledWordsMatchNLTK() throws {
        let lines = try NLTKFixtures.lines("porter_words.tsv")
        #expect(lines.count > 10_000)
        var failures: [String] = []
        for line in lines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let expectedOriginal = f[2].isEmpty ? f[1] : f[2]
            if nltk.stem(f[0]) != f[1] { failures.append("nltk \(f[0]): \(nltk.stem(f[0])) != \(f[1])") }
            if original.stem(f[0]) != expectedOriginal {
                failures.append("original \(f[0]): \(original.stem(f[0])) != \(expectedOriginal)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches: \(failures.prefix(20).joined(separator: "; "))")
    }

    /// Every word of the WordNet vocabulary (195,827 words; every 8th in debug builds),
    /// both modes, by digest.
    @Test func wholeVocabularyMatchesNLTKDigests() throws {
        let digests = try NLTKFixtures.digests()
        #expect(try NLTKFixtures.vocabulary().count == digests.vocabulary)
        let words = try NLTKFixtures.checkedVocabulary()
        for (mode, expected) in [(PorterStemmer.Mode.nltk, digests.porter.nltk), (.original, digests.porter.original)] {
            let stemmer = PorterStemmer(mode: mode)
            var h = FNV1a64()
            for w in words { h.line(w + "\t" + stemmer.stem(w)) }
            #expect(words.count == expected.expected.lines)
            #expect(h.hex == expected.expected.fnv1a64, "mode \(mode)")
        }
    }

    @Test func cachingStemmerAgrees() {
        var cached = CachingPorterStemmer(mode: .original, capacity: 3)
        for w in ["running", "Running", "ties", "running", "skies", "generously", "ties"] {
            #expect(cached.stem(w) == original.stem(w))
        }
        #expect(cached.cache.count <= 3)
    }

    @Test func nonASCIIAndLongWordsTakeTheScalarPath() {
        #expect(nltk.stem("CAFÉS") == "café")
        #expect(nltk.stem("ΟΔΟΣ") == "οδος".replacingOccurrences(of: "σ", with: "ς"))
        let long = String(repeating: "a", count: 300) + "ing"
        #expect(nltk.stem(long) == String(repeating: "a", count: 300))
    }
}

/// FNV-1a 64-bit hash of lines (each followed by "\n"), as the fixture script computes.
struct FNV1a64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func line(_ s: String) {
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ 0x0A) &* 0x0000_0100_0000_01b3
    }

    mutating func bytes(_ s: UnsafeRawBufferPointer) {
        var x = h
        for b in s { x = (x ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h = x
    }

    var hex: String {
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// Fixture files of Tests/Fixtures/text/nltk and the WordNet vocabulary they were made on.
enum NLTKFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/text/nltk")
    static let wordnetFolder = "/usr/share/wordnet"

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }

    static func json<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: data(name))
    }

    static func lines(_ name: String) throws -> [String] {
        let text = String(decoding: try data(name), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    struct Digest: Decodable {
        struct Part: Decodable { var lines: Int; var fnv1a64: String }
        var lines: Int
        var fnv1a64: String
        /// The same over every 8th line.
        var stride8: Part

        /// The digest this build checks (see `stride`).
        var expected: Part { NLTKFixtures.stride == 1 ? Part(lines: lines, fnv1a64: fnv1a64) : stride8 }
    }

    /// Debug builds check every 8th word (the whole vocabulary takes minutes unoptimised);
    /// `swift test -c release` checks all of them.
    #if DEBUG
        static let stride = 8
    #else
        static let stride = 1
    #endif

    struct Digests: Decodable {
        struct Porter: Decodable { var nltk: Digest; var original: Digest }
        var vocabulary: Int
        var porter: Porter
        var lemmatizer: [String: Digest]?
        var synonyms: Digest?
        var synsets_by_word: Digest?
        var synsets: Digest?
    }

    static func digests() throws -> Digests { try json(Digests.self, "digests.json") }

    /// The vocabulary words this build checks against the digests (every `stride`-th).
    static func checkedVocabulary() throws -> [String] {
        let all = try vocabulary()
        return stride == 1 ? all : Swift.stride(from: 0, to: all.count, by: stride).map { all[$0] }
    }

    /// Every maximal run of ASCII letters in the data, index and exception files, plus
    /// every index lemma; distinct, sorted by bytes (as make_text_nltk.py builds it).
    /// Built once per test process.
    static func vocabulary() throws -> [String] { try cachedVocabulary.get() }

    static let cachedVocabulary = Result { try buildVocabulary() }

    static func buildVocabulary() throws -> [String] {
        var words = Set<[UInt8]>()
        for pos in ["noun", "verb", "adj", "adv"] {
            for name in ["data.\(pos)", "index.\(pos)", "\(pos).exc"] {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wordnetFolder + "/" + name)))
                var start = -1
                for i in 0...bytes.count {
                    let isLetter = i < bytes.count && ((bytes[i] | 0x20) >= 0x61 && (bytes[i] | 0x20) <= 0x7A)
                    if isLetter {
                        if start < 0 { start = i }
                    } else if start >= 0 {
                        words.insert(Array(bytes[start..<i]))
                        start = -1
                    }
                }
                if name.hasPrefix("index.") {
                    var lineStart = 0
                    for i in 0..<bytes.count where bytes[i] == 0x0A {
                        if bytes[lineStart] != 0x20, let space = bytes[lineStart..<i].firstIndex(of: 0x20) {
                            words.insert(Array(bytes[lineStart..<space]))
                        }
                        lineStart = i + 1
                    }
                }
            }
        }
        return words.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }
}
