import Foundation
import Testing
import WeftText

/// The `evaluate` built-in through the engine: predictions mode, model mode (generate,
/// classify, perplexity against transformers' results) and cross-validation.
@Suite("evaluate stage")
struct EvaluateStageTests {
    static func object(_ text: String?) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data((text ?? "").utf8))) as? [String: Any] ?? [:]
    }

    @Test("predictions mode: metrics.json, predictions.jsonl and the confusion plot; metrics show finds them")
    func predictionsMode() throws {
        let ws = try TestWorkspace()
        try ws.write("text.jsonl", try String(contentsOfFile: modelFixture("eval/cli/text.jsonl"), encoding: .utf8))
        try ws.write("labels.jsonl", try String(contentsOfFile: modelFixture("eval/cli/labels.jsonl"), encoding: .utf8))
        try ws.write("pipelines/p.yaml", """
            stages:
              text:
                uses: evaluate
                with: {predictions: text.jsonl, output: eval-text, metrics: [bleu, chrf, rougeL, token_f1], n_boot: 100, seed: 3, rouge_bootstrap_seed: 5}
              cls:
                uses: evaluate
                with: {predictions: labels.jsonl, output: eval-cls, metrics: [accuracy, f1, confusion], n_boot: 0}
            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        let expected = try #require(parseJSON(try String(contentsOfFile: modelFixture("eval/cli/text_expected.json"), encoding: .utf8)) as? [String: Any])
        let j = try #require(expected["json"] as? [String: Any])
        let m = Self.object(ws.read("eval-text/metrics.json"))
        #expect(abs((m["bleu"] as? Double ?? 0) - ((j["bleu"] as! [String: Any])["score"] as! Double)) < 1e-9, "\(m)")
        #expect(abs((m["rougeL"] as? Double ?? 0) - ((j["rougeL"] as! [String: Any])["fmeasure"] as! Double)) < 1e-9)
        #expect(abs((m["token_f1"] as? Double ?? 0) - (j["token_f1"] as! Double)) < 1e-9)
        #expect((m["bleu_ci"] as? [Double])?.count == 2 && m["bleu_signature"] as? String == "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", "rows have one or two references (sacreBLEU: nrefs:var): \(m)")
        #expect((ws.read("eval-text/predictions.jsonl") ?? "").split(separator: "\n").count == 10)
        let (lo, mid, hi) = (m["rougeL_low"] as? Double ?? 9, m["rougeL_mid"] as? Double ?? 9, m["rougeL_high"] as? Double ?? -9)
        #expect(lo <= mid && mid <= hi, "rouge-score's aggregate: \(m)")
        let c = Self.object(ws.read("eval-cls/metrics.json"))
        #expect(abs((c["accuracy"] as? Double ?? 0) - 4.0 / 7.0) < 1e-12, "\(c)")
        let confusion = try #require(parseJSON(ws.read("eval-cls/confusion.json") ?? "") as? [[String: Any]])
        #expect(confusion.count == 7 && confusion[1]["actual"] as? String == "cat" && confusion[1]["predicted"] as? String == "dog")

        let show = try ws.run("metrics", "show", "--json")
        #expect(show.code == 0 && show.out.contains("accuracy") && show.out.contains("bleu_ci"), "\(show)")
        let again = try ws.run("repro")
        #expect(again.ran.isEmpty, "\(again)")
    }

    @Test("model mode: perplexity and bits per byte equal transformers' on a trained tiny Llama")
    func perplexity() throws {
        let ws = try TestWorkspace()
        let expected = try #require(parseJSON(try String(contentsOfFile: modelFixture("eval/models/expected.json"), encoding: .utf8)) as? [String: Any])
        let ppl = try #require(expected["perplexity"] as? [String: Any])
        let texts = try #require(ppl["texts"] as? [[String: Any]])
        try ws.write("texts.jsonl", texts.map { "{\"text\": " + jsonString($0["text"] as! String) + "}\n" }.joined())
        try ws.write("pipelines/p.yaml", """
            stages:
              ppl:
                uses: evaluate
                with: {model: \(modelFixture("eval/models/llama")), data: texts.jsonl, output: ppl, metrics: [perplexity, bits_per_byte]}
            """)
        let r = try ws.run("repro", timeout: 120)
        #expect(r.code == 0, "\(r)")
        let m = Self.object(ws.read("ppl/metrics.json"))
        let want = ppl["perplexity"] as! Double, got = m["perplexity"] as? Double ?? 0
        #expect(abs(got - want) / want < 1e-5, "perplexity \(got) vs transformers \(want)")
        let bpb = ppl["bits_per_byte"] as! Double
        #expect(abs((m["bits_per_byte"] as? Double ?? 0) - bpb) / bpb < 1e-5, "\(m)")
        let rows = (ws.read("ppl/predictions.jsonl") ?? "").split(separator: "\n").map { Self.object(String($0)) }
        for (row, t) in zip(rows, texts) {
            #expect(row["scored_tokens"] as? Int == t["tokens"] as? Int)
            #expect(abs((row["nll"] as? Double ?? 0) - (t["nll_sum"] as! Double)) < 1e-3 * max(1, t["nll_sum"] as! Double))
        }
    }

    @Test("model mode: greedy generation and classification match transformers; scored with BLEU and accuracy")
    func generateAndClassify() throws {
        let ws = try TestWorkspace()
        let expected = try #require(parseJSON(try String(contentsOfFile: modelFixture("eval/models/expected.json"), encoding: .utf8)) as? [String: Any])
        let gens = try #require(expected["generate"] as? [[String: Any]])
        try ws.write("prompts.jsonl", gens.map { "{\"prompt\": " + jsonString($0["prompt"] as! String) + ", \"completion\": " + jsonString($0["text"] as! String) + "}\n" }.joined())
        let cls = try #require(expected["classify"] as? [[String: Any]])
        try ws.write("cls.jsonl", cls.map { "{\"text\": " + jsonString($0["text"] as! String) + ", \"label\": " + jsonString($0["rule"] as! String) + "}\n" }.joined())
        try ws.write("pipelines/p.yaml", """
            stages:
              gen:
                uses: evaluate
                with: {model: \(modelFixture("eval/models/llama")), data: prompts.jsonl, output: gen, metrics: [bleu, exact_match], max_new_tokens: 12, batch_size: 4, n_boot: 0}
              cls:
                uses: evaluate
                with: {model: \(modelFixture("eval/models/bert")), data: cls.jsonl, output: cls, metrics: [accuracy, confusion], n_boot: 0}
            """)
        let r = try ws.run("repro", timeout: 120)
        #expect(r.code == 0, "\(r)")
        let rows = (ws.read("gen/predictions.jsonl") ?? "").split(separator: "\n").map { Self.object(String($0)) }
        #expect(rows.map { $0["prediction"] as? String } == gens.map { $0["text"] as? String }, "\(rows)")
        let g = Self.object(ws.read("gen/metrics.json"))
        #expect(abs((g["bleu"] as? Double ?? 0) - 100) < 1e-9 && g["exact_match"] as? Double == 100, "each generation is its own reference: \(g)")
        let c = Self.object(ws.read("cls/metrics.json"))
        let agree = Double(cls.filter { $0["label"] as? String == $0["rule"] as? String }.count) / Double(cls.count)
        #expect(abs((c["accuracy"] as? Double ?? -1) - agree) < 1e-12, "\(c)")
        let predicted = (ws.read("cls/predictions.jsonl") ?? "").split(separator: "\n").map { Self.object(String($0))["predicted"] as? String }
        #expect(predicted == cls.map { $0["label"] as? String })
    }

    @Test("cross-validation: folds give each metric's mean and population std")
    func crossValidation() throws {
        let ws = try TestWorkspace()
        try ws.write("f0.jsonl", "{\"prediction\": \"a\", \"label\": \"a\"}\n{\"prediction\": \"b\", \"label\": \"a\"}\n")
        try ws.write("f1.jsonl", "{\"prediction\": \"a\", \"label\": \"a\"}\n{\"prediction\": \"b\", \"label\": \"b\"}\n")
        try ws.write("f2.jsonl", "{\"prediction\": \"b\", \"label\": \"a\"}\n{\"prediction\": \"b\", \"label\": \"b\"}\n{\"prediction\": \"a\", \"label\": \"b\"}\n{\"prediction\": \"a\", \"label\": \"a\"}\n")
        try ws.write("pipelines/p.yaml", """
            stages:
              cv:
                uses: evaluate
                with: {folds: [f0.jsonl, f1.jsonl, f2.jsonl], output: cv, metrics: [accuracy]}
            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        let m = Self.object(ws.read("cv/metrics.json"))
        let acc = [0.5, 1.0, 0.5], mean = acc.reduce(0, +) / 3
        let std = (acc.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(abs((m["accuracy"] as? Double ?? 0) - mean) < 1e-12 && abs((m["accuracy_std"] as? Double ?? 0) - std) < 1e-12, "\(m)")
        #expect(m["folds"] as? Int == 3)
    }

    @Test("stage errors name the parameter: nothing to evaluate; model without data")
    func stageErrors() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", """
            stages:
              e:
                uses: evaluate
                with: {output: e, metrics: [bleu]}
            """)
        var r = try ws.run("repro")
        #expect(r.code != 0 && r.all.contains("nothing to evaluate"), "\(r)")
        try ws.write("pipelines/p.yaml", """
            stages:
              e:
                uses: evaluate
                with: {output: e, metrics: [perplexity], model: \(modelFixture("eval/models/llama"))}
            """)
        r = try ws.run("repro")
        #expect(r.code != 0 && r.all.contains("model mode needs 'data'"), "\(r)")
        #expect(!ws.exists("e") && !ws.files().contains { $0.hasPrefix("e.tmp") }, "no partial output folder: \(ws.files())")
    }
}

/// A Swift string as a JSON string literal.
func jsonString(_ s: String) -> String {
    var bytes: [UInt8] = []
    JSONBytes.appendString(s, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}
