import Foundation
import Testing

@testable import WeftEval

/// Reference results from Tests/Fixtures/make_eval_squad.py (the official SQuAD v1.1 and
/// v2.0 evaluation functions on CPython 3.11.7).
private struct SquadFile: Decodable {
    struct Case: Decodable {
        var name: String
        var prediction: String
        var references: [String]
        var normalized_prediction: String
        var normalized_references: [String]
        var v1: [Double]
        var v2: [Double]
    }
    var cases: [Case]
}

/// Python 3.11's view of every code point.
private struct UnicodeFile: Decodable {
    var unicode: String
    var space: [UInt32]
    var word: [[UInt32]]
    var lower: [Lowered]

    struct Lowered: Decodable {
        var code: UInt32
        var to: [UInt32]
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            code = try c.decode(UInt32.self)
            to = try c.decode([UInt32].self)
        }
    }
}

/// Byte equality: Swift's `==` on String would call "é" and "e\u{301}" equal.
private func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

@Suite("SQuAD exact match and token F1")
struct QATests {
    @Test("normalize, exact match and F1 equal the official v1.1 and v2.0 functions")
    func officialCases() throws {
        let file = try EvalFixtures.json(SquadFile.self, "squad/cases.json")
        #expect(file.cases.count > 300)
        for c in file.cases {
            let norm = SQuAD.normalize(c.prediction)
            #expect(sameBytes(norm, c.normalized_prediction), "\(c.name): \(norm.debugDescription)")
            for (r, want) in zip(c.references, c.normalized_references) {
                #expect(sameBytes(SQuAD.normalize(r), want), "\(c.name): reference \(r.debugDescription)")
            }
            let em1 = SQuAD.exactMatch(prediction: c.prediction, references: c.references)
            let f1 = SQuAD.tokenF1(prediction: c.prediction, references: c.references)
            let em2 = SQuAD.exactMatch(prediction: c.prediction, references: c.references, version: .v2)
            let f2 = SQuAD.tokenF1(prediction: c.prediction, references: c.references, version: .v2)
            #expect(EvalFixtures.close(em1, c.v1[0]), "\(c.name): v1.1 EM \(em1) vs \(c.v1[0])")
            #expect(EvalFixtures.close(f1, c.v1[1]), "\(c.name): v1.1 F1 \(f1) vs \(c.v1[1])")
            #expect(EvalFixtures.close(em2, c.v2[0]), "\(c.name): v2 EM \(em2) vs \(c.v2[0])")
            #expect(EvalFixtures.close(f2, c.v2[1]), "\(c.name): v2 F1 \(f2) vs \(c.v2[1])")
        }
    }

    @Test("Python 3.11's isspace, re \\w and lower() for every code point (planes 4-13 sampled)")
    func unicodeTables() throws {
        let file = try EvalFixtures.json(UnicodeFile.self, "squad/unicode.json")
        #expect(file.unicode == "14.0.0")
        var space = Set(file.space)
        var word = [Bool](repeating: false, count: 0x110000)
        for r in file.word { for v in r[0]...r[1] { word[Int(v)] = true } }
        var lower = [UInt32: [UInt32]]()
        for l in file.lower { lower[l.code] = l.to }
        var mismatches: [String] = []
        // Planes 4-13 hold no assigned character in any Unicode version so far: sampled.
        let points = Array(UInt32(0)..<0x40000) + Array(stride(from: UInt32(0x40000), to: 0xE0000, by: 97))
            + Array(UInt32(0xE0000)..<0x110000)
        for v in points {
            guard let s = Unicode.Scalar(v) else { continue }
            if PythonText.isSpace(v) != space.contains(v) { mismatches.append("space U+\(String(v, radix: 16))") }
            if PythonText.isWord(s) != word[Int(v)] { mismatches.append("word U+\(String(v, radix: 16))") }
            let want = lower[v] ?? [v]
            // Only changed characters can differ; a quick check skips the rest.
            if lower[v] != nil || s.properties.changesWhenLowercased {
                let got = PythonText.lower([s]).map(\.value)
                if got != want { mismatches.append("lower U+\(String(v, radix: 16)) \(got) vs \(want)") }
            }
            if mismatches.count > 20 { break }
        }
        space.removeAll()
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("averages over a set, and its input errors")
    func average() throws {
        let file = try EvalFixtures.json(SquadFile.self, "squad/cases.json")
        let n = Double(file.cases.count)
        for (version, pick) in [(SQuAD.Version.v1_1, \SquadFile.Case.v1), (.v2, \SquadFile.Case.v2)] {
            let got = try SQuAD.average(
                predictions: file.cases.map(\.prediction), references: file.cases.map(\.references), version: version)
            let em = file.cases.reduce(0.0) { $0 + $1[keyPath: pick][0] } / n
            let f1 = file.cases.reduce(0.0) { $0 + $1[keyPath: pick][1] } / n
            #expect(EvalFixtures.close(got.exactMatch, em), "\(version)")
            #expect(EvalFixtures.close(got.f1, f1), "\(version)")
        }
        let r = try SQuAD.average(
            predictions: ["Denver Broncos", "the cat"], references: [["Denver Broncos"], ["a dog", "cat"]])
        #expect(EvalFixtures.close(r.exactMatch, 1))
        #expect(EvalFixtures.close(r.f1, 1))
        #expect(throws: EvalError.self) { try SQuAD.average(predictions: ["a"], references: []) }
        #expect(throws: EvalError.self) { try SQuAD.average(predictions: [], references: []) }
    }
}
