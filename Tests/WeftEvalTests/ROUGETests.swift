import Foundation
import Testing

@testable import WeftEval

/// ROUGE against rouge-score 0.1.2 and numpy 2.4.6 (fixtures from
/// Tests/Fixtures/make_eval_rouge.py).
@Suite struct ROUGETests {
    struct TokenCase: Decodable {
        let text: String
        let plain: [String]
        let stem: [String]
    }

    struct ScoreFile: Decodable {
        let types: [String: [String]]
        let cases: [ScoreCase]
    }

    struct ScoreCase: Decodable {
        let id: String
        let types: String
        let target: String
        let prediction: String
        let plain: [[Double]]
        let stem: [[Double]]
    }

    struct MultiFile: Decodable {
        let types: [String]
        let cases: [MultiCase]
    }

    struct MultiCase: Decodable {
        let targets: [String]
        let prediction: String
        let plain: [[Double]]
        let stem: [[Double]]
    }

    struct BootstrapFile: Decodable {
        let rows: [String: [[[Double]]]]
        let cases: [BootstrapCase]
    }

    struct BootstrapCase: Decodable {
        let rows: String
        let seed: UInt32
        let samples: Int
        let confidence: Double
        let result: [[[Double]]]
    }

    struct RandomCase: Decodable {
        struct Bounded: Decodable {
            let n: Int
            let draws: [Int]
        }
        let seed: UInt32
        let raw: [UInt32]
        let bounded: [Bounded]
        let doubles: [Double]
        let choice: [Int]
    }

    static func types(_ names: [String]) throws -> [RougeType] {
        try names.map(RougeType.init(name:))
    }

    /// Counts mismatches (reporting the first few) so one bug does not print thousands of lines.
    static func compare(_ got: [RougeScore], _ want: [[Double]], _ what: String, _ failures: inout Int) {
        #expect(got.count == want.count, "\(what): \(got.count) scores, want \(want.count)")
        for (t, (g, w)) in zip(got, want).enumerated() {
            let ok = EvalFixtures.close(g.precision, w[0]) && EvalFixtures.close(g.recall, w[1])
                && EvalFixtures.close(g.fmeasure, w[2])
            if !ok {
                failures += 1
                if failures <= 10 { Issue.record("\(what) type \(t): got \(g), want \(w)") }
            }
        }
    }

    @Test func tokenizerMatchesRougeScore() throws {
        let cases = try EvalFixtures.json([TokenCase].self, "rouge/tokenize.json")
        #expect(cases.count > 60)
        let plain = RougeScorer(types: [.n(1)])
        let stem = RougeScorer(types: [.n(1)], useStemmer: true)
        for c in cases {
            #expect(plain.tokenize(c.text) == c.plain, "plain tokens of \(c.text.debugDescription)")
            #expect(stem.tokenize(c.text) == c.stem, "stemmed tokens of \(c.text.debugDescription)")
        }
    }

    @Test func scoresMatchRougeScore() throws {
        let file = try EvalFixtures.json(ScoreFile.self, "rouge/score.json")
        #expect(file.cases.count >= 280)
        var failures = 0
        for stem in [false, true] {
            var scorers: [String: RougeScorer] = [:]
            for (kind, names) in file.types {
                scorers[kind] = RougeScorer(types: try Self.types(names), useStemmer: stem)
            }
            for c in file.cases {
                let got = scorers[c.types]!.score(target: c.target, prediction: c.prediction)
                Self.compare(got, stem ? c.stem : c.plain, "\(c.id) stem=\(stem)", &failures)
            }
        }
        #expect(failures == 0)
    }

    @Test func scoreAllEqualsScoreForAnyThreadCount() throws {
        let file = try EvalFixtures.json(ScoreFile.self, "rouge/score.json")
        let main = file.cases.filter { $0.types == "main" }
        let scorer = try RougeScorer(typeNames: file.types["main"]!, useStemmer: true)
        var failures = 0
        for threads in [1, 2, 3] {
            // Two passes over the rows so each worker meets tokens it has already interned.
            let rows = main + main
            let got = try scorer.scoreAll(
                targets: rows.map { [$0.target] }, predictions: rows.map(\.prediction), threads: threads)
            #expect(got.count == rows.count)
            for (g, c) in zip(got, rows) { Self.compare(g, c.stem, "\(c.id) threads=\(threads)", &failures) }
        }
        #expect(failures == 0)
    }

    @Test func scoreMultiMatchesRougeScore() throws {
        let file = try EvalFixtures.json(MultiFile.self, "rouge/multi.json")
        var failures = 0
        for stem in [false, true] {
            let scorer = RougeScorer(types: try Self.types(file.types), useStemmer: stem)
            for (i, c) in file.cases.enumerated() {
                let want = stem ? c.stem : c.plain
                Self.compare(scorer.scoreMulti(targets: c.targets, prediction: c.prediction), want, "multi \(i)", &failures)
            }
            let all = try scorer.scoreAll(targets: file.cases.map(\.targets), predictions: file.cases.map(\.prediction))
            for (i, (g, c)) in zip(all, file.cases).enumerated() {
                Self.compare(g, stem ? c.stem : c.plain, "scoreAll multi \(i)", &failures)
            }
        }
        #expect(failures == 0)
    }

