import Foundation
import Testing

@testable import WeftEval

/// The segments of Tests/Fixtures/eval/sacrebleu/segments.json (shared with CHRFTests).
struct SacreSegment: Decodable {
    let hyp: String
    let refs: [String]
}

/// The fixture's corpora: hand-written edge cases, perturbed WordNet glosses, random strings.
struct SacreCorpora: Decodable {
    let edge: [SacreSegment]
    let wordnet: [SacreSegment]
    let random: [SacreSegment]

    static func load() throws -> SacreCorpora {
        try EvalFixtures.json(SacreCorpora.self, "sacrebleu/segments.json")
    }

    /// A corpus by its fixture name.
    func named(_ name: String) -> [SacreSegment] {
        switch name {
        case "edge": return edge
        case "wordnet": return wordnet
        case "random": return random
        case "wordnet-first-ref": return wordnet.map { SacreSegment(hyp: $0.hyp, refs: Array($0.refs.prefix(1))) }
        default: return []
        }
    }
}

/// One BLEU option set of bleu.json with sacreBLEU's results.
private struct BLEUFixtureSet: Decodable {
    struct Options: Decodable {
        var tokenize: String?
        var lowercase: Bool?
        var smooth_method: String?
        var smooth_value: Double?
        var effective_order: Bool?
        var max_ngram_order: Int?
    }

    struct Row: Decodable {
        let score: Double
        let counts: [Double]
        let totals: [Double]
        let precisions: [Double]
        let bp: Double
        let sys_len: Int
        let ref_len: Int
    }

    let name: String
    let options: Options
    let corpus: [String: Row]
    let sentence: [String: [[Double]]]
    let signature: [String: String]

    func bleuOptions() throws -> BLEUOptions {
        var o = BLEUOptions()
        if let t = options.tokenize { o.tokenize = try #require(BLEUTokenize(rawValue: t)) }
        o.lowercase = options.lowercase ?? false
        o.smoothing = try BLEUSmoothing.named(options.smooth_method ?? "exp", value: options.smooth_value)
        o.effectiveOrder = options.effective_order ?? false
        o.maxNgramOrder = options.max_ngram_order ?? 4
        return o
    }
}

/// sacreBLEU's `counts`/`totals`: add-k smoothing adds k to orders ≥ 2 of the lists it
/// reports (when there is any match at all); Weft reports what was counted.
private func sacreReported(_ s: BLEUScore, _ smoothing: BLEUSmoothing) -> (counts: [Double], totals: [Double]) {
    var counts = s.counts.map(Double.init), totals = s.totals.map(Double.init)
    if case .addK(let k) = smoothing, s.counts.contains(where: { $0 != 0 }) {
        for i in 1..<counts.count {
            counts[i] += k
            totals[i] += k
        }
    }
    return (counts, totals)
}

/// Every number of one result against sacreBLEU's, to 1e-9; counts and lengths exactly.
private func expectSame(_ s: BLEUScore, _ r: BLEUFixtureSet.Row, _ smoothing: BLEUSmoothing, _ what: String) {
    let (counts, totals) = sacreReported(s, smoothing)
    #expect(EvalFixtures.close(s.score, r.score), "\(what): score \(s.score) vs \(r.score)")
    #expect(EvalFixtures.close(s.bp, r.bp), "\(what): bp \(s.bp) vs \(r.bp)")
    #expect(counts == r.counts && totals == r.totals, "\(what): counts \(counts) \(totals) vs \(r.counts) \(r.totals)")
    #expect(s.precisions.count == r.precisions.count
            && zip(s.precisions, r.precisions).allSatisfy { EvalFixtures.close($0, $1) },
            "\(what): precisions \(s.precisions) vs \(r.precisions)")
    #expect(s.sysLen == r.sys_len && s.refLen == r.ref_len, "\(what): lengths \(s.sysLen)/\(s.refLen) vs \(r.sys_len)/\(r.ref_len)")
}

@Suite("BLEU (sacreBLEU 2.6.0)")
struct BLEUTests {
    private let sets: [BLEUFixtureSet]
    private let corpora: SacreCorpora

    init() throws {
        sets = try EvalFixtures.json([BLEUFixtureSet].self, "sacrebleu/bleu.json")
        corpora = try SacreCorpora.load()
    }

