import Foundation
import Testing

@testable import WeftText

/// WordNet reading, synonyms and `wordnet-import` against NLTK 3.10.4 reading the same
/// Debian files, and against the benchmark corpus tool's output (fixtures from
/// Tests/Fixtures/make_text_nltk.py).
@Suite struct WordNetTests {
    static let shared = Result { try WordNet() }
    var wordnet: WordNet { get throws { try Self.shared.get() } }

    @Test func lexnamesTable() {
        #expect(WordNet.lexnames.count == 45)
        #expect(WordNet.lexnames[3] == "noun.Tops")
        #expect(WordNet.lexnames[5] == "noun.animal")
        #expect(WordNet.lexnames[44] == "adj.ppl")
    }

    @Test func indexAndExceptionsLoad() throws {
        let wn = try wordnet
        #expect(wn.lemmas.count == 147_306)
        #expect(wn.baseForms("geese", pos: .noun) == ["goose"])
        #expect(wn.baseForms("better", pos: .adjective) == ["better", "good", "well"])
        #expect(wn.morphy("dogs") == "dog")
        #expect(wn.morphy("hardrock", pos: .adverb) == nil)
    }

    @Test func synsetLookupsMatchNLTK() throws {
        struct Full: Decodable {
            var offset: Int
            var pos: String
            var name: String
            var lexname: String
            var lemmas: [String]
            var definition: String
            var examples: [String]
        }
        struct File: Decodable {
            var lookups: [String: [String]]
            var synsets: [Full]
        }
        let wn = try wordnet
        let file = try NLTKFixtures.json(File.self, "synsets.json")
        #expect(file.lookups.count > 300)
        for (key, expected) in file.lookups {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false)
            let pos = parts[1].isEmpty ? nil : WordNet.POS(rawValue: String(parts[1]))
            let got = wn.synsets(String(parts[0]), pos: pos).map { Self.key($0) }
            #expect(got == expected, "\(key)")
        }
        for f in file.synsets {
            let s = try #require(wn.synset(pos: WordNet.POS(rawValue: f.pos)!, offset: f.offset))
            #expect(wn.name(of: s) == f.name)
            #expect(s.lexname == f.lexname)
            #expect(s.lemmas == f.lemmas)
            #expect(s.definition == f.definition)
            #expect(s.examples == f.examples)
        }
    }

    static func key(_ s: Synset) -> String {
        let digits = String(s.offset)
        return String(repeating: "0", count: 8 - digits.count) + digits + " " + s.pos.rawValue
    }

    /// Every synset's fields (name, lexname, lemmas, NLTK definition and examples), in
    /// data-file order, by digest (every 8th synset in debug builds).
    @Test func everySynsetMatchesNLTK() throws {
        let wn = try wordnet
        let expected = try #require(try NLTKFixtures.digests().synsets).expected
        var h = FNV1a64()
        var count = 0
        var index = 0
        try wn.forEachSynset { s in
            defer { index += 1 }
            guard index % NLTKFixtures.stride == 0 else { return }
            let fields = [
                Self.key(s), wn.name(of: s) ?? "?", s.lexname, s.lemmas.joined(separator: "|"), s.definition,
                s.examples.joined(separator: "|"),
            ]
            h.line(fields.joined(separator: "\t"))
            count += 1
        }
        #expect(count == expected.lines)
        #expect(h.hex == expected.fnv1a64)
    }

    /// `synsets(word)` for the whole vocabulary (195,827 words; every 8th in debug
    /// builds), by digest.
    @Test func everyWordsSynsetsMatchNLTK() throws {
        let wn = try wordnet
        let expected = try #require(try NLTKFixtures.digests().synsets_by_word).expected
        var h = FNV1a64()
        for w in try NLTKFixtures.checkedVocabulary() {
            let keys = wn.synsetLocations(w).map { loc -> String in
                let pos = loc.pos == .adjective ? (wn.ssType(adjectiveOffset: loc.offset) ?? .adjective) : loc.pos
                let digits = String(loc.offset)
                return String(repeating: "0", count: 8 - digits.count) + digits + " " + pos.rawValue
            }
            h.line(w + "\t" + keys.joined(separator: " "))
        }
        #expect(h.hex == expected.fnv1a64)
    }

    @Test func synonymsMatchEDAOnNLTK() throws {
        let wn = try wordnet
        let table = try NLTKFixtures.json([String: [String]].self, "synonyms.json")
        #expect(table.count > 200)
        for (word, expected) in table {
            #expect(wn.synonyms(of: word) == expected, "\(word)")
        }
        #expect(wn.synonyms(of: "good").first == "goodness")
        #expect(!wn.synonyms(of: "ten").contains(""))
    }

    /// Synonyms of the whole vocabulary (every 8th word in debug builds), by digest.
    @Test func everyWordsSynonymsMatch() throws {
        let wn = try wordnet
        let expected = try #require(try NLTKFixtures.digests().synonyms).expected
        var h = FNV1a64()
        for w in try NLTKFixtures.checkedVocabulary() {
            h.line(w + "\t" + wn.synonyms(of: w).joined(separator: "|"))
        }
        #expect(h.hex == expected.fnv1a64)
    }

    @Test func missingFolderSaysWhatToInstall() {
        do {
            _ = try WordNet(folder: "/nonexistent/wordnet")
            Issue.record("expected an error")
        } catch let error as TextError {
            #expect(error.description.contains("/nonexistent/wordnet/data.noun"))
            #expect(error.description.contains("wordnet-base"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func malformedIndexNamesFileAndLine() throws {
        let dir = try Self.copyOfWordNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/index.verb"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text += "brokenlemma v x 0 1 0 02084071\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let lines = text.split(separator: "\n").count
        do {
            _ = try WordNet(folder: dir)
            Issue.record("expected an error")
        } catch let error as TextError {
            #expect(error.description.hasPrefix("\(path):\(lines): "))
        }
    }

    @Test func malformedDataLineNamesFileAndLine() throws {
        let dir = try Self.copyOfWordNet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/data.adv"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text += "99999999 77 r 01 nowhere 0 000 | a bad lex_filenum\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let lines = text.split(separator: "\n").count
        let wn = try WordNet(folder: dir)
        #expect(throws: TextError.self) { try wn.forEachSynset { _ in } }
        do {
            try wn.forEachSynset { _ in }
        } catch let error as TextError {
            #expect(error.description.hasPrefix("\(path):\(lines): bad lex_filenum"))
        }
        let out = dir + "/out"
        #expect(throws: TextError.self) { try WordNetImport.run(wordnet: wn, into: out) }
        // Nothing half-written: no output file appears when the import fails.
        for name in WordNetImport.fileNames { #expect(!FileManager.default.fileExists(atPath: out + "/" + name)) }
    }

    static func copyOfWordNet() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for stem in ["noun", "verb", "adj", "adv"] {
            for name in ["data.\(stem)", "index.\(stem)", "\(stem).exc"] {
                try FileManager.default.copyItem(atPath: NLTKFixtures.wordnetFolder + "/" + name, toPath: dir + "/" + name)
            }
        }
        return dir
    }

    /// The import writes the benchmark tool's three files byte for byte (sizes, line
    /// counts and FNV-1a digests of /tmp/wn made by wordnet_corpus.py).
    @Test func importIsByteIdenticalToTheCorpusTool() throws {
        struct FileInfo: Decodable { var bytes: Int; var lines: Int; var fnv1a64: String; var first: [String]; var last: [String] }
        let reference = try JSONSerialization.jsonObject(with: NLTKFixtures.data("wordnet_import.json")) as! [String: Any]
        let labels = reference["labels"] as! [[Any]]
        let wn = try wordnet
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("wn-import-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let summary = try WordNetImport.run(wordnet: wn, into: out)
        #expect(summary.synsets == 117_659)
        #expect(summary.synsetsByType == ["n": 82_115, "v": 13_767, "a": 7_463, "s": 10_693, "r": 3_621])
        #expect(summary.definitionRows == 206_978)
        #expect(summary.skippedWithoutGloss == 0)
        #expect(summary.labels.map(\.label) == labels.map { $0[0] as! String })
        #expect(summary.labels.map(\.count) == labels.map { $0[1] as! Int })
        for (i, name) in WordNetImport.fileNames.enumerated() {
            let infoData = try JSONSerialization.data(withJSONObject: reference[name]!)
            let info = try JSONDecoder().decode(FileInfo.self, from: infoData)
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
            #expect(data.count == info.bytes, "\(name)")
            #expect(summary.files[i] == .init(name: name, lines: info.lines, bytes: info.bytes))
            var h = FNV1a64()
            data.withUnsafeBytes { h.bytes($0) }
            #expect(h.hex == info.fnv1a64, "\(name)")
            // First and last three lines, read from the ends of the file.
            let head = String(decoding: data.prefix(4096), as: UTF8.self).split(separator: "\n").prefix(3)
            let tail = String(decoding: data.suffix(8192), as: UTF8.self).split(separator: "\n").suffix(3)
            #expect(head.map(String.init) == info.first, "\(name)")
            #expect(tail.map(String.init) == info.last, "\(name)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func glossSplitFollowsTheCorpusTool() {
        func split(_ s: String) -> (String, [String]) {
            let (d, e) = GlossSplit.split(Array(s.utf8))
            return (String(decoding: d, as: UTF8.self), e.map { String(decoding: $0, as: UTF8.self) })
        }
        #expect(split("a dog; \"the dog barked\"; \"a second\"") == ("a dog", ["the dog barked", "a second"]))
        #expect(split("no examples;") == ("no examples", []))
        #expect(split("\"only an example\"") == ("", ["only an example"]))
        #expect(split("unbalanced; \"one \"quote\"") == ("unbalanced", ["one \"quote"]))
        #expect(split("x; \"a\";\"b\" ; \"\"") == ("x", ["a", "b"]))
    }

    @Test func pythonJSONEscapes() {
        var out: [UInt8] = []
        PythonJSON.appendString(Array("a\"b\\c\n\t\r\u{8}\u{c}\u{1}é\u{7f}".utf8), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\n\t\r\b\f\u0001é\#u{7f}""#)
    }
}
