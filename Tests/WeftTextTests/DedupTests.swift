import Foundation
import Testing
@testable import WeftText

/// A temporary folder for dedup tests, removed when the value goes away.
private final class DedupTempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-dedup-" + UUID().uuidString.prefix(13).lowercased()).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, lines: [String]) throws -> String {
        let p = path + "/" + name
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
    func read(_ name: String) -> String { (try? String(contentsOfFile: path + "/" + name, encoding: .utf8)) ?? "" }
}

/// A deterministic word generator for test corpora (SplitMix64 steps).
private struct TestWords {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    static let syllables = ["ka", "lo", "mi", "ter", "san", "dru", "ve", "pol", "gri", "na", "sho", "bel", "tu", "rin", "ex", "qua"]
    mutating func word() -> String { (0..<(2 + below(2))).map { _ in TestWords.syllables[below(TestWords.syllables.count)] }.joined() }
    mutating func sentence(words n: Int) -> [String] { (0..<n).map { _ in word() } }
}

/// Reference shingle set: `k`-character substrings (Unicode scalars) of the text, or the
/// whole text when shorter — computed the plain way, independent of the hashing code.
private func charShingles(_ text: String, _ k: Int) -> Set<String> {
    let s = Array(text.unicodeScalars)
    guard s.count > k else { return [text] }
    return Set((0...(s.count - k)).map { i in String(String.UnicodeScalarView(s[i..<(i + k)])) })
}

private func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
    Double(a.intersection(b).count) / Double(a.union(b).count)
}

private func decide(_ texts: [String], _ options: Deduplicator.Options, threads: Int = 1) throws -> [Deduplicator.Decision] {
    var d = try Deduplicator(options: options)
    return try d.process(texts: texts, lines: Array(1...texts.count), threads: threads)
}