    @Test("tokens of 13a, none, intl and char, with and without lowercasing, equal sacreBLEU's")
    func tokenizers() throws {
        let rows = try EvalFixtures.json([[String: String]].self, "sacrebleu/tokens.json")
        #expect(rows.count > 300)
        for row in rows {
            let text = try #require(row["text"])
            for tokenize in BLEUTokenize.allCases {
                for lowercase in [false, true] {
                    var o = BLEUOptions()
                    o.tokenize = tokenize
                    o.lowercase = lowercase
                    let key = tokenize.rawValue + (lowercase ? "-lc" : "")
                    // A lowercased variant is stored only when it differs from the mixed-case one.
                    // Random strings have only 13a and intl.
                    guard let expected = row[key] ?? row[tokenize.rawValue] else { continue }
                    let got = BLEU(o).tokens(text).joined(separator: " ")
                    #expect(got == expected, "\(key) of \(text.debugDescription): \(got.debugDescription) vs \(expected.debugDescription)")
                }
            }
        }
    }

    @Test("corpus BLEU, its signature and every reported number equal sacreBLEU's on every option set")
    func corpusScores() throws {
        #expect(sets.count >= 20)
        for set in sets {
            let bleu = BLEU(try set.bleuOptions())
            for (name, expected) in set.corpus {
                let segments = corpora.named(name)
                let refs = segments.map(\.refs)
                let score = try bleu.corpusScore(hypotheses: segments.map(\.hyp), references: refs)
                expectSame(score, expected, bleu.options.smoothing, "\(set.name) on \(name)")
                #expect(bleu.signature(referenceCount: BLEU.referenceCount(refs)) == set.signature[name])
            }
        }
    }

    @Test("sentence BLEU of every segment equals sacreBLEU's sentence_score")
    func sentenceScores() throws {
        var checked = 0
        for set in sets {
            let bleu = BLEU(try set.bleuOptions())
            let order = bleu.options.maxNgramOrder
            for (name, rows) in set.sentence {
                let segments = corpora.named(name)
                let batch = try bleu.sentenceScores(hypotheses: segments.map(\.hyp), references: segments.map(\.refs))
                for (i, (segment, r)) in zip(segments, rows).enumerated() {
                    let s = bleu.sentenceScore(hypothesis: segment.hyp, references: segment.refs)
                    #expect(s == batch[i])
                    let row = BLEUFixtureSet.Row(
                        score: r[0], counts: Array(r[4 + order..<4 + 2 * order]), totals: Array(r[4 + 2 * order..<4 + 3 * order]),
                        precisions: Array(r[4..<4 + order]), bp: r[1], sys_len: Int(r[2]), ref_len: Int(r[3]))
                    expectSame(s, row, bleu.options.smoothing, "\(set.name) \(name)[\(i)] \(segment.hyp.debugDescription)")
                    checked += 1
                }
            }
        }
        #expect(checked > 850)
    }

