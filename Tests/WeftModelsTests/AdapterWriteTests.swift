import Foundation
import Testing
import WeftTensor
@testable import WeftModels

/// Writing PEFT adapters: what `saveAdapter` writes, `loadAdapter` (PEFT's layout) reads
/// back to the same outputs; modules_to_save travel with it.
@Suite("adapter writing")
struct AdapterWriteTests {
    func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("weft-adapter-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test("a written LoRA adapter loads back into a fresh model and gives identical logits")
    func roundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try LlamaModel(directory: fixture("models/llama-tiny"))
        try m.addLoRA(targets: LoRATargets(["q_proj", "v_proj", "down_proj"]), rank: 4, alpha: 8, seed: 3)
        var rng = SplitMix(9)
        for l in m.linears { if let lora = l.lora { for i in 0..<lora.b.count { lora.b[i] = rng.normal() * 0.1 } } }
        try m.saveAdapter(directory: dir, config: AdapterConfig(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "down_proj"],
                                                                baseModel: "models/llama-tiny"))
        let cfg = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json"))) as? [String: Any])
        #expect(cfg["peft_type"] as? String == "LORA" && cfg["r"] as? Int == 4 && cfg["base_model_name_or_path"] as? String == "models/llama-tiny")
        let file = try SafetensorsFile(path: dir + "/adapter_model.safetensors")
        #expect(file.names.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), "\(file.names)")

        let fresh = try LlamaModel(directory: fixture("models/llama-tiny"))
        let adapted = try fresh.loadAdapter(directory: dir)
        #expect(adapted.count == m.linears.filter { $0.lora != nil }.count)
        let ids = [[1, 5, 9, 2, 7, 3]]
        let a = try m.forward(ids: ids, mask: nil, labels: nil, backward: false).logits.array
        let b = try fresh.forward(ids: ids, mask: nil, labels: nil, backward: false).logits.array
        #expect(a == b)
    }

    @Test("modules_to_save (a classifier head) is written under PEFT's name and restored")
    func modulesToSave() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try BertModel(directory: fixture("models/bert-tiny-cls"))
        try m.addLoRA(targets: LoRATargets(["query", "value"]), rank: 2, alpha: 4, seed: 1)
        for i in 0..<m.classifier!.weight.count { m.classifier!.weight[i] += 0.25 }
        try m.saveAdapter(directory: dir, config: AdapterConfig(rank: 2, alpha: 4, targetModules: ["query", "value"], baseModel: "b",
                                                                taskType: "SEQ_CLS", modulesToSave: ["classifier"]))
        let fresh = try BertModel(directory: fixture("models/bert-tiny-cls"))
        let restored = try fresh.loadAdapter(directory: dir)
        #expect(restored.contains("classifier.weight") && restored.contains("classifier.bias"), "\(restored)")
        #expect(fresh.classifier!.weight.array == m.classifier!.weight.array)
        #expect(throws: ModelError.self) {
            try m.saveAdapter(directory: dir, config: AdapterConfig(rank: 2, alpha: 4, targetModules: [], baseModel: "b", modulesToSave: ["nope"]))
        }
    }
}
