import Foundation
import Testing
@testable import WeftText

@Suite("split and validate")
struct DataRulesTests {
    func rows(_ labels: [String]) -> [Row] {
        labels.enumerated().map { i, l in Row(line: i + 1, fields: [("text", "row \(i)"), ("label", l)]) }
    }

    func split(_ labels: [String], _ configure: (inout Splitter.Options) -> Void) throws -> [Splitter.Part] {
        var o = Splitter.Options()
        configure(&o)
        var s = try Splitter(options: o)
        for r in rows(labels) { s.count(r) }
        s.assign()
        return labels.indices.map { s.part(of: $0) }
    }

    @Test("stratified ratios hold per label, rare labels stay in train, the seed decides")
    func stratified() throws {
        let labels = Array(repeating: "a", count: 100) + Array(repeating: "b", count: 20) + ["rare"]
        let parts = try split(labels) { $0.validation = 0.1; $0.test = 0.2; $0.seed = 7 }
        func count(_ label: String, _ p: Splitter.Part) -> Int { zip(labels, parts).filter { $0.0 == label && $0.1 == p }.count }
        #expect(count("a", .validation) == 10 && count("a", .test) == 20 && count("a", .train) == 70)
        #expect(count("b", .validation) == 2 && count("b", .test) == 4 && count("b", .train) == 14)
        #expect(count("rare", .train) == 1)
        #expect(try split(labels) { $0.validation = 0.1; $0.test = 0.2; $0.seed = 7 } == parts)
        #expect(try split(labels) { $0.validation = 0.1; $0.test = 0.2; $0.seed = 8 } != parts)
    }

    @Test("k folds deal each label evenly and hold out test first")
    func kfold() throws {
        let labels = Array(repeating: "a", count: 50) + Array(repeating: "b", count: 7)
        let parts = try split(labels) { $0.kfold = 5; $0.test = 0.2 }
        #expect(parts.filter { $0 == .test }.count == 10 + 1)
        for f in 0..<5 {
            let a = zip(labels, parts).filter { $0.0 == "a" && $0.1 == .fold(f) }.count
            #expect(a == 8)
        }
        #expect(throws: TextError.self) { _ = try Splitter(options: { var o = Splitter.Options(); o.kfold = 1; return o }()) }
        #expect(throws: TextError.self) { _ = try Splitter(options: { var o = Splitter.Options(); o.validation = 0.6; o.test = 0.5; return o }()) }
    }

    @Test("validation rules report counts and the first offending lines")
    func rules() {
        var r = Validator.Rules()
        r.required = ["text", "label"]
        r.types = [("id", .number)]
        r.nonEmpty = ["text"]
        r.minWords = 2
        r.allowedLabels = ["pos", "neg"]
        r.maxImbalance = 2
        r.maxDuplicateRate = 0.1
        var v = Validator(rules: r, path: "d.jsonl")
        let input: [Row] = [
            Row(line: 1, fields: [("text", "good row here"), ("label", "pos")]),
            Row(line: 2, fields: [("text", "  "), ("label", "neg")]),
            Row(line: 3, fields: [("text", "Good   row here"), ("label", "pos")]),
            Row(line: 4, fields: [("label", "meh")]),
            Row(line: 5, fields: [("text", "another fine row"), ("label", "pos")]),
        ]
        var withID = input[0]
        withID.set("id", "x")
        withID.line = 6
        for row in input + [withID] { v.check(row) }
        let found = v.finish()
        let byRule = Dictionary(uniqueKeysWithValues: found.map { ($0.rule, $0) })
        #expect(byRule["required"]?.count == 1 && byRule["required"]?.examples.first?.line == 4)
        #expect(byRule["types"]?.examples.first?.detail == "'id' is string, expected number")
        #expect(byRule["non_empty"]?.count == 2)
        #expect(byRule["min_words"]?.examples.map(\.line) == [2])
        #expect(byRule["labels"]?.examples.map(\.line) == [4])
        #expect(byRule["max_imbalance"] != nil, "pos 4 vs meh 1")
        #expect(byRule["max_duplicate_rate"]?.count == 2, "rows 3 and 6 repeat row 1 after normalisation")
        #expect("\(byRule["min_words"]!)" == "min_words: 1 violation (line 2: 0 words)")
    }

    @Test("the duplicate rate counts texts equal up to case and whitespace, as dedup does")
    func duplicateRate() {
        var r = Validator.Rules()
        r.maxDuplicateRate = 0
        var v = Validator(rules: r, path: "d.jsonl")
        for (i, t) in ["A  b\tc ", "a b c", "a b c.", "Ünï", "ünï"].enumerated() { v.check(Row(line: i + 1, fields: [("text", t)])) }
        #expect(v.duplicates == 2)
    }
}
