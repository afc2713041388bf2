import Foundation
import Testing
import WeftTensor
@testable import WeftModels

/// QLoRA: a base quantised NF4 (bitsandbytes layout) or int8 runs exactly as an fp32 model whose
/// weights were replaced by the dequantised values.
@Suite("QLoRA: quantised frozen base")
struct QLoRATests {
    let dir = fixture("models/llama-tiny")

    func inputs() throws -> Inputs {
        try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/inputs.json")))
    }

    /// A quantised model and an fp32 twin holding its dequantised weights, both with the same LoRA.
    func pair(_ method: BaseQuantization) throws -> (LlamaModel, LlamaModel, QuantizationReport) {
        let q = try LlamaModel(directory: dir), f = try LlamaModel(directory: dir)
        let report = try q.quantizeBase(method)
        for l in q.linears where l.quantized != nil {
            try f.assignWeight(l.name + ".weight", Tensor(shape: [l.outFeatures, l.inFeatures], data: l.weightValues()), file: "test")
        }
        for m in [q, f] {
            _ = try m.addLoRA(targets: LoRATargets(["q_proj", "v_proj", "down_proj", "gate_proj"]), rank: 4, alpha: 8, seed: 3)
            // B starts at zero; give it values so the LoRA path and every gradient are exercised
            for l in m.linears { if let lora = l.lora { for k in 0..<lora.b.count { lora.b[k] = 0.01 * Float(k % 7 - 3) } } }
        }
        return (q, f, report)
    }

    @Test("logits and LoRA gradients equal the fp32 model on dequantised weights (≤1e-5)",
          arguments: [BaseQuantization.nf4(), .nf4(blocksize: 128, doubleQuant: false), .int8])
    func equalsDequantisedFp32(_ method: BaseQuantization) throws {
        let (q, f, report) = try pair(method)
        #expect(report.layers.count == 14 && !report.layers.contains("lm_head"))
        let x = try inputs()
        let oq = try q.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
        let of = try f.forward(ids: x.input_ids, mask: x.attention_mask, labels: x.labels, backward: true)
        let dl = zip(oq.logits.array, of.logits.array).map { abs($0 - $1) }.max() ?? .nan
        #expect(dl <= 1e-5, "max |Δlogit| \(dl)")
        #expect(abs((oq.loss ?? .nan) - (of.loss ?? .nan)) <= 1e-5)
        for (lq, lf) in zip(q.linears, f.linears) {
            guard let a = lq.lora, let b = lf.lora else { continue }
            #expect(relativeError(a.gradA.array, b.gradA.array) <= 1e-5, "\(lq.name) dA")
            #expect(relativeError(a.gradB.array, b.gradB.array) <= 1e-5, "\(lq.name) dB")
        }
    }

    @Test("the report and the memory figure: NF4 ≤ 0.6 bytes/param, the fp32 buffers released")
    func reportAndMemory() throws {
        let m = try LlamaModel(directory: dir)
        let before = m.baseMemory()
        let largest = m.linears.filter { $0.name != "lm_head" }.flatMap { $0.weight.array }.map(abs).max() ?? 0
        let r = try m.quantizeBase(.nf4())
        let params = m.linears.filter { $0.name != "lm_head" }.reduce(0) { $0 + $1.inFeatures * $1.outFeatures }
        #expect(r.parameters == params)
        #expect(r.bytesPerParameter > 0.5 && r.bytesPerParameter <= 0.6, "\(r.bytesPerParameter)")
        // NF4's widest gap between codes is 0.30 (−1 to −0.70): the error stays below 0.16 of a block's absmax
        #expect(r.maxAbsError > 0 && r.maxAbsError < 0.16 * largest, "\(r.maxAbsError) vs max |W| \(largest)")
        let after = m.baseMemory()
        #expect(after.quantizedParameters == params && after.quantizedBytes == r.bytes)
        #expect(after.fp32Bytes == before.fp32Bytes - 4 * params)
        #expect(m.linears.allSatisfy { $0.quantized == nil || $0.weight.count == 0 })
        // int8: one byte per value plus a row scale
        let m8 = try LlamaModel(directory: dir)
        let r8 = try m8.quantizeBase(.int8)
        #expect(r8.bytesPerParameter > 1 && r8.bytesPerParameter < 1.2)
    }

