import Foundation
import Testing

@testable import WeftEval

/// One chrF option set of chrf.json with sacreBLEU's results.
private struct CHRFFixtureSet: Decodable {
    struct Options: Decodable {
        var char_order: Int?
        var word_order: Int?
        var beta: Int?
        var lowercase: Bool?
        var whitespace: Bool?
        var eps_smoothing: Bool?
    }

    let name: String
    let options: Options
    let corpus: [String: Double]
    let sentence: [String: [Double]]
    let signature: [String: String]

    var chrfOptions: CHRFOptions {
        var o = CHRFOptions()
        o.charOrder = options.char_order ?? 6
        o.wordOrder = options.word_order ?? 0
        o.beta = options.beta ?? 2
        o.lowercase = options.lowercase ?? false
        o.whitespace = options.whitespace ?? false
        o.epsSmoothing = options.eps_smoothing ?? false
        return o
    }
}

@Suite("chrF and chrF++ (sacreBLEU 2.6.0)")
struct CHRFTests {
    private let sets: [CHRFFixtureSet]
    private let corpora: SacreCorpora

    init() throws {
        sets = try EvalFixtures.json([CHRFFixtureSet].self, "sacrebleu/chrf.json")
        corpora = try SacreCorpora.load()
    }

    @Test("corpus chrF/chrF++ and the signature equal sacreBLEU's on every option set")
    func corpusScores() throws {
        #expect(sets.count >= 12)
        for set in sets {
            let chrf = CHRF(set.chrfOptions)
            for (name, expected) in set.corpus {
                let segments = corpora.named(name)
                let refs = segments.map(\.refs)
                let score = try chrf.corpusScore(hypotheses: segments.map(\.hyp), references: refs)
                #expect(EvalFixtures.close(score, expected), "\(set.name) on \(name): \(score) vs \(expected)")
                #expect(chrf.signature(referenceCount: BLEU.referenceCount(refs)) == set.signature[name])
            }
        }
    }

    @Test("sentence chrF of every segment equals sacreBLEU's sentence_score")
    func sentenceScores() throws {
        var checked = 0
        for set in sets {
            let chrf = CHRF(set.chrfOptions)
            for (name, expected) in set.sentence {
                let segments = corpora.named(name)
                let batch = try chrf.sentenceScores(hypotheses: segments.map(\.hyp), references: segments.map(\.refs))
                for (i, segment) in segments.enumerated() {
                    let s = chrf.sentenceScore(hypothesis: segment.hyp, references: segment.refs)
                    #expect(s == batch[i])
                    #expect(EvalFixtures.close(s, expected[i]),
                            "\(set.name) \(name)[\(i)] \(segment.hyp.debugDescription): \(s) vs \(expected[i])")
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test("summed segment statistics score like the corpus; the thread count changes nothing")
    func statisticsAndThreads() throws {
        let segments = corpora.wordnet + corpora.wordnet + corpora.edge  // > 3 slices of 128
        let hyps = segments.map(\.hyp), refs = segments.map(\.refs)
        for options in [CHRFOptions(), CHRFOptions.plusPlus] {
            let chrf = CHRF(options)
            let orders = options.charOrder + options.wordOrder
            let one = try chrf.corpusStats(hypotheses: hyps, references: refs, threads: 1)
            #expect(try chrf.corpusStats(hypotheses: hyps, references: refs, threads: 3) == one)
            let perSegment = try chrf.segmentStats(hypotheses: hyps, references: refs, threads: 2)
            #expect(perSegment.reduce(CHRFStats.zero(orders: orders), +) == one)
            #expect(chrf.stats(hypothesis: hyps[5], references: refs[5]) == perSegment[5])
            let edge = corpora.edge
            #expect(chrf.score(try chrf.corpusStats(hypotheses: edge.map(\.hyp), references: edge.map(\.refs)))
                    == (try chrf.corpusScore(hypotheses: edge.map(\.hyp), references: edge.map(\.refs))))
        }
    }

    @Test("names, signature and errors")
    func namesAndErrors() throws {
        #expect(CHRF(CHRFOptions()).name == "chrF2")
        #expect(CHRF(CHRFOptions.plusPlus).name == "chrF2++")
        #expect(CHRF(CHRFOptions()).signature(referenceCount: 1)
                == "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0")
        var o = CHRFOptions()
        o.charOrder = 0
        do {
            _ = try CHRF(o).corpusScore(hypotheses: ["a"], references: [["a"]])
            Issue.record("no error for zero orders")
        } catch let EvalError.invalid(m) {
            #expect(m.contains("charOrder 0 and wordOrder 0"))
        }
        do {
            _ = try CHRF(CHRFOptions()).corpusScore(hypotheses: ["a"], references: [["a"], ["b"]])
            Issue.record("no error for a count mismatch")
        } catch let EvalError.invalid(m) {
            #expect(m.contains("1 hypotheses but 2 reference lists"))
        }
        var huge = CHRFOptions()
        huge.charOrder = .max
        huge.beta = .max
        #expect(CHRF(huge).sentenceScore(hypothesis: "a b", references: ["a b"]) > 0)  // cut, no overflow
        #expect(throws: EvalError.self) { try huge.validate() }
        let chrf = CHRF(CHRFOptions.plusPlus)
        #expect(chrf.stats(hypothesis: "a b", references: []) == chrf.stats(hypothesis: "a b", references: [""]))
    }
}
