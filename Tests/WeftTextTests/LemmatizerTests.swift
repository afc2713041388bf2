import Foundation
import Testing

@testable import WeftText

/// WordNet lemmatiser against NLTK 3.10.4 `WordNetLemmatizer` reading the same Debian
/// WordNet files (fixtures from Tests/Fixtures/make_text_nltk.py).
@Suite struct LemmatizerTests {
    static let poses: [WordNet.POS] = [.noun, .verb, .adjective, .adverb, .adjectiveSatellite]
    var lemmatizer: WordNetLemmatizer { get throws { WordNetLemmatizer(wordnet: try WordNetTests.shared.get()) } }

    @Test func knownForms() throws {
        let l = try lemmatizer
        #expect(l.lemmatize("geese") == "goose")
        #expect(l.lemmatize("went", pos: .verb) == "go")
        #expect(l.lemmatize("better", pos: .adjective) == "good")  // "good" and "well" tie: first wins
        #expect(l.lemmatize("us") == "u")
        #expect(l.lemmatize("Dogs") == "Dogs")  // no case folding, as in NLTK
        #expect(l.lemmatize("hot_dogs") == "hot_dog")
        #expect(l.lemmatize("aardwolves") == "aardwolf")
        #expect(l.lemmatize("Anythinggoeszxcv") == "Anythinggoeszxcv")
        #expect(l.lemmatize("") == "")
    }

    @Test func sampledWordsMatchNLTK() throws {
        let l = try lemmatizer
        let lines = try NLTKFixtures.lines("lemmatizer.tsv")
        #expect(lines.count > 2_000)
        var failures: [String] = []
        for line in lines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            for (k, pos) in Self.poses.enumerated() where l.lemmatize(f[0], pos: pos) != f[k + 1] {
                failures.append("\(f[0]) \(pos.rawValue): \(l.lemmatize(f[0], pos: pos)) != \(f[k + 1])")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches: \(failures.prefix(20).joined(separator: "; "))")
    }

    @Test func trickyCasesMatchNLTK() throws {
        let l = try lemmatizer
        let rows = try NLTKFixtures.json([[String]].self, "lemmatizer_tricky.json")
        #expect(rows.count > 500)
        for row in rows {
            let pos = try #require(WordNet.POS(rawValue: row[1]))
            #expect(l.lemmatize(row[0], pos: pos) == row[2], "\(row[0].debugDescription) \(row[1])")
        }
    }

    /// The whole WordNet vocabulary (195,827 words; every 8th in debug builds) in every
    /// part of speech, by digest.
    @Test func wholeVocabularyMatchesNLTKDigests() throws {
        let l = try lemmatizer
        let words = try NLTKFixtures.checkedVocabulary()
        let digests = try #require(try NLTKFixtures.digests().lemmatizer)
        for pos in Self.poses {
            var h = FNV1a64()
            for w in words { h.line(w + "\t" + l.lemmatize(w, pos: pos)) }
            #expect(h.hex == digests[pos.rawValue]?.expected.fnv1a64, "pos \(pos.rawValue)")
        }
    }

    @Test func cachingLemmatizerAgrees() throws {
        let l = try lemmatizer
        var cached = CachingWordNetLemmatizer(wordnet: l.wordnet, capacity: 2)
        for w in ["dogs", "geese", "went", "dogs", "running", "better"] {
            for pos in Self.poses { #expect(cached.lemmatize(w, pos: pos) == l.lemmatize(w, pos: pos)) }
        }
        #expect(cached.caches.allSatisfy { $0.count <= 2 })
    }
}