    @Test("a tied lm_head is never quantised, even when chosen")
    func tiedWeightStaysFp32() throws {
        let m = try LlamaModel(directory: fixture("models/llama3-rope-tied"))
        let r = try m.quantizeBase(.nf4()) { _ in true }
        #expect(r.skippedTied == ["lm_head"] && m.lmHead.quantized == nil)
        #expect(!r.layers.isEmpty)
    }

    @Test("weights lists fp32 weights only; fullWeights gives every checkpoint tensor, dequantised; dequantizeBase restores fp32")
    func weightsForWriting() throws {
        let m = try LlamaModel(directory: dir)
        let names = Set(m.weights.map(\.name))
        try m.quantizeBase(.nf4())
        #expect(!m.weights.contains { $0.name.hasSuffix("q_proj.weight") })
        let full = m.fullWeights()
        #expect(Set(full.map(\.name)) == names)
        let q0 = m.linears[0]
        let listed = try #require(full.first { $0.name == q0.name + ".weight" })
        #expect(listed.buffer.array == q0.weightValues() && listed.shape == [q0.outFeatures, q0.inFeatures])
        m.dequantizeBase()
        #expect(Set(m.weights.map(\.name)) == names && m.linears.allSatisfy { $0.quantized == nil })
        #expect(m.linears[0].weight.array == listed.buffer.array)
    }

    @Test("merge on a quantised layer writes dequant(W) + scale·B·A into an fp32 weight")
    func mergeFromQuantisedBase() throws {
        let (q, f, _) = try pair(.nf4())
        for l in q.linears { l.merge() }
        for l in f.linears { l.merge() }
        for (lq, lf) in zip(q.linears, f.linears) where lq.lora != nil {
            #expect(lq.quantized == nil && lq.weight.array == lf.weight.array, "\(lq.name)")
        }
        #expect(q.linears.filter { $0.lora == nil && $0.name != "lm_head" }.allSatisfy { $0.quantized != nil })
    }

    @Test("tiled products equal BLAS on the dequantised matrix for shapes that cut blocks and rows")
    func tiledProducts() throws {
        let (n, i, o) = (5, 100, 37)
        var rng = SplitMix(9)
        let w = (0..<(o * i)).map { _ in rng.normal() }, x = (0..<(n * i)).map { _ in rng.normal() }
        let dy = (0..<(n * o)).map { _ in rng.normal() }
        for q in [QuantizedWeight.nf4(try NF4.quantize(w, shape: [o, i], blocksize: 64)), .int8(try Int8Rowwise.quantize(w, shape: [o, i]))] {
            let d = q.dequantized()
            var yRef = [Float](repeating: 0, count: n * o), dxRef = [Float](repeating: 0, count: n * i)
            BLAS.gemm(x, d, &yRef, m: n, n: o, k: i, transB: true)
            BLAS.gemm(dy, d, &dxRef, m: n, n: i, k: o)
            for tile in [100, 700, 1 << 16] {
                var y = [Float](repeating: 0, count: n * o), dx = [Float](repeating: 1, count: n * i)
                QuantizedMatmul.forward(x, q, nil, &y, n: n, i: i, o: o, tile: tile)
                QuantizedMatmul.backwardInput(dy, q, &dx, n: n, i: i, o: o, accumulate: true, tile: tile)
                #expect(relativeError(y, yRef) <= 1e-6, "tile \(tile)")
                #expect(relativeError(dx.map { $0 - 1 }, dxRef) <= 1e-5, "tile \(tile)")
            }
            var part = [Float](repeating: .nan, count: 3 * 20)
            q.dequantize(rows: 4..<7, cols: 33..<53, into: &part, ld: 20)
            #expect((0..<3).allSatisfy { r in Array(part[(r * 20)..<(r * 20 + 20)]) == Array(d[((4 + r) * i + 33)..<((4 + r) * i + 53)]) })
        }
    }

    @Test("errors: a trainable weight, a bad block size")
    func errors() throws {
        let m = try LlamaModel(directory: dir)
        m.setTrainable { $0.contains("q_proj") }
        #expect(throws: ModelError.self) { try m.quantizeBase(.nf4()) }
        let m2 = try LlamaModel(directory: dir)
        do { try m2.quantizeBase(.nf4(blocksize: 48)); Issue.record("no error") } catch let e as ModelError {
            #expect(e.description.contains("blocksize 48") && e.description.contains("64"))
        }
    }
}
