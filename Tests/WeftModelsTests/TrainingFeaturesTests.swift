import Foundation
import Testing
import WeftTensor
@testable import WeftModels

/// A weight's gradient in the checkpoint's layout (GPT-2's Conv1D weights are held transposed).
func checkpointLayout(_ w: NamedWeight, _ values: [Float]) -> [Float] {
    guard w.transposed else { return values }
    let (i, o) = (w.shape[0], w.shape[1])
    var out = [Float](repeating: 0, count: values.count)
    for r in 0..<i { for c in 0..<o { out[r * o + c] = values[c * i + r] } }
    return out
}

@Suite("full fine-tuning, gradient checkpointing, LoRA dropout, merge, modules_to_save")
struct TrainingFeaturesTests {
    @Test("every base weight is listed under its checkpoint name with its checkpoint shape", arguments: causalFixtures.map(\.0) + ["bert-tiny-cls"])
    func weightNames(_ name: String) throws {
        let dir = fixture("models/" + name)
        let m: LinearModel = name.hasPrefix("bert") ? try BertModel(directory: dir) : try causalFixtures.first { $0.0 == name }!.1(dir)
        let ck = try SafetensorsFile(path: dir + "/model.safetensors")
        #expect(Set(m.weights.map(\.name)) == Set(ck.names), "\(name)")
        for w in m.weights { #expect(try ck.entry(w.name).shape == w.shape, "\(w.name)") }
    }

    @Test("full fine-tuning: loss to 1e-4 and the gradient of every base weight to 1e-3 relative (per tensor, max-norm)",
          arguments: causalFixtures.map(\.0))
    func fullGradientsCausal(_ name: String) throws {
        let dir = fixture("models/" + name)
        let m = try causalFixtures.first { $0.0 == name }!.1(dir)
        let names = m.setTrainable { _ in true }
        let x = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
        let worst = try compareFull(m, dir: dir, loss: out.loss, trainable: names.count)
        print("\(name) full fine-tuning vs PyTorch: worst gradient relative error \(worst)")
    }

    @Test("full fine-tuning of BERT classification: every base weight's gradient to 1e-3 relative (max-norm)")
    func fullGradientsBert() throws {
        let dir = fixture("models/bert-tiny-cls")
        let m = try BertModel(directory: dir)
        let names = m.setTrainable { _ in true }
        let x = try JSONDecoder().decode(BertInputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, tokenTypes: x.token_type_ids, labels: x.labels, backward: true)
        let worst = try compareFull(m, dir: dir, loss: out.loss, trainable: names.count)
        print("bert-tiny-cls full fine-tuning vs PyTorch: worst gradient relative error \(worst)")
    }

    func compareFull(_ m: LinearModel, dir: String, loss: Double?, trainable: Int) throws -> Double {
        let expected = try SafetensorsFile(path: dir + "/expected_full.safetensors")
        let want = Double(try expected.floats("loss")[0])
        #expect(abs(try #require(loss) - want) / want < 1e-4)
        #expect(trainable == m.weights.count)
        var worst = 0.0
        // A key bias's gradient is zero in exact arithmetic (softmax ignores a constant shift of
        // a query's scores); both sides hold rounding noise there, so it is checked to be below
        // 1e-6 of the largest gradient instead.
        let largest = try m.weights.map { try expected.floats("grad." + $0.name).map { abs(Double($0)) }.max() ?? 0 }.max()!
        for w in m.weights {
            let g = checkpointLayout(w, try #require(w.buffer.grad).array), ref = try expected.floats("grad." + w.name)
            if w.name.hasSuffix("key.bias") {
                #expect(g.allSatisfy { Double(abs($0)) < 1e-6 * largest }, "\(w.name)")
                continue
            }
            let err = relativeError(g, ref)
            #expect(err < 1e-3, "\(w.name): \(err)")
            worst = max(worst, err)
        }
        return worst
    }

    @Test("frozen weights get no gradient buffer; setTrainable selects by name")
    func frozenHaveNoGradients() throws {
        let m = try LlamaModel(directory: fixture("models/llama-tiny"))
        #expect(m.weights.allSatisfy { $0.buffer.grad == nil })
        let chosen = m.setTrainable { $0.hasSuffix("norm.weight") }
        #expect(chosen.count == 2 * 2 + 1)
        #expect(m.trainableWeights.map(\.name) == chosen)
        m.setTrainable { _ in false }
        #expect(m.trainableWeights.isEmpty)
    }

    @Test("gradient checkpointing recomputes the same activations: identical loss and gradients (LoRA with dropout, and full)",
          arguments: ["llama-tiny", "gpt2-tiny"])
    func checkpointingIsExact(_ name: String) throws {
        let dir = fixture("models/" + name)
        let x = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        func run(_ gc: Bool) throws -> (Double, [[Float]]) {
            let m = try causalFixtures.first { $0.0 == name }!.1(dir)
            try m.addLoRA(targets: LoRATargets(["all-linear"]), rank: 4, alpha: 8, dropout: 0.25, seed: 3)
            for l in m.linears { if let lora = l.lora { for i in 0..<lora.b.count { lora.b[i] = Float(i % 7) * 0.05 - 0.15 } } }
            m.setTrainable { $0.contains("norm") || $0.contains("ln_") }
            m.gradientCheckpointing = gc
            let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
            let grads = m.trainableWeights.map { $0.buffer.grad!.array } + m.linears.compactMap { $0.lora }.flatMap { [$0.gradA.array, $0.gradB.array] }
            return (out.loss!, grads)
        }
        let (plain, gp) = try run(false), (ckpt, gc) = try run(true)
        #expect(plain == ckpt)
        #expect(gp == gc)
    }

    @Test("BERT gradient checkpointing gives identical gradients")
    func checkpointingBert() throws {
        let dir = fixture("models/bert-tiny-cls")
        let x = try JSONDecoder().decode(BertInputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        func run(_ gc: Bool) throws -> [[Float]] {
            let m = try BertModel(directory: dir)
            try m.loadAdapter(directory: dir + "/adapter")
            m.setTrainable { _ in true }
            m.gradientCheckpointing = gc
            _ = try m.forward(ids: x.input_ids, mask: x.attention_mask, tokenTypes: x.token_type_ids, labels: x.labels, backward: true)
            return m.trainableWeights.map { $0.buffer.grad!.array }
        }
        #expect(try run(false) == run(true))
    }

    @Test("LoRA dropout: inference ignores it, training passes are seeded, and its backward matches finite differences")
    func loraDropout() throws {
        let (n, i, o, r) = (6, 10, 7, 3)
        var rng = SplitMix(11)
        let w = FloatBuffer((0..<(o * i)).map { _ in rng.normal() * 0.3 })
        let lin = Linear(name: "p", weight: w, bias: nil, inFeatures: i, outFeatures: o)
        let lora = LoRA(rank: r, alpha: 6, rslora: false, inFeatures: i, outFeatures: o, dropout: 0.4, seed: 5)
        for k in 0..<lora.a.count { lora.a[k] = rng.normal() * 0.5 }
        for k in 0..<lora.b.count { lora.b[k] = rng.normal() * 0.5 }
        lin.lora = lora
        let x = FloatBuffer((0..<(n * i)).map { _ in rng.normal() })
        let proj = (0..<(n * o)).map { _ in rng.normal() }  // loss = Σ y·proj
        func loss(seed: UInt64?, training: Bool) -> Double {
            let y = FloatBuffer(count: n * o)
            lin.forward(x.ptr, n: n, into: y.ptr, training: training, seed: seed)
            return zip(y.array, proj).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        // Inference: no dropout, whatever the seed.
        lora.a.grad!.zero()
        let plainLoRA = LoRA(rank: r, alpha: 6, rslora: false, inFeatures: i, outFeatures: o)
        plainLoRA.a.ptr.update(from: lora.a.ptr, count: lora.a.count)
        plainLoRA.b.ptr.update(from: lora.b.ptr, count: lora.b.count)
        let inference = loss(seed: nil, training: false)
        lin.lora = plainLoRA
        #expect(abs(loss(seed: nil, training: true) - inference) < 1e-9)
        lin.lora = lora
        // Training: the mask drops about 40% and replays from its seed.
        let trainA = loss(seed: 77, training: true), trainB = loss(seed: 77, training: true), other = loss(seed: 78, training: true)
        #expect(trainA == trainB && trainA != other && trainA != inference)
        // Backward against central differences in A, B and x, under the mask of seed 77.
        let y = FloatBuffer(count: n * o)
        let saved = lin.forward(x.ptr, n: n, into: y.ptr, training: true, seed: 77)
        let dy = FloatBuffer(proj), dx = FloatBuffer(count: n * i)
        lin.backward(dy.ptr, input: x.ptr, lora: saved, n: n, dx: dx.ptr)
        let eps: Float = 1e-2
        for (buf, grad) in [(lora.a, lora.gradA.array), (lora.b, lora.gradB.array), (x, dx.array)] {
            for k in 0..<buf.count {
                let keep = buf[k]
                buf[k] = keep + eps; let up = loss(seed: 77, training: true)
                buf[k] = keep - eps; let down = loss(seed: 77, training: true)
                buf[k] = keep
                let fd = (up - down) / Double(2 * eps)
                #expect(abs(fd - Double(grad[k])) <= 2e-3 * max(1, abs(fd)), "\(k): fd \(fd) vs \(grad[k])")
            }
        }
    }

    @Test("merging a LoRA into its weights gives the same logits; unmerging restores the weights")
    func mergeUnmerge() throws {
        let dir = fixture("models/llama-tiny")
        let m = try LlamaModel(directory: dir)
        try m.loadAdapter(directory: dir + "/adapter")
        let x = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        let before = m.weights.map { $0.buffer.array }
        let adapted = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: nil, backward: false).logits.array
        for l in m.linears { l.merge() }
        #expect(m.weights.map { $0.buffer.array } != before)
        let merged = try m.forward(ids: x.input_ids, mask: x.attention_mask, labels: nil, backward: false).logits.array
        #expect(relativeError(merged, adapted) < 1e-5)
        for l in m.linears { l.unmerge() }
        for (w, b) in zip(m.weights.map { $0.buffer.array }, before) { #expect(relativeError(w, b) < 1e-6) }
    }

    @Test("a sequence-classification adapter's modules_to_save head replaces the base's: logits match PEFT to 1e-4")
    func modulesToSave() throws {
        let dir = fixture("models/bert-tiny-cls")
        let m = try BertModel(directory: dir)
        let adapted = try m.loadAdapter(directory: dir + "/adapter-cls")
        #expect(adapted.contains("classifier.weight") && adapted.contains("classifier.bias"), "\(adapted)")
        let x = try JSONDecoder().decode(BertInputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
        let out = try m.forward(ids: x.input_ids, mask: x.attention_mask, tokenTypes: x.token_type_ids)
        let want = try SafetensorsFile(path: dir + "/expected_cls.safetensors").floats("logits")
        #expect(relativeError(try #require(out.logits).array, want) < 1e-4)
    }
}
