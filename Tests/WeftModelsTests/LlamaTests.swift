import Foundation
import Testing
import WeftTensor
@testable import WeftModels

func fixture(_ rel: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/" + rel).path
}

struct Inputs: Decodable {
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var labels: [[Int]]
}

/// max |a − b| / max |b|: the relative error of a whole tensor (the norms the tests state).
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    let scale = b.map { abs(Double($0)) }.max() ?? 1
    return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / max(scale, 1e-12) } ?? 0
}

/// The fixture models and how to load each.
let causalFixtures: [(String, @Sendable (String) throws -> any CausalLM)] = [
    ("llama-tiny", { try LlamaModel(directory: $0) }),
    ("gpt2-tiny", { try GPT2Model(directory: $0) }),
    ("llama3-rope-tied", { try LlamaModel(directory: $0) }),
    ("qwen2-tiny", { try LlamaModel(directory: $0) }),
]

@Suite("causal LMs against PyTorch (transformers + peft)")
struct LlamaTests {
    let dir = fixture("models/llama-tiny")

    func inputs() throws -> Inputs {
        try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
    }

    /// Logits at positions the mask keeps (padded positions are not compared: nothing uses them).
    func keptLogits(_ l: [Float], mask: [[Int]], v: Int) -> [Float] {
        var out: [Float] = []
        let t = mask[0].count
        for (b, row) in mask.enumerated() { for (i, m) in row.enumerated() where m == 1 { out += l[((b * t + i) * v)..<((b * t + i + 1) * v)] } }
        return out
    }

    func inputs(_ dir: String) throws -> Inputs {
        try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
    }

    @Test("base logits match to 1e-4 relative (max |Δ| / max |logit|)", arguments: causalFixtures.map(\.0))
    func baseLogits(_ name: String) throws {
        let dir = fixture("models/" + name)
        let m = try causalFixtures.first { $0.0 == name }!.1(dir)
        let x = try inputs(dir)
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: nil, backward: false)
        let want = try SafetensorsFile(path: dir + "/expected.safetensors").floats("base_logits")
        let v = m.vocabSize
        let err = relativeError(keptLogits(out.logits.array, mask: x.attention_mask, v: v), keptLogits(want, mask: x.attention_mask, v: v))
        #expect(err < 1e-4, "\(name): \(err)")
    }

    @Test("with the PEFT adapter: logits and loss to 1e-4, every LoRA gradient to 1e-3 relative (per matrix, max-norm)",
          arguments: causalFixtures.map(\.0))
    func loraGradients(_ name: String) throws {
        let dir = fixture("models/" + name)
        let m = try causalFixtures.first { $0.0 == name }!.1(dir)
        let adapted = try m.loadAdapter(directory: dir + "/adapter")
        #expect(adapted.count == 2 * ["llama-tiny": 5, "gpt2-tiny": 4, "llama3-rope-tied": 2, "qwen2-tiny": 3][name]!)
        let x = try inputs(dir)
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
        let expected = try SafetensorsFile(path: dir + "/expected.safetensors")
        let v = m.vocabSize
        #expect(relativeError(keptLogits(out.logits.array, mask: x.attention_mask, v: v),
                              keptLogits(try expected.floats("logits"), mask: x.attention_mask, v: v)) < 1e-4)
        let loss = Double(try expected.floats("loss")[0])
        #expect(abs(try #require(out.loss) - loss) / loss < 1e-4, "loss \(out.loss ?? .nan) vs \(loss)")
        var checked = 0, worst = 0.0
        for l in m.linears {
            guard let lora = l.lora else { continue }
            for (part, buf) in [("lora_A", lora.gradA), ("lora_B", lora.gradB)] {
                let want = try expected.floats("grad.base_model.model.\(l.name).\(part).default.weight")
                let err = relativeError(buf.array, want)
                #expect(err < 1e-3, "\(l.name).\(part): \(err)")
                worst = max(worst, err)
                checked += 1
            }
        }
        #expect(checked == 2 * adapted.count)
        print("\(name) vs PyTorch: loss \(out.loss ?? .nan) vs \(loss); worst LoRA gradient relative error \(worst)")
    }

    @Test("bad model folders and LoRA targets are clear errors")
    func badInput() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("weft-models-" + UUID().uuidString.prefix(8)).path
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        func message(_ body: () throws -> Void) -> String { do { try body(); return "" } catch { return "\(error)" } }
        #expect(message { _ = try LlamaModel(directory: tmp) }.contains("no config.json"))
        let cfg = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        try cfg.replacingOccurrences(of: "\"llama\"", with: "\"falcon\"").write(toFile: tmp + "/config.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try LlamaModel(directory: tmp) }.contains("model_type 'falcon' is not supported here; supported: llama, mistral, qwen2"))
        try cfg.replacingOccurrences(of: "\"intermediate_size\": 48", with: "\"intermediate_size\": 50").write(toFile: tmp + "/config.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: dir + "/model.safetensors", toPath: tmp + "/model.safetensors")
        let shape = message { _ = try LlamaModel(directory: tmp) }
        #expect(shape.contains("mlp.gate_proj.weight' has shape [48, 32], the config implies [50, 32]"), "\(shape)")
        let m = try LlamaModel(directory: dir)
        let none = message { try m.addLoRA(targets: LoRATargets(["query", "value"]), rank: 4, alpha: 8, seed: 1) }
        #expect(none.contains("match no module") && none.contains("q_proj") && none.contains("down_proj"), "\(none)")
        #expect(message { _ = try m.forward(ids: [[1, 99]]) }.contains("token id 99 at [0, 1] is outside the vocabulary"))
    }
}
