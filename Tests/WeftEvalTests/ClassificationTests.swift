import Foundation
import Testing
import WeftText

@testable import WeftEval

/// Reference results from Tests/Fixtures/make_eval_sklearn.py (scikit-learn 1.9.1).
private struct SklearnFile: Decodable {
    struct Expected: Decodable {
        var error: String?
        var labels: [ClassLabel]?
        var accuracy: Double?
        var precision: [Double]?
        var recall: [Double]?
        var f1: [Double]?
        var support: [Int]?
        var micro: [Double]?
        var macro: [Double]?
        var weighted: [Double]?
        var confusion: [[Int]]?
        var warnings: [String]?
    }
    struct Case: Decodable {
        var name: String
        var truths: [ClassLabel]
        var predictions: [ClassLabel]
        var labels: [ClassLabel]?
        var zero_division: String
        var beta: Double
        var expected: Expected
    }
    var cases: [Case]
}

private struct BigFile: Decodable {
    var rows: Int
    var names: [String]
    var expected: SklearnFile.Expected
}

private func decoder() -> JSONDecoder {
    let d = JSONDecoder()
    d.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return d
}

private func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
    try decoder().decode(T.self, from: EvalFixtures.data("sklearn/" + name))
}

/// Every number and count of `r` against scikit-learn's; returns the first difference.
private func difference(_ r: ClassificationReport, _ e: SklearnFile.Expected) -> String? {
    func same(_ a: [Double], _ b: [Double]?) -> Bool {
        guard let b, a.count == b.count else { return false }
        return zip(a, b).allSatisfy { EvalFixtures.close($0, $1) }
    }
    if r.labels != e.labels { return "labels \(r.labels) vs \(e.labels ?? [])" }
    if !EvalFixtures.close(r.accuracy, e.accuracy ?? -1) { return "accuracy \(r.accuracy) vs \(e.accuracy ?? -1)" }
    if !same(r.precision, e.precision) { return "precision \(r.precision) vs \(e.precision ?? [])" }
    if !same(r.recall, e.recall) { return "recall \(r.recall) vs \(e.recall ?? [])" }
    if !same(r.f1, e.f1) { return "f1 \(r.f1) vs \(e.f1 ?? [])" }
    if r.support != e.support { return "support \(r.support) vs \(e.support ?? [])" }
    for (name, got, want) in [("micro", r.micro, e.micro), ("macro", r.macro, e.macro), ("weighted", r.weighted, e.weighted)]
    where !same([got.precision, got.recall, got.f1], want) {
        return "\(name) \(got) vs \(want ?? [])"
    }
    var cells: [[Int]] = []
    for (i, row) in r.confusion.enumerated() {
        for (j, v) in row.enumerated() where v != 0 { cells.append([i, j, v]) }
    }
    if r.confusion.count != r.labels.count || r.confusion.contains(where: { $0.count != r.labels.count }) {
        return "confusion shape"
    }
    if cells != e.confusion { return "confusion \(cells) vs \(e.confusion ?? [])" }
    if Set(r.warnings) != Set(e.warnings ?? []) { return "warnings \(r.warnings) vs \(e.warnings ?? [])" }
    return nil
}

/// The metrics a fixture case asks for.
private func metrics(_ c: SklearnFile.Case) throws -> ClassificationMetrics {
    ClassificationMetrics(labels: c.labels, zeroDivision: try ZeroDivision(name: c.zero_division), beta: c.beta)
}

