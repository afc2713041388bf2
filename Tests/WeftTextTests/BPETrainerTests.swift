import Foundation
import Testing

@testable import WeftText

/// Byte-level BPE training against Hugging Face `tokenizers` 0.23.3 `BpeTrainer`
/// (fixtures from Tests/Fixtures/make_text_bpe.py: corpora, expected vocabularies and
/// merges, saved tokenizer.json files).
@Suite struct BPETrainerTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/text/bpe")

    struct Expected: Decodable {
        var name: String
        var corpus: String
        var vocab_size: Int
        var min_frequency: Int
        var special_tokens: [String]
        var initial_alphabet_bytes: Bool
        var vocab: [String]
        var merges: [[String]]
    }

    static let configurations = [
        "small_300", "small_1000_f2", "small_seen_400", "small_minfreq_stop", "wordnet_2000", "wordnet_4000_f3",
    ]

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("train_\(name).json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func train(_ e: Expected, threads: Int) throws -> TrainedBPE {
        var trainer = try BPETrainer(options: .init(
            vocabSize: e.vocab_size, minFrequency: e.min_frequency, specialTokens: e.special_tokens,
            initialAlphabetBytes: e.initial_alphabet_bytes, threads: threads))
        try trainer.add(file: fixtures.appendingPathComponent(e.corpus).path)
        return try trainer.train()
    }

    @Test(arguments: configurations)
    func vocabularyAndMergesEqualTokenizers(_ name: String) throws {
        let e = try Self.expected(name)
        let model = try Self.train(e, threads: 2)
        #expect(model.tokens.count == e.vocab.count)
        #expect(model.tokens == e.vocab)
        #expect(model.merges.count == e.merges.count)
        let firstDifference = zip(model.merges, e.merges).enumerated().first { $1.0.left != $1.1[0] || $1.0.right != $1.1[1] }?.offset
        #expect(firstDifference == nil, "first differing merge: \(firstDifference.map { String($0) } ?? "-")")
    }

    /// The written tokenizer.json is the file `tokenizers` saved, byte for byte.
    @Test(arguments: ["small_300", "small_seen_400"])
    func tokenizerJSONEqualsTokenizersFile(_ name: String) throws {
        let e = try Self.expected(name)
        let model = try Self.train(e, threads: 1)
        let want = try Data(contentsOf: Self.fixtures.appendingPathComponent("tokenizer_\(name).json"))
        #expect(model.tokenizerJSON() == Array(want))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-bpe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out/tokenizer.json").path
        try model.write(to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == want)
    }

    @Test func resultDoesNotDependOnThreadsOrChunking() throws {
        let e = try Self.expected("wordnet_2000")
        let one = try Self.train(e, threads: 1)
        let three = try Self.train(e, threads: 3)
        #expect(one == three)
        let path = Self.fixtures.appendingPathComponent("corpus_small.txt").path
        let (whole, stats) = try WordCounter.count(file: path, threads: 1)
        let (chunked, chunkedStats) = try WordCounter.count(file: path, threads: 2, chunkBytes: 100)
        #expect(whole.wordCounts() == chunked.wordCounts())
        #expect(stats == chunkedStats)
        #expect(stats.lines == 1502)
        // As a batch of sequences: lines with their endings count the same.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines: [String] = []
        var current = ""
        for ch in text.unicodeScalars {
            current.unicodeScalars.append(ch)
            if ch == "\n" {
                lines.append(current)
                current = ""
            }
        }
        if !current.isEmpty { lines.append(current) }
        #expect(WordCounter.count(sequences: lines, threads: 2).wordCounts() == whole.wordCounts())
    }

    /// Lines keep their endings: a space before "\n" joins it, "\r\n" stays together,
    /// an empty line is the word "\n".
    @Test func linesAreSequencesWithTheirEndings() {
        var c = WordCounter()
        let text = Array("it's a  test \nnext\r\n\nend".utf8)
        text.withUnsafeBufferPointer { c.add(lines: $0) }
        #expect(c.wordCounts() == [
            "it": 1, "'s": 1, " a": 1, " ": 1, " test": 1, " \n": 1, "next": 1, "\r\n": 1, "\n": 1, "end": 1,
        ])
    }

    @Test func vocabularySmallerThanAlphabetAndSpecialsIsAConfigError() throws {
        #expect(throws: TextError.self) { try BPETrainer(options: .init(vocabSize: 256, specialTokens: ["<s>"])) }
        do {
            _ = try BPETrainer(options: .init(vocabSize: 200, specialTokens: ["<s>", "</s>"]))
            Issue.record("expected an error")
        } catch let error as TextError {
            guard case .config(let key, let message, let hint) = error else { throw error }
            #expect(key == "vocab_size")
            #expect(message.contains("258"))
            #expect(hint.contains("at least 258"))
        }
        // Exactly the alphabet plus specials is allowed (no merges); a special spelled like
        // a byte symbol shares its entry.
        #expect(throws: Never.self) { try BPETrainer(options: .init(vocabSize: 257, specialTokens: ["<s>", "a"])) }
        #expect(throws: TextError.self) { try BPETrainer(options: .init(vocabSize: 300, minFrequency: -1)) }
        #expect(throws: TextError.self) { try BPETrainer(options: .init(vocabSize: 300, specialTokens: [""])) }
        #expect(throws: TextError.self) { try BPETrainer(options: .init(vocabSize: 300, threads: 0)) }
        // Without the byte alphabet a small vocabulary is legal, as in `tokenizers`.
        var t = try BPETrainer(options: .init(vocabSize: 2, initialAlphabetBytes: false))
        t.add(sequence: "abcabc")
        let m = try t.train()
        #expect(m.tokens == ["a", "b", "c"])
        #expect(m.merges.isEmpty)
    }

    @Test func invalidUTF8IsRejectedWithItsLineOrReplaced() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.txt").path
        var bytes = Array("good line\nsecond\n".utf8)
        bytes += [0x61, 0xFF, 0x62, 0x0A]
        bytes += Array("last".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try WordCounter.count(file: path, threads: 2)
            Issue.record("expected an error")
        } catch let error as TextError {
            guard case .data(_, let line, _, _) = error else { throw error }
            #expect(line == 3)
        }
        let (c, stats) = try WordCounter.count(file: path, threads: 2, invalidUTF8: .replace)
        #expect(stats.invalidUTF8Lines == 1)
        #expect(stats.lines == 4)
        #expect(c.wordCounts()["\u{FFFD}"] == 1)
        #expect(c.wordCounts()["last"] == 1)
        #expect(throws: TextError.self) { try WordCounter.count(file: dir.appendingPathComponent("missing.txt").path, threads: 1) }
    }

    /// Special tokens equal to merged tokens or alphabet symbols reuse their ids, and
    /// JSON escaping follows serde_json.
    @Test func specialTokensAndEscaping() throws {
        var t = try BPETrainer(options: .init(vocabSize: 262, specialTokens: ["ab", "q\"\\\u{1}\n"]))
        t.add(sequence: "ab ab ab abc")
        let m = try t.train()
        #expect(m.tokens[0] == "ab")
        #expect(m.merges.first == TrainedBPE.Merge(left: "a", right: "b"))
        #expect(m.vocabulary["ab"] == 0)
        let json = String(decoding: m.tokenizerJSON(), as: UTF8.self)
        #expect(json.contains(#""content": "q\"\\\u0001\n""#))
    }
}
