import Foundation
import Testing
@testable import WeftEval

/// The evaluation glue: metric names, JSON spelling, bootstrap, perplexity, folds.
@Suite("evaluator")
struct EvaluatorTests {
    @Test("metric names parse, duplicates drop, unknown names list the known ones")
    func names() throws {
        #expect(try Metric.parse(["bleu,chrf++", "rougeLsum", "bleu"]) == [.bleu, .chrfPlusPlus, .rouge(.lsum)])
        #expect(try Metric(name: "rouge4") == .rouge(.n(4)))
        #expect(throws: EvalError.self) { try Metric.parse(["bleu", "rouge"]) }
        do { _ = try Metric(name: "blue"); Issue.record("no error") } catch { #expect("\(error)".contains("token_f1")) }
        #expect(throws: EvalError.self) { try Metric.parse([""]) }
    }

    @Test("numbers are spelled as Python's json spells them; NaN becomes null")
    func spelling() {
        #expect(EvalJSON.object([("a", .number(100)), ("b", .number(0.1 + 0.2)), ("c", .number(1e-7)), ("d", .number(.nan)), ("e", .int(3))]).compact
                == #"{"a": 100.0, "b": 0.30000000000000004, "c": 1e-07, "d": null, "e": 3}"#)
        #expect(EvalJSON.string("é\n\"\u{1}").compact == "\"é\\n\\\"\\u0001\"")
    }

    @Test("percentile interpolates like numpy's default; bootstrap is seeded and thread-independent")
    func bootstrap() throws {
        #expect(Bootstrap.percentile([1, 2, 3, 4], 0.25) == 1.75)
        #expect(Bootstrap.percentile([5], 0.975) == 5)
        let values = (0..<500).map { Double(($0 * 7919) % 101) }
        let stat: @Sendable ([UInt32]) -> Double = { w in zip(w, values).reduce(0) { $0 + Double($1.0) * $1.1 } / 500 }
        let one = try Bootstrap(samples: 300, seed: 5, threads: 1).interval(rows: 500, statistic: stat)
        let two = try Bootstrap(samples: 300, seed: 5, threads: 2).interval(rows: 500, statistic: stat)
        #expect(one == two)
        let mean = values.reduce(0, +) / 500
        #expect(one.low < mean && mean < one.high && one.high - one.low < 10, "\(one) around \(mean)")
        let other = try Bootstrap(samples: 300, seed: 6, threads: 2).interval(rows: 500, statistic: stat)
        #expect(other != one)
        #expect(throws: EvalError.self) { try Bootstrap(samples: 1) }
        #expect(throws: EvalError.self) { try Bootstrap(samples: 10, confidence: 1) }
    }

    @Test("perplexity is exp of the mean NLL; nothing scored is an error, not NaN")
    func perplexity() throws {
        var p = Perplexity()
        #expect(throws: EvalError.self) { try p.perplexity() }
        p.add(nll: 6, tokens: 3, bytes: 10)
        p.add(nll: 2, tokens: 1, bytes: 6)
        #expect(abs(try p.perplexity() - exp(2)) < 1e-12)
        #expect(abs(try p.bitsPerByte() - 8 / log(2) / 16) < 1e-12)
    }

    @Test("cross-validation: mean and population std per key, keys in first-seen order")
    func folds() throws {
        let s = try CrossValidation.aggregate([[("a", 1), ("b", 2)], [("a", 3)], [("b", 4), ("a", 5)]])
        #expect(s.map(\.0) == ["a", "b"])
        #expect(s[0].1.mean == 3 && abs(s[0].1.std - (8.0 / 3).squareRoot()) < 1e-12 && s[0].1.folds == 3)
        #expect(s[1].1.mean == 3 && s[1].1.std == 1)
        #expect(throws: EvalError.self) { try CrossValidation.aggregate([]) }
    }

    @Test("labels read straight to codes: escapes decoded, CRLF and blank lines, errors with the line")
    func labelColumns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-eval-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/l.jsonl"
        try "{\"prediction\": \"\\u00e9t\u{00e9}\", \"label\": \"\u{00e9}t\u{00e9}\"}\r\n\n  \n{\"label\": \"\", \"prediction\": \"b\"}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let set = try PredictionSet.read(path: file, text: false, classification: true)
        #expect(set.lines == [1, 4])
        #expect(set.labelTable == ["été", "b", ""], "predictions are interned before labels, row by row")
        #expect(set.truthCodes == [0, 2] && set.predictionCodes == [0, 1])
        try "{\"prediction\": 3, \"label\": 3}\n{\"prediction\": 3, \"label\": true}\n".write(toFile: file, atomically: true, encoding: .utf8)
        do { _ = try PredictionSet.read(path: file, text: false, classification: true); Issue.record("no error") } catch {
            #expect("\(error)".contains("l.jsonl:2") && "\(error)".contains("not a label"), "\(error)")
        }
    }
}
