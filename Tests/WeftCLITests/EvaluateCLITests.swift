import Foundation
import Testing

/// Compares two decoded JSON values: same keys (and key sets), numbers within `tol`.
func jsonClose(_ a: Any?, _ b: Any?, tol: Double = 1e-9, path: String = "$") -> [String] {
    switch (a, b) {
    case let (x as [String: Any], y as [String: Any]):
        if Set(x.keys) != Set(y.keys) { return ["\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())"] }
        return x.keys.sorted().flatMap { jsonClose(x[$0], y[$0], tol: tol, path: path + "." + $0) }
    case let (x as [Any], y as [Any]):
        if x.count != y.count { return ["\(path): \(x.count) vs \(y.count) items"] }
        return zip(x, y).enumerated().flatMap { jsonClose($1.0, $1.1, tol: tol, path: path + "[\($0)]") }
    case let (x as NSNumber, y as NSNumber):
        return abs(x.doubleValue - y.doubleValue) <= tol ? [] : ["\(path): \(x) vs \(y)"]
    case let (x as String, y as String):
        return x == y ? [] : ["\(path): \(x) vs \(y)"]
    default:
        return ["\(path): \(String(describing: a)) vs \(String(describing: b))"]
    }
}


/// `weft evaluate`'s command contract, checked against the reference packages' own output
/// (Tests/Fixtures/make_eval_cli.py).
@Suite("evaluate command")
struct EvaluateCommandTests {
    static let textMetrics = "bleu,sentence_bleu,chrf,chrf++,rouge1,rouge2,rougeL,rougeLsum,exact_match,token_f1"

    @Test("--json and --per-example give sacreBLEU's, rouge-score's and SQuAD's numbers in the documented shapes")
    func textJSON() throws {
        let ws = try TestWorkspace()
        let expected = try #require(parseJSON(try String(contentsOfFile: modelFixture("eval/cli/text_expected.json"), encoding: .utf8)) as? [String: Any])
        let r = try ws.run("evaluate", "--predictions", modelFixture("eval/cli/text.jsonl"), "--metrics", Self.textMetrics,
                           "--per-example", ws.path("per.jsonl"), "--json")
        #expect(r.code == 0, "\(r)")
        let got = parseJSON(r.out)
        #expect(jsonClose(got, expected["json"]) == [])
        let per = (ws.read("per.jsonl") ?? "").split(separator: "\n").map { parseJSON(String($0)) }
        #expect(jsonClose(per, expected["per_example"]) == [])

        let r2 = try ws.run("evaluate", "--predictions", modelFixture("eval/cli/text.jsonl"), "--metrics", "bleu,rouge1,rougeLsum",
                            "--tokenize", "intl", "--lowercase", "--smooth", "floor", "--rouge-stemmer", "--json")
        #expect(r2.code == 0, "\(r2)")
        #expect(jsonClose(parseJSON(r2.out), expected["json_intl_lc_floor"]) == [])

        let r3 = try ws.run("evaluate", "--predictions", modelFixture("eval/cli/text.jsonl"), "--metrics", "bleu,sentence_bleu",
                            "--smooth", "add-k", "--per-example", ws.path("addk.jsonl"), "--json")
        #expect(r3.code == 0, "\(r3)")
        let j3 = try #require(expected["json_addk"] as? [String: Any])
        // The sentence_bleu summary is Weft's own aggregate (not a sacreBLEU call): compare the corpus part.
        #expect(jsonClose((parseJSON(r3.out) as? [String: Any])?["bleu"], j3["bleu"]) == [])
        let per3 = (ws.read("addk.jsonl") ?? "").split(separator: "\n").map { parseJSON(String($0)) }
        #expect(jsonClose(per3, expected["per_example_addk"]) == [])

        let r4 = try ws.run("evaluate", "--predictions", modelFixture("eval/cli/text.jsonl"), "--metrics", "rouge1,rougeLsum",
                            "--rouge-bootstrap", "5", "--json")
        #expect(r4.code == 0, "\(r4)")
        #expect(jsonClose((parseJSON(r4.out) as? [String: Any])?["rouge_bootstrap"], expected["rouge_bootstrap_seed5"]) == [])
    }