    @Test("summed segment statistics score like the corpus; the thread count changes nothing")
    func statisticsAndThreads() throws {
        let segments = corpora.wordnet + corpora.wordnet + corpora.edge  // > 3 slices of 128
        let hyps = segments.map(\.hyp), refs = segments.map(\.refs)
        for options in [BLEUOptions(), BLEUOptions.sentence] {
            let bleu = BLEU(options)
            let one = try bleu.corpusStats(hypotheses: hyps, references: refs, threads: 1)
            #expect(try bleu.corpusStats(hypotheses: hyps, references: refs, threads: 3) == one)
            let perSegment = try bleu.segmentStats(hypotheses: hyps, references: refs, threads: 2)
            #expect(perSegment.reduce(BLEUStats.zero(order: 4), +) == one)
            #expect(bleu.stats(hypothesis: hyps[5], references: refs[5]) == perSegment[5])
            let edge = corpora.edge
            #expect(bleu.score(try bleu.corpusStats(hypotheses: edge.map(\.hyp), references: edge.map(\.refs)))
                    == (try bleu.corpusScore(hypotheses: edge.map(\.hyp), references: edge.map(\.refs))))
        }
    }

    @Test("sacreBLEU's smoothing names, defaults and signature fields")
    func smoothingNames() throws {
        #expect(try BLEUSmoothing.named("floor", value: nil) == .floor(0.1))
        #expect(try BLEUSmoothing.named("add-k", value: nil) == .addK(1))
        #expect(try BLEUSmoothing.named("add-k", value: 0.5) == .addK(0.5))
        #expect(try BLEUSmoothing.named("exp", value: 3) == .exp)
        #expect(try BLEUSmoothing.named("none", value: nil) == BLEUSmoothing.none)
        #expect(BLEUSmoothing.floor(0.125).signatureField == "floor[0.12]")
        #expect(BLEUSmoothing.addK(1).signatureField == "add-k[1.00]")
        #expect(BLEU(BLEUOptions()).signature(referenceCount: 1)
                == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0")
        #expect(BLEU.referenceCount([["a"], ["b", "c"]]) == -1)
        #expect(BLEU(BLEUOptions.sentence).signature(referenceCount: -1).hasPrefix("nrefs:var|case:mixed|eff:yes|"))
    }

    @Test("bad input throws EvalError.invalid saying what and where")
    func errors() throws {
        let bleu = BLEU(BLEUOptions())
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let EvalError.invalid(m) { return m } catch { return "other error \(error)" }
            return "no error"
        }
        #expect(message { _ = try bleu.corpusScore(hypotheses: ["a", "b"], references: [["a"]]) }
            .contains("2 hypotheses but 1 reference lists"))
        #expect(message { _ = try bleu.corpusScore(hypotheses: [], references: []) }.contains("no segments"))
        #expect(message { _ = try bleu.corpusScore(hypotheses: ["a", "b"], references: [["a"], []]) }
            .contains("segment 1 has no reference"))
        #expect(message { _ = try BLEUSmoothing.named("laplace", value: nil) }.contains("exp, floor, add-k, none"))
        #expect(message { _ = try BLEUSmoothing.named("floor", value: -1) }.contains("≥ 0"))
        var o = BLEUOptions()
        o.maxNgramOrder = 0
        #expect(message { _ = try BLEU(o).corpusScore(hypotheses: ["a"], references: [["a"]]) }.contains("maxNgramOrder"))
        #expect(BLEU(o).sentenceScore(hypothesis: "a", references: ["a"]).score == 0)
        o.maxNgramOrder = .max  // rejected by the throwing calls, cut to 1000 by the others
        #expect(message { _ = try BLEU(o).corpusScore(hypotheses: ["a"], references: [["a"]]) }.contains("1...1000"))
        #expect(BLEU(o).sentenceScore(hypothesis: "a b", references: ["a b"]).precisions.count == 1000)
        // No references scores like one empty reference instead of failing.
        #expect(bleu.stats(hypothesis: "a b", references: []) == bleu.stats(hypothesis: "a b", references: [""]))
    }

    @Test("Python's isspace, lower (Unicode 14, final sigma) and regex \\p{P}/\\p{S}/\\p{N} for every code point")
    func unicodeTables() throws {
        struct Tables: Decodable {
            let space, case_ignorable, cased_not_ignorable, punctuation, symbol, number: [[UInt32]]
            let lower: [String: [UInt32]]
        }
        let t = try EvalFixtures.json(Tables.self, "sacrebleu/unicode.json")
        var flags = [UInt8](repeating: 0, count: 0x110000)
        for (bit, list) in [t.space, t.case_ignorable, t.cased_not_ignorable, t.punctuation, t.symbol, t.number].enumerated() {
            for r in list {
                #expect(r[1] < 0x40000 || r[0] >= 0xE0000, "a class in the unassigned planes: \(r)")
                for v in r[0]...r[1] { flags[Int(v)] |= 1 << bit }
            }
        }
        var mismatches: [String] = []
        // Planes 4-13 are unassigned and 15-16 private use: a sample of them suffices.
        let sparse = stride(from: UInt32(0x40000), to: 0xE0000, by: 61).map { $0 }
            + stride(from: UInt32(0xF0000), to: 0x110000, by: 61).map { $0 }
        for v in Array(0..<0xD800) + Array(0xE000..<0x40000) + sparse + Array(0xE0000..<0xF0000) {
            let c = BLEUTokenizer.classified(v)
            let got: UInt8 = (SacreText.isSpace(v) ? 1 : 0)
                | (SacreText.isCaseIgnorable(v) ? 2 : 0)
                | (SacreText.isCased(v) && !SacreText.isCaseIgnorable(v) ? 4 : 0)
                | (c & BLEUTokenizer.punctuationBit != 0 ? 8 : 0)
                | (c & BLEUTokenizer.symbolBit != 0 ? 16 : 0)
                | (c & BLEUTokenizer.numberBit != 0 ? 32 : 0)
            if got != flags[Int(v)] { mismatches.append(String(format: "U+%04X classes %d vs %d", v, got, flags[Int(v)])) }
        }
        let buffer = SacreBuffer<UInt8>()
        for v in UInt32(0)..<0x110000 where v != 0x3A3 {
            guard let s = Unicode.Scalar(v) else { continue }
            let expected = t.lower[String(v)] ?? [v]
            if expected == [v] && !s.properties.changesWhenLowercased { continue }
            let bytes = Array(String(s).utf8)
            bytes.withUnsafeBufferPointer { SacreText.lowercase($0.baseAddress!, $0.count, into: buffer) }
            let got = String(decoding: buffer.buffer, as: UTF8.self).unicodeScalars.map(\.value)
            if got != expected { mismatches.append(String(format: "U+%04X lower", v) + " \(got) vs \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }
}