/// The fixture's labels as codes into a shuffled universe with unused labels added, as a
/// caller that encodes labels itself would pass them.
private func encode(_ c: SklearnFile.Case, unused: Int) -> (truth: [Int32], prediction: [Int32], labels: [ClassLabel]) {
    var universe = Array(Set(c.truths + c.predictions))
    let kindIsInt = c.truths.first?.isInt ?? true
    for k in 0..<unused { universe.append(kindIsInt ? .int(1_000_000 + k) : .string("unused \(k)")) }
    var rng = SplitMix64(seed: UInt64(c.name.utf8.count))
    universe.sort()
    for i in stride(from: universe.count - 1, to: 0, by: -1) {
        universe.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    var code = [ClassLabel: Int32]()
    for (i, l) in universe.enumerated() { code[l] = Int32(i) }
    return (c.truths.map { code[$0]! }, c.predictions.map { code[$0]! }, universe)
}

@Suite("Classification metrics")
struct ClassificationTests {
    @Test("string/int label path equals scikit-learn on every fixture case")
    func sklearnCases() throws {
        let file = try load(SklearnFile.self, "cases.json")
        #expect(file.cases.count > 200)
        for c in file.cases {
            if let want = c.expected.error {
                do {
                    _ = try metrics(c).report(truths: c.truths, predictions: c.predictions)
                    Issue.record("\(c.name): expected an error containing \(want)")
                } catch let error as EvalError {
                    #expect(error.description.contains(want), "\(c.name): \(error)")
                }
                continue
            }
            let r = try metrics(c).report(truths: c.truths, predictions: c.predictions)
            let diff = difference(r, c.expected)
            #expect(diff == nil, "\(c.name): \(diff ?? "")")
        }
    }

    @Test("int-code fast path equals scikit-learn, dense and sparse counting")
    func codePath() throws {
        let file = try load(SklearnFile.self, "cases.json")
        for c in file.cases where c.expected.error == nil {
            // 3 unused labels: dense K×K counting; 600: the per-class vectors path.
            for unused in [3, 600] {
                let e = encode(c, unused: unused)
                let r = try metrics(c).report(truthCodes: e.truth, predictionCodes: e.prediction, labels: e.labels)
                let diff = difference(r, c.expected)
                #expect(diff == nil, "\(c.name) (+\(unused) unused): \(diff ?? "")")
            }
        }
    }

    @Test("300,000 rows counted on several threads equal scikit-learn")
    func bigParallel() throws {
        let big = try load(BigFile.self, "big.json")
        let names = big.names.map { ClassLabel.string($0) }
        // splitmix64(x) of the fixture script: the generator's first output for seed x.
        func sm(_ x: UInt64) -> UInt64 { SplitMix64.mix(x &+ 0x9E37_79B9_7F4A_7C15) }
        let k45 = UInt64(names.count)
        var truthCodes = [Int32](repeating: 0, count: big.rows)
        var predictionCodes = [Int32](repeating: 0, count: big.rows)
        for k in 0..<big.rows {
            let t = Int32(sm(UInt64(k)) % k45)
            truthCodes[k] = t
            predictionCodes[k] = sm(UInt64(k) + 13) % 100 < 30 ? Int32(sm(UInt64(k) + 7_777_777) % k45) : t
        }
        let m = ClassificationMetrics(zeroDivision: .zero)
        let r = try m.report(
            truths: truthCodes.map { names[Int($0)] }, predictions: predictionCodes.map { names[Int($0)] })
        #expect(difference(r, big.expected) == nil)
        let fast = try m.report(truthCodes: truthCodes, predictionCodes: predictionCodes, labels: names)
        #expect(difference(fast, big.expected) == nil)
    }

    @Test("labels compare by code point, not by canonical equivalence")
    func labelIdentity() throws {
        let pre = ClassLabel.string("é"), dec = ClassLabel.string("e\u{301}")
        #expect(pre != dec)
        #expect(Set([pre, dec]).count == 2)
        #expect(dec < pre)  // U+0065 < U+00E9
        #expect(ClassLabel.int(-3) < .int(2))
        #expect(ClassLabel.string("Z") < .string("a"))
        let decoded = try JSONDecoder().decode([ClassLabel].self, from: Data(#"[3, "cat", -1, "猫"]"#.utf8))
        #expect(decoded == [.int(3), .string("cat"), .int(-1), .string("猫")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ClassLabel].self, from: Data("[1.5]".utf8)) }
    }

    @Test("zero_division names")
    func zeroDivisionNames() throws {
        #expect(try ZeroDivision(name: "warn") == .warn)
        #expect(try ZeroDivision(name: "0") == .zero)
        #expect(try ZeroDivision(name: "1.0") == .one)
        #expect(try ZeroDivision(name: "NaN") == .nan)
        #expect(throws: EvalError.self) { try ZeroDivision(name: "2") }
    }

    @Test("bad codes and code labels are reported with their row")
    func codeErrors() throws {
        let m = ClassificationMetrics()
        let labels: [ClassLabel] = ["a", "b"]
        do {
            _ = try m.report(truthCodes: [0, 1, 0], predictionCodes: [0, 2, 0], labels: labels)
            Issue.record("expected an error")
        } catch let error as EvalError {
            #expect(error.description.contains("row 1: prediction code 2 is outside 0..<2"))
        }
        do {
            _ = try m.report(truthCodes: [0, 1], predictionCodes: [1, 1], labels: ["a", "a"])
            Issue.record("expected an error")
        } catch let error as EvalError {
            #expect(error.description.contains("repeats"))
        }
        do {
            _ = try m.report(truthCodes: [0, 0, 1], predictionCodes: [0, 0, 0], labels: ["a", 7])
            Issue.record("expected an error")
        } catch let error as EvalError {
            #expect(error.description.contains("row 2: the truth is the integer 7"))
        }
        // Unused labels of another kind are not an error: they are not scored.
        let r = try m.report(truthCodes: [0, 0], predictionCodes: [0, 0], labels: ["a", 7])
        #expect(r.labels == ["a"])
    }

    @Test("report table lists every label and the averages")
    func table() throws {
        let r = try ClassificationMetrics().report(truths: ["cat", "dog", "cat"], predictions: ["cat", "cat", "cat"])
        let text = r.table()
        #expect(text.contains("cat"))
        #expect(text.contains("macro avg"))
        #expect(text.contains("0.67"))
    }
}