    @Test("classification --json equals scikit-learn; the table names the classes")
    func labelsJSON() throws {
        let ws = try TestWorkspace()
        let expected = parseJSON(try String(contentsOfFile: modelFixture("eval/cli/labels_expected.json"), encoding: .utf8))
        let r = try ws.run("evaluate", "--predictions", modelFixture("eval/cli/labels.jsonl"), "--metrics", "accuracy,precision,recall,f1,confusion", "--json")
        #expect(r.code == 0, "\(r)")
        #expect(jsonClose(parseJSON(r.out), expected) == [])
        let t = try ws.run("evaluate", "--predictions", modelFixture("eval/cli/labels.jsonl"), "--metrics", "accuracy,f1")
        #expect(t.code == 0 && t.out.contains("accuracy: 0.5714") && t.out.contains("bird"), "\(t)")
    }

    @Test("bootstrap intervals are seeded, bracket the score, and come back identical")
    func intervals() throws {
        let ws = try TestWorkspace()
        let args = ["evaluate", "--predictions", modelFixture("eval/cli/text.jsonl"), "--metrics", "bleu,rouge1", "--n-boot", "200", "--seed", "7", "--json"]
        let a = try ws.run(args: args), b = try ws.run(args: args + ["--threads", "1"])
        #expect(a.code == 0 && a.out == b.out, "\(a)\n\(b)")
        let j = try #require(parseJSON(a.out) as? [String: Any])
        let ci = try #require(j["confidence_intervals"] as? [String: [Double]])
        let bleu = try #require((j["bleu"] as? [String: Any])?["score"] as? Double)
        #expect(ci["bleu"]![0] <= bleu && bleu <= ci["bleu"]![1] && ci["bleu"]![0] < ci["bleu"]![1], "\(ci)")
    }

    @Test("bad input: count mismatch, missing field, mixed labels, non-integer label, unknown metric, empty file")
    func badInput() throws {
        let ws = try TestWorkspace()
        try ws.write("p.jsonl", "{\"prediction\": \"a b\"}\n{\"prediction\": \"c\"}\n{\"prediction\": \"d\"}\n")
        try ws.write("refs.txt", "a b\nc\n")
        var r = try ws.run("evaluate", "--predictions", "p.jsonl", "--references", "refs.txt", "--metrics", "bleu")
        #expect(r.code != 0 && r.err.contains("p.jsonl has 3 prediction rows but refs.txt has 2 references"), "\(r)")

        r = try ws.run("evaluate", "--predictions", "p.jsonl", "--metrics", "bleu")
        #expect(r.code != 0 && r.err.contains("p.jsonl:1") && r.err.contains("reference"), "\(r)")

        try ws.write("l.jsonl", "{\"prediction\": 1, \"label\": 1}\n{\"prediction\": \"one\", \"label\": 2}\n")
        r = try ws.run("evaluate", "--predictions", "l.jsonl", "--metrics", "accuracy")
        #expect(r.code != 0 && r.err.contains("l.jsonl:2") && r.err.contains("integers"), "\(r)")

        try ws.write("f.jsonl", "{\"prediction\": 1.5, \"label\": 1}\n")
        r = try ws.run("evaluate", "--predictions", "f.jsonl", "--metrics", "f1")
        #expect(r.code != 0 && r.err.contains("f.jsonl:1") && r.err.contains("not an integer"), "\(r)")

        r = try ws.run("evaluate", "--predictions", "p.jsonl", "--metrics", "bleu,blue")
        #expect(r.code != 0 && r.err.contains("unknown metric 'blue'") && r.err.contains("chrf++"), "\(r)")

        try ws.write("empty.jsonl", "")
        r = try ws.run("evaluate", "--predictions", "empty.jsonl", "--metrics", "bleu")
        #expect(r.code != 0 && r.err.contains("empty.jsonl") && r.err.contains("empty"), "\(r)")
        #expect(!r.all.contains("nan"), "\(r)")
    }
}
