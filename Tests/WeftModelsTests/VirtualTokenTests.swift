import Foundation
import Testing
import WeftTensor
@testable import WeftModels

/// The fixture cases of make_virtual_tokens.py: `<model>-<prompt|prefix>`.
let virtualCases = ["llama-tiny", "gpt2-tiny", "qwen2-tiny"].flatMap { m in ["prompt", "prefix"].map { m + "-" + $0 } }

/// The base model of a case, loaded from Tests/Fixtures/models/.
func virtualBase(_ name: String) throws -> any CausalLM {
    let model = String(name.dropLast(7))  // "-prompt" / "-prefix"
    let make = try #require(causalFixtures.first { $0.0 == model }).1
    return try make(fixture("models/" + model))
}

func virtualInputs(_ name: String) throws -> Inputs {
    let model = String(name.dropLast(7))
    return try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("models/\(model)/inputs.json"))))
}

@Suite("prompt tuning and prefix tuning (PEFT PROMPT_TUNING / PREFIX_TUNING)")
struct VirtualTokenTests {
    @Test("a peft adapter gives peft's logits (1e-5), loss (1e-5 rel) and prompt_embeddings gradient (1e-4 rel)", arguments: virtualCases)
    func matchesPeft(_ name: String) throws {
        let dir = fixture("virtual/" + name)
        let m = try virtualBase(name)
        let method = try m.loadVirtualTokenAdapter(directory: dir)
        #expect(method.rawValue == String(name.split(separator: "-").last!))
        let x = try virtualInputs(name)
        let expected = try SafetensorsFile(path: dir + "/expected.safetensors")
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
        let want = try expected.floats("logits")
        #expect(out.logits.count == want.count)
        let dLogit = zip(out.logits.array, want).map { abs($0 - $1) }.max()!
        #expect(dLogit <= 1e-5)
        let wantLoss = Double(try expected.floats("loss")[0])
        let loss = try #require(out.loss)
        #expect(abs(loss - wantLoss) / wantLoss <= 1e-5)
        let grad = try #require(m.virtualTokenParameters?.grad).array
        let gErr = relativeError(grad, try expected.floats("grad"))
        #expect(gErr <= 1e-4)
        #expect(m.weights.allSatisfy { $0.buffer.grad == nil }, "base weights stay frozen")
        // Without labels: the same logits.
        let plain = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: nil, backward: false)
        #expect(plain.logits.array == out.logits.array)
        print("\(name) vs peft: max |Δlogit| \(dLogit), loss rel \(abs(loss - wantLoss) / wantLoss), gradient rel \(gErr)")
    }

    @Test("gradient checkpointing gives bit-identical virtual-token gradients", arguments: virtualCases)
    func checkpointing(_ name: String) throws {
        let x = try virtualInputs(name)
        var grads: [[Float]] = []
        for on in [false, true] {
            let m = try virtualBase(name)
            try m.loadVirtualTokenAdapter(directory: fixture("virtual/" + name))
            m.gradientCheckpointing = on
            _ = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
            grads.append(try #require(m.virtualTokenParameters?.grad).array)
        }
        #expect(grads[0] == grads[1])
    }

    @Test("prompt tuning counts the first label (predicted by the last virtual token), prefix tuning does not")
    func labelledTokens() throws {
        let x = try virtualInputs("llama-tiny-prompt")
        let plain = try virtualBase("llama-tiny-prompt").forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: false)
        let firsts = x.labels.filter { $0[0] != -100 }.count
        for (name, extra) in [("llama-tiny-prompt", firsts), ("llama-tiny-prefix", 0)] {
            let m = try virtualBase(name)
            try m.loadVirtualTokenAdapter(directory: fixture("virtual/" + name))
            let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: false)
            #expect(out.labelledTokens == plain.labelledTokens + extra, "\(name)")
        }
    }

    @Test("a saved adapter has peft's config fields and the fixture's tensor bytes", arguments: virtualCases)
    func saveRoundTrip(_ name: String) throws {
        let dir = fixture("virtual/" + name)
        let m = try virtualBase(name)
        try m.loadVirtualTokenAdapter(directory: dir)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("weft-virtual-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try m.saveVirtualTokenAdapter(directory: out, baseModel: "Tests/Fixtures/models/" + String(name.dropLast(7)))
        let mine = try Data(contentsOf: URL(fileURLWithPath: out + "/adapter_model.safetensors"))
        let theirs = try Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_model.safetensors"))
        #expect(mine == theirs)
        func config(_ d: String) throws -> NSDictionary {
            let j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/adapter_config.json"))) as? [String: Any])
            return j.filter { $0.key != "peft_version" } as NSDictionary
        }
        #expect(try config(out) == config(dir))
        // And it loads back to the same table.
        let again = try virtualBase(name)
        try again.loadVirtualTokenAdapter(directory: out)
        #expect(again.virtualTokenParameters?.array == m.virtualTokenParameters?.array)
    }

    @Test("finite differences: the virtual-token gradient of the loss", arguments: ["llama-tiny-prompt", "llama-tiny-prefix", "gpt2-tiny-prefix"])
    func finiteDifferences(_ name: String) throws {
        let m = try virtualBase(name)
        try m.loadVirtualTokenAdapter(directory: fixture("virtual/" + name))
        let x = try virtualInputs(name)
        let table = try #require(m.virtualTokenParameters)
        _ = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
        let grad = try #require(table.grad).array
        func loss() throws -> Double { try #require(try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: false).loss) }
        // Central differences with step 1e-2 on float32 kernels, loss in Double: the bound of
        // WeftTensorTests' kernel checks, |fd − g| / (|fd| + |g| + 1e-3) ≤ 2e-2.
        var worst = 0.0
        let step: Float = 1e-2
        for i in stride(from: 0, to: table.count, by: max(1, table.count / 24)) {
            let v = table[i]
            table[i] = v + step
            let up = try loss()
            table[i] = v - step
            let down = try loss()
            table[i] = v
            let fd = (up - down) / Double(2 * step)
            worst = max(worst, abs(fd - Double(grad[i])) / (abs(fd) + abs(Double(grad[i])) + 1e-3))
        }
        #expect(worst <= 2e-2)
        print("\(name): finite-difference worst relative error \(worst)")
    }

    @Test("text init cycles and truncates the init tokens' embeddings to P rows; random init is seeded N(0, 1); base frozen")
    func initialisation() throws {
        let m = try LlamaModel(directory: fixture("models/llama-tiny"))
        m.setTrainable { _ in true }
        let C = m.config.hidden
        func row(_ id: Int) -> [Float] { Array(m.embed.array[(id * C)..<((id + 1) * C)]) }
        try m.addPromptTuning(virtualTokens: 5, initTokens: [5, 17], seed: 0)
        #expect(m.virtualTokenParameters?.array == [5, 17, 5, 17, 5].flatMap(row))
        #expect(m.virtualTokenParameters?.grad != nil)
        #expect(m.weights.allSatisfy { $0.buffer.grad == nil })
        try m.addPromptTuning(virtualTokens: 2, initTokens: [1, 2, 3, 4], seed: 0)
        #expect(m.virtualTokenParameters?.array == [1, 2].flatMap(row))
        try m.addPrefixTuning(virtualTokens: 20, seed: 7)
        let a = try #require(m.virtualTokenParameters).array
        #expect(a.count == 20 * m.config.layers * 2 * m.config.kvHeads * m.config.headDim)
        let mean = a.reduce(0) { $0 + Double($1) } / Double(a.count)
        let sd = (a.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(a.count)).squareRoot()
        #expect(abs(mean) < 0.1 && abs(sd - 1) < 0.1)
        try m.addPrefixTuning(virtualTokens: 20, seed: 7)
        #expect(m.virtualTokenParameters?.array == a)
        m.removeVirtualTokens()
        #expect(m.virtualTokens == nil)
    }

    @Test("errors name the file and what to do; loadAnyAdapter picks the adapter kind")
    func errors() throws {
        let gpt2 = try GPT2Model(directory: fixture("models/gpt2-tiny"))
        #expect { try gpt2.loadVirtualTokenAdapter(directory: fixture("virtual/llama-tiny-prefix")) } throws: {
            "\($0)".contains("token_dim 16") && "\($0)".contains("another base model")
        }
        #expect { try gpt2.loadVirtualTokenAdapter(directory: fixture("models/gpt2-tiny/adapter")) } throws: {
            "\($0)".contains("peft_type LORA")
        }
        #expect { try gpt2.addPromptTuning(virtualTokens: 2, initTokens: [99], seed: 0) } throws: { "\($0)".contains("outside the vocabulary") }
        try gpt2.loadVirtualTokenAdapter(directory: fixture("virtual/gpt2-tiny-prompt"))
        let long = [[Int]](repeating: [Int](repeating: 1, count: 30), count: 1)
        #expect { try gpt2.forward(ids: long, mask: nil, labels: nil, backward: false) } throws: { "\($0)".contains("plus 3 virtual tokens") }
        let llama = try LlamaModel(directory: fixture("models/llama-tiny"))
        #expect(try llama.loadAnyAdapter(directory: fixture("virtual/llama-tiny-prefix")) == ["virtual tokens (prefix tuning)"])
        #expect(llama.virtualTokens?.method == .prefix)
        #expect(try !llama.loadAnyAdapter(directory: fixture("models/llama-tiny/adapter")).isEmpty)
    }
}