    @Test func sentenceSplitterFeedsRougeLsum() throws {
        // A splitter on "|" over texts whose "\n" became "|" must give the newline scores.
        let file = try EvalFixtures.json(ScoreFile.self, "rouge/score.json")
        let names = file.types["main"]!
        let scorer = RougeScorer(
            types: try Self.types(names), useStemmer: true, splitSummaries: true,
            sentenceSplitter: { $0.components(separatedBy: "|") })
        var failures = 0
        for c in file.cases where c.types == "main" && !c.target.contains("|") && !c.prediction.contains("|") {
            let got = scorer.score(
                target: c.target.replacingOccurrences(of: "\n", with: "|"),
                prediction: c.prediction.replacingOccurrences(of: "\n", with: "|"))
            Self.compare(got, c.stem, "\(c.id) with splitter", &failures)
        }
        #expect(failures == 0)
    }

    @Test func typeNames() throws {
        #expect(try RougeType(name: "rouge1") == .n(1))
        #expect(try RougeType(name: "rouge9") == .n(9))
        #expect(try RougeType(name: "rougeL") == .l)
        #expect(try RougeType(name: "rougeLsum") == .lsum)
        for t in [RougeType.n(2), .l, .lsum] { #expect(try RougeType(name: t.description) == t) }
        for bad in ["rouge0", "rouge10", "rougel", "ROUGE1", "rouge", "rougeLSum", "", "rouge1 "] {
            do {
                _ = try RougeType(name: bad)
                Issue.record("accepted \(bad.debugDescription)")
            } catch let error as EvalError {
                #expect(error.description.contains("rougeLsum"), "message lists the accepted names: \(error)")
            }
        }
    }

    @Test func userErrorsAreReported() throws {
        let scorer = RougeScorer(types: [.n(1), .l])
        #expect(throws: EvalError.self) { try scorer.scoreAll(targets: [["a"]], predictions: ["a", "b"]) }
        do {
            _ = try scorer.scoreAll(targets: [["a"], []], predictions: ["a", "b"])
            Issue.record("empty target list accepted")
        } catch let error as EvalError {
            #expect(error.description.contains("row 1"))
        }
        #expect(throws: EvalError.self) { try RougeScorer(types: [.n(0)]).scoreAll(targets: [["a"]], predictions: ["a"]) }
        #expect(RougeScorer(types: [.n(0)]).score(target: "a", prediction: "a") == [.zero])
        #expect(throws: EvalError.self) {
            try RougeScorer(types: [.lsum], splitSummaries: true).scoreAll(targets: [["a"]], predictions: ["a"])
        }
        // No targets in scoreMulti: scored against an empty target.
        #expect(scorer.scoreMulti(targets: [], prediction: "a b") == [.zero, .zero])

        let row = [RougeScore.zero]
        #expect(throws: EvalError.self) { try RougeBootstrap(samples: 0, numpySeed: 1).aggregate([row]) }
        #expect(throws: EvalError.self) { try RougeBootstrap(confidence: 1.5, numpySeed: 1).aggregate([row]) }
        #expect(throws: EvalError.self) { try RougeBootstrap(confidence: .nan, numpySeed: 1).aggregate([row]) }
        do {
            _ = try RougeBootstrap(numpySeed: 1).aggregate([row, row, [], row])
            Issue.record("ragged rows accepted")
        } catch let error as EvalError {
            #expect(error.description.contains("row 2"))
        }
        #expect(try RougeBootstrap(numpySeed: 1).aggregate([]).isEmpty)
    }

    @Test func numpyLegacyRandomMatchesNumpy() throws {
        let cases = try EvalFixtures.json([RandomCase].self, "rouge/random.json")
        for c in cases {
            var rng = NumpyLegacyRandom(seed: c.seed)
            // Same call order as the script: randint(0, 2**32) (raw words), the bounded draws, doubles, choice.
            #expect(c.raw.map { _ in UInt32(rng.nextInt(below: 1 << 32)) } == c.raw, "raw seed \(c.seed)")
            for b in c.bounded {
                #expect(b.draws.map { _ in rng.nextInt(below: b.n) } == b.draws, "seed \(c.seed) n \(b.n)")
            }
            for d in c.doubles { #expect(rng.nextDouble() == d, "double seed \(c.seed)") }
            #expect(c.choice.map { _ in rng.nextInt(below: 13) } == c.choice, "choice seed \(c.seed)")
            var raw = NumpyLegacyRandom(seed: c.seed)
            #expect(c.raw.map { _ in raw.nextUInt32() } == c.raw)
        }
    }

    @Test func bootstrapMatchesRougeScore() throws {
        let file = try EvalFixtures.json(BootstrapFile.self, "rouge/bootstrap.json")
        var failures = 0
        for c in file.cases {
            let rows = file.rows[c.rows]!.map { row in
                row.map { RougeScore(precision: $0[0], recall: $0[1], fmeasure: $0[2]) }
            }
            let got = try RougeBootstrap(samples: c.samples, confidence: c.confidence, numpySeed: c.seed).aggregate(rows)
            let what = "rows \(c.rows) seed \(c.seed) samples \(c.samples) confidence \(c.confidence)"
            #expect(got.count == c.result.count, "\(what): type count")
            for (t, (g, w)) in zip(got, c.result).enumerated() {
                Self.compare([g.low, g.mid, g.high], w, "\(what) type \(t)", &failures)
            }
        }
        #expect(failures == 0)
    }
}