@Suite("dedup")
struct DedupTests {
    @Test("exact duplicates after lowercasing and white-space collapse; raw text when normalisation is off")
    func exactNormalisation() throws {
        let texts = ["Hello  World", "hello world", " HELLO\tworld\n", "Hello World!", "ÉCOLE  d’Été", "école d’été", "Hello  World"]
        var o = Deduplicator.Options()
        o.near = false
        #expect(try decide(texts, o) == [
            .keep, .duplicate(keptLine: 1, kind: .exact), .duplicate(keptLine: 1, kind: .exact), .keep,
            .keep, .duplicate(keptLine: 5, kind: .exact), .duplicate(keptLine: 1, kind: .exact),
        ])
        o.normalize = false
        #expect(try decide(texts, o) == [.keep, .keep, .keep, .keep, .keep, .keep, .duplicate(keptLine: 1, kind: .exact)])
        // The normaliser itself: Unicode white space (NBSP, ideographic space) collapses too.
        var t = DedupText()
        t.load("\u{00A0} Straße\u{3000}\u{2003}ÖL  ", normalize: true)
        #expect(Array(t.bytes[0..<t.count]) == Array("straße öl".utf8))
        t.load("  A\t\tB  c ", normalize: true)
        #expect(Array(t.bytes[0..<t.count]) == Array("a b c".utf8))
        #expect(t.exactHash() == Hash128(Array("a b c".utf8)))
        #expect(Hash128(Array("a b c".utf8)) != Hash128(Array("a b c\0".utf8)))
    }

    @Test("the 8-bytes-at-a-time ASCII normaliser equals the plain definition")
    func asciiFastPath() throws {
        var g = TestWords(state: 5)
        let alphabet = Array("aZ  \t\n\r.,Q(x)0 \u{0B}\u{0C}\u{01}\u{7F}MmnN:;-_  ".unicodeScalars)
        var t = DedupText()
        for len in 0..<300 {
            let text = String(String.UnicodeScalarView((0..<len).map { _ in alphabet[g.below(alphabet.count)] }))
            // The definition: lowercase, split on ASCII white space, join with one space.
            // (on bytes: Swift's Character would see "\r\n" as one grapheme)
            let expected = Array(text.lowercased().utf8).split(whereSeparator: { [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains($0) })
                .map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            t.load(text, normalize: true)
            #expect(t.isASCII && Array(t.bytes[0..<t.count]) == Array(expected.utf8), "\(Array(text.utf8))")
        }
    }

    @Test("edited copies (Jaccard ≈ 0.9) are near duplicates at threshold 0.8; unrelated texts are not")
    func nearDuplicates() throws {
        var g = TestWords(state: 42)
        var texts: [String] = []
        var truth: [Double] = []
        for _ in 0..<100 {
            var words = g.sentence(words: 45)
            texts.append(words.joined(separator: " "))
            let original = charShingles(texts.last!, 5)
            words[g.below(words.count)] = g.word()  // one substituted word
            let edited = words.joined(separator: " ")
            truth.append(jaccard(original, charShingles(edited, 5)))
            texts.append(edited)
        }
        for _ in 0..<200 { texts.append(g.sentence(words: 45).joined(separator: " ")) }
        let mean = truth.reduce(0, +) / Double(truth.count)
        #expect(mean > 0.85 && mean < 0.95)
        let decisions = try decide(texts, Deduplicator.Options())
        // Each pair's copy collides with probability 1 − (1 − J¹³)⁹ ≈ 0.93–0.99 at 9 × 13.
        var caught = 0
        for p in 0..<100 {
            #expect(decisions[2 * p] == .keep)
            if decisions[2 * p + 1] == .duplicate(keptLine: 2 * p + 1, kind: .near) { caught += 1 }
        }
        #expect(caught >= 90)
        #expect(decisions[200...].allSatisfy { $0 == .keep })
    }

    @Test("MinHash estimates the true shingle Jaccard within the binomial error")
    func minHashEstimate() throws {
        var g = TestWords(state: 7)
        let options = Deduplicator.Options()
        let hasher = MinHasher(numPerm: 256, seed: 3)
        var sumError = 0.0, sumAbs = 0.0, maxAbs = 0.0
        let pairs = 150
        for p in 0..<pairs {
            // Pairs from near-identical to unrelated: keep a varying share of the words.
            let a = g.sentence(words: 30)
            var b = a
            let changes = p % 15 * 2
            for _ in 0..<changes { b[g.below(b.count)] = g.word() }
            let ta = a.joined(separator: " "), tb = b.joined(separator: " ")
            let j = jaccard(charShingles(ta, 5), charShingles(tb, 5))
            let est = MinHasher.estimatedJaccard(hasher.signature(of: ta, options: options), hasher.signature(of: tb, options: options))
            sumError += est - j
            sumAbs += abs(est - j)
            // 4.5 σ of a binomial(256, J) proportion, σ ≤ 0.031.
            #expect(abs(est - j) <= 4.5 * (j * (1 - j) / 256).squareRoot() + 1e-9, "pair \(p): J \(j), estimate \(est)")
            maxAbs = max(maxAbs, abs(est - j))
        }
        #expect(abs(sumError / Double(pairs)) < 0.01)  // no bias
        #expect(sumAbs / Double(pairs) < 0.03)
        // Identical texts have identical signatures; the same seed gives the same values.
        #expect(hasher.signature(of: "the same text") == MinHasher(numPerm: 256, seed: 3).signature(of: "the same text"))
        #expect(hasher.signature(of: "the same text") != MinHasher(numPerm: 256, seed: 4).signature(of: "the same text"))
        // The first lanes do not depend on the permutation count.
        #expect(Array(hasher.signature(of: "lanes").prefix(100)) == MinHasher(numPerm: 100, seed: 3).signature(of: "lanes"))
    }

    @Test("bands × rows from a threshold equal datasketch's MinHashLSH choice")
    func lshParameters() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/text/dedup/lsh_params.json")
        struct Case: Decodable { var threshold: Double; var num_perm: Int; var bands: Int; var rows: Int; var error: Double }
        struct File: Decodable { var cases: [Case] }
        let cases = try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        #expect(cases.count >= 50)
        for c in cases {
            let got = LSHParameters.optimal(threshold: c.threshold, numPerm: c.num_perm)
            #expect(got == (c.bands, c.rows), "threshold \(c.threshold), num_perm \(c.num_perm)")
            let e = LSHParameters.error(threshold: c.threshold, bands: c.bands, rows: c.rows)
            #expect(abs(e - c.error) <= 1e-10 * max(1, c.error), "error at \(c.threshold), \(c.num_perm)")
        }
        // reference facts from datasketch 2.0.0 `_optimal_param(t, n, 0.5, 0.5)`
        #expect(LSHParameters.optimal(threshold: 0.5, numPerm: 128) == (25, 5))
        #expect(LSHParameters.optimal(threshold: 0.8, numPerm: 128) == (9, 13))
        #expect(LSHParameters.optimal(threshold: 0.9, numPerm: 256) == (9, 28))
        #expect(LSHParameters.optimal(threshold: 0.7, numPerm: 64) == (8, 8))
        let d = try Deduplicator(options: .init())
        #expect((d.bands, d.rows) == (9, 13))
    }

    @Test("the same decisions for 1 and 2 threads and for any batch split")
    func determinism() throws {
        var g = TestWords(state: 11)
        var texts: [String] = []
        for i in 0..<3000 {
            if i > 10 && g.below(4) == 0 {
                var w = texts[g.below(texts.count)].split(separator: " ").map(String.init)
                if g.below(2) == 0 { w[g.below(w.count)] = g.word() }
                texts.append(w.joined(separator: " "))
            } else {
                texts.append(g.sentence(words: 12 + g.below(20)).joined(separator: " "))
            }
        }
        let one = try decide(texts, .init(), threads: 1)
        #expect(try decide(texts, .init(), threads: 2) == one)
        var d = try Deduplicator(options: .init())
        var split: [Deduplicator.Decision] = []
        var i = 0
        while i < texts.count {
            let n = min(1 + (i * 7919) % 400, texts.count - i)
            split += try d.process(texts: Array(texts[i..<(i + n)]), lines: Array((i + 1)...(i + n)), threads: 2)
            i += n
        }
        #expect(split == one)
        #expect(d.kept + d.exactDuplicates + d.nearDuplicates == texts.count)
        #expect(d.nearDuplicates > 100 && d.exactDuplicates > 100)
    }

    @Test("the stage run writes kept rows and the clusters file, identically in one or many passes")
    func runAndClusters() throws {
        let dir = try DedupTempDir()
        let base = "the quick brown fox jumps over the lazy dog near the river bank today"
        let input = try dir.write("in.jsonl", lines: [
            #"{"id":1,"text":"\#(base)"}"#,
            #"{"id":2,"text":"something else entirely, with \"quotes\""}"#,
            #"{"id":3,"text":"The  QUICK brown fox jumps over the lazy dog near the river bank today"}"#,
            #"{"id":4,"text":"the quick brown fox jumps over the lazy dog near the river bank todays"}"#,
            "",
            #"{"id":6,"text":"something else entirely, with \"quotes\"","x":[1]}"#,
            #"{"id":7,"text":"the quick brown fox jumps over the lazy dog near the river bank todays"}"#,
        ])
        var summaries: [Deduplicator.Summary] = []
        var outputs: [(String, String)] = []
        // One batch and one window; then batches of one or two rows and a window per cluster.
        // (Not 1-byte batches: RowReader.nextBatch returns nil — end of file — for a batch
        // that holds only a blank line.)
        for (budget, batchBytes) in [(1 << 20, 1 << 22), (1, 100)] {
            var reader = try RowReader(path: input)
            let kept = try AtomicWriter(path: dir.path + "/out/kept.jsonl")
            let clusters = try AtomicWriter(path: dir.path + "/out/clusters.jsonl")
            let s = try Deduplicator.run(
                input: &reader, reopen: { try RowReader(path: input) }, textField: "text", options: .init(), threads: 2,
                keptWriter: kept, clustersWriter: clusters, clusterMemoryBytes: budget, batchBytes: batchBytes)
            try kept.commit()
            try clusters.commit()
            summaries.append(s)
            outputs.append((dir.read("out/kept.jsonl"), dir.read("out/clusters.jsonl")))
        }
        let s = summaries[0]
        #expect(s.rowsIn == 6 && s.kept == 2 && s.exactDuplicates == 2 && s.nearDuplicates == 2 && s.clusters == 2)
        #expect((s.bands, s.rows) == (9, 13) && s.blankLines == 1 && s.clusterWindows == 1)
        #expect(summaries[1].clusterWindows == 2)
        summaries[1].clusterWindows = 1
        #expect(summaries[1] == s)
        #expect(outputs[0].0 == #"""
            {"id":1,"text":"the quick brown fox jumps over the lazy dog near the river bank today"}
            {"id":2,"text":"something else entirely, with \"quotes\""}

            """#)
        #expect(outputs[0].1 == #"""
            {"kept":{"line":1,"text":"the quick brown fox jumps over the lazy dog near the river bank today"},"duplicates":[{"line":3,"kind":"exact","text":"The  QUICK brown fox jumps over the lazy dog near the river bank today"},{"line":4,"kind":"near","text":"the quick brown fox jumps over the lazy dog near the river bank todays"},{"line":7,"kind":"near","text":"the quick brown fox jumps over the lazy dog near the river bank todays"}]}
            {"kept":{"line":2,"text":"something else entirely, with \"quotes\""},"duplicates":[{"line":6,"kind":"exact","text":"something else entirely, with \"quotes\""}]}

            """#)
        #expect(outputs[1].0 == outputs[0].0 && outputs[1].1 == outputs[0].1)
        // No temporary files are left next to the outputs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out").sorted() == ["clusters.jsonl", "kept.jsonl"])
    }

    @Test("JSON escapes are decoded before hashing; rows and strings give the same decisions")
    func jsonEscapes() throws {
        let dir = try DedupTempDir()
        let lines = [#"{"text":"Caf\u00e9  \"Quotes\"\tand\u00A0more"}"#, #"{"text":"café \"quotes\" and more"}"#,
                     #"{"text":"\ud83d\ude00 smile"}"#, #"{"text":"😀 SMILE"}"#, #"{"text":"caf\u00e9"}"#]
        let rows = try { () -> [Row] in
            var r = try RowReader(path: dir.write("in.jsonl", lines: lines))
            return try r.nextBatch()!
        }()
        var byRow = try Deduplicator(options: .init())
        let decisions = try byRow.process(rows, textField: "text", path: "in.jsonl", threads: 1)
        #expect(decisions == [.keep, .duplicate(keptLine: 1, kind: .exact), .keep, .duplicate(keptLine: 3, kind: .exact), .keep])
        #expect(try decide(rows.map { $0.string("text")! }, .init()) == decisions)
    }

    @Test("CSV input: decoded values are hashed and re-encoded as JSON in the clusters file")
    func csvInput() throws {
        let dir = try DedupTempDir()
        let input = try dir.write("in.csv", lines: ["id,text", #"1,"Hello, ""World""""#, #"2,"hello,  ""world""""#, "3,other"])
        var reader = try RowReader(path: input)
        let clusters = try AtomicWriter(path: dir.path + "/clusters.jsonl")
        let s = try Deduplicator.run(input: &reader, reopen: { try RowReader(path: input) }, textField: "text", options: .init(),
                                     threads: 1, keptWriter: nil, clustersWriter: clusters)
        try clusters.commit()
        #expect(s.rowsIn == 3 && s.exactDuplicates == 1 && s.kept == 2)
        #expect(dir.read("clusters.jsonl") == #"""
            {"kept":{"line":2,"text":"Hello, \"World\""},"duplicates":[{"line":3,"kind":"exact","text":"hello,  \"world\""}]}

            """#)
    }

    @Test("a row without the text field names the file, line and field; nothing is written")
    func missingField() throws {
        let dir = try DedupTempDir()
        let input = try dir.write("in.jsonl", lines: [#"{"text":"a"}"#, #"{"body":"b"}"#])
        var reader = try RowReader(path: input)
        let kept = try AtomicWriter(path: dir.path + "/kept.jsonl")
        #expect(throws: TextError.data(path: input, line: 2, message: "no field 'text'",
                                       hint: "set text_field to the field that holds the text, or clean the data so every row has it")) {
            _ = try Deduplicator.run(input: &reader, reopen: { try RowReader(path: input) }, textField: "text", options: .init(),
                                     threads: 1, keptWriter: kept, clustersWriter: nil)
        }
        let input2 = try dir.write("in2.jsonl", lines: [#"{"text":3}"#])
        var reader2 = try RowReader(path: input2)
        do {
            _ = try Deduplicator.run(input: &reader2, reopen: { try RowReader(path: input2) }, textField: "text", options: .init(),
                                     threads: 1, keptWriter: nil, clustersWriter: nil)
            Issue.record("expected an error")
        } catch let e as TextError {
            #expect(e.description.hasPrefix("\(input2):1: field 'text' is number, not a string"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/kept.jsonl"))
    }

    @Test("invalid settings name the parameter")
    func options() throws {
        var o = Deduplicator.Options()
        o.bands = 20
        #expect(throws: TextError.self) { try Deduplicator(options: o) }
        o.rows = 10
        do { _ = try Deduplicator(options: o); Issue.record("expected an error") } catch let e as TextError {
            #expect(e.description.hasPrefix("bands: bands × rows must be between 1 and num_perm (128), got 20 × 10"))
        }
        o.rows = 6
        let d = try Deduplicator(options: o)
        #expect((d.bands, d.rows) == (20, 6))
        o = .init()
        o.threshold = 1
        #expect(throws: TextError.self) { try Deduplicator(options: o) }
        o = .init()
        o.shingleSize = 0
        #expect(throws: TextError.self) { try Deduplicator(options: o) }
    }

    @Test("word shingles, and texts shorter than one shingle")
    func wordShinglesAndShortTexts() throws {
        var o = Deduplicator.Options()
        o.shingleUnit = .word
        o.shingleSize = 2
        let greek = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon"
        let a = greek + " " + greek.uppercased() + " omega"
        let b = a.replacingOccurrences(of: "omega", with: "phi")  // 38 of 40 bigrams shared: J = 0.95
        #expect(try decide([a, b, "one two", "one three"], o) == [.keep, .duplicate(keptLine: 1, kind: .near), .keep, .keep])
        // Word shingles ignore how words are separated when normalisation is off.
        var t = DedupText()
        t.load("one  two\u{00A0}three", normalize: false)
        t.shingle(size: 2, unit: .word, key: 9)
        let spaced = t.hashes
        t.load("one two three", normalize: false)
        t.shingle(size: 2, unit: .word, key: 9)
        #expect(t.hashes == spaced && t.hashes.count == 2)
        // A text shorter than a shingle is one shingle: the whole text.
        t.load("abc", normalize: true)
        t.shingle(size: 5, unit: .char, key: 9)
        #expect(t.hashes.count == 1)
        t.load("", normalize: true)
        t.shingle(size: 5, unit: .char, key: 9)
        #expect(t.hashes.count == 1)
        t.load("naïve café", normalize: true)
        t.shingle(size: 5, unit: .char, key: 9)
        #expect(t.hashes.count == 10 - 5 + 1)
        #expect(try decide(["abcd", "abce", "", ""], .init()) == [.keep, .keep, .keep, .duplicate(keptLine: 3, kind: .exact)])
    }
}
