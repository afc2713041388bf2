import Foundation
import Testing
import WeftModels
import WeftTensor
@testable import WeftTrain

func fixture(_ rel: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/" + rel).path
}

struct Batch: Decodable { var input_ids: [[Int]]; var attention_mask: [[Int]]; var labels: [[Int]] }

@Suite("AdamW against torch.optim.AdamW")
struct AdamWTests {
    @Test("five LoRA training steps give PyTorch's losses to 1e-4 relative", arguments: ["llama-tiny", "gpt2-tiny"])
    func fiveSteps(_ name: String) throws {
        let dir = fixture("models/" + name)
        let model: any CausalLM = name.hasPrefix("gpt2") ? try GPT2Model(directory: dir) : try LlamaModel(directory: dir)
        try model.loadAdapter(directory: dir + "/adapter")
        let x = try JSONDecoder().decode(Batch.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        let want = try SafetensorsFile(path: dir + "/expected.safetensors").floats("adamw_losses")
        let opt = AdamW(model.loraParameters, lr: 1e-2, weightDecay: 0.01)
        var losses: [Double] = []
        for _ in 0..<5 {
            opt.zeroGrad()
            let out = try model.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
            losses.append(try #require(out.loss))
            opt.update()
        }
        for (got, w) in zip(losses, want) { #expect(abs(got - Double(w)) / Double(w) < 1e-4, "\(name): \(losses) vs \(want)") }
        print("\(name) AdamW losses: \(losses.map { String(format: "%.6f", $0) }) vs PyTorch \(want)")
    }
}
