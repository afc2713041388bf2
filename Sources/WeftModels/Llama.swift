// Shapes: B batch, T time, N = B·T rows, C hidden, F intermediate, V vocab,
// H heads, G key/value heads, D head dim.
import Foundation
import WeftTensor

/// `LlamaForCausalLM` (and Mistral, Qwen2): RMSNorm, RoPE, grouped-query attention, SwiGLU,
/// tied or untied embeddings. Forward, and backward by hand layer by layer (llm.c style): the
/// forward pass keeps what each backward step needs, nothing else.
public final class LlamaModel: CausalLM, @unchecked Sendable {
    public let config: LlamaConfig
    let embed: FloatBuffer  // [V, C]
    let finalNorm: FloatBuffer
    public let lmHead: Linear
    let layers: [Layer]

    struct Layer {
        let inputNorm: FloatBuffer, postNorm: FloatBuffer
        let q: Linear, k: Linear, v: Linear, o: Linear
        let gate: Linear, up: Linear, down: Linear
    }

    /// Loads `config.json` and the safetensors weights, checking every shape against the config.
    public convenience init(directory: String) throws {
        let c = try LlamaConfig.load(directory: directory)
        let ck: SafetensorsCheckpoint
        do { ck = try SafetensorsCheckpoint(directory: directory) } catch { throw ModelError("\(error)") }
        try self.init(config: c, hasHead: !c.tiedEmbeddings && ck.names.contains("lm_head.weight")) { name, shape in
            do { return FloatBuffer(try ck.tensor(name, expect: shape).data) } catch { throw ModelError("\(error)") }
        }
    }

    /// A model of this shape with seeded random weights (normal, std 0.02; norms at 1), as the
    /// benchmarks and `pretrain` start from.
    public convenience init(config c: LlamaConfig, seed: UInt64) throws {
        var rng = SplitMix(seed)
        try self.init(config: c, hasHead: !c.tiedEmbeddings) { name, shape in
            let n = shape.reduce(1, *)
            if name.hasSuffix("norm.weight") { return FloatBuffer([Float](repeating: 1, count: n)) }
            if name.hasSuffix(".bias") { return FloatBuffer(count: n) }
            return FloatBuffer((0..<n).map { _ in rng.normal() * 0.02 })
        }
    }

    /// Builds the layers from `load(name, shape)`.
    init(config c: LlamaConfig, hasHead: Bool, load: (String, [Int]) throws -> FloatBuffer) throws {
        config = c
        func linear(_ name: String, _ i: Int, _ o: Int, bias: Bool = false) throws -> Linear {
            Linear(name: name, weight: try load(name + ".weight", [o, i]), bias: bias ? try load(name + ".bias", [o]) : nil,
                   inFeatures: i, outFeatures: o)
        }
        embed = try load("model.embed_tokens.weight", [c.vocabSize, c.hidden])
        finalNorm = try load("model.norm.weight", [c.hidden])
        let qd = c.heads * c.headDim, kvd = c.kvHeads * c.headDim
        layers = try (0..<c.layers).map { l in
            let p = "model.layers.\(l)."
            return Layer(inputNorm: try load(p + "input_layernorm.weight", [c.hidden]),
                         postNorm: try load(p + "post_attention_layernorm.weight", [c.hidden]),
                         q: try linear(p + "self_attn.q_proj", c.hidden, qd, bias: c.attentionBias),
                         k: try linear(p + "self_attn.k_proj", c.hidden, kvd, bias: c.attentionBias),
                         v: try linear(p + "self_attn.v_proj", c.hidden, kvd, bias: c.attentionBias),
                         o: try linear(p + "self_attn.o_proj", qd, c.hidden),
                         gate: try linear(p + "mlp.gate_proj", c.hidden, c.intermediate),
                         up: try linear(p + "mlp.up_proj", c.hidden, c.intermediate),
                         down: try linear(p + "mlp.down_proj", c.intermediate, c.hidden))
        }
        lmHead = hasHead ? try linear("lm_head", c.hidden, c.vocabSize)
                         : Linear(name: "lm_head", weight: embed, bias: nil, inFeatures: c.hidden, outFeatures: c.vocabSize)
    }

    public var vocabSize: Int { config.vocabSize }

    /// Every linear layer, by its Hugging Face module name.
    public var linears: [Linear] {
        layers.flatMap { [$0.q, $0.k, $0.v, $0.o, $0.gate, $0.up, $0.down] } + [lmHead]
    }

    /// Runs the model on a batch. `mask` 0 marks padding keys; `labels` (same shape as ids,
    /// −100 = ignore) are shifted as transformers shifts them. With `backward`, the loss's
    /// gradient is added into every trainable buffer (LoRA matrices, trainable weights).
    public func forward(ids: [[Int]], mask: [[Int]]? = nil, labels: [[Int]]? = nil, backward: Bool = false) throws -> CausalLMOutput {
        let c = config
        let (b, t) = try checkBatch(ids: ids, mask: mask, labels: labels, vocab: c.vocabSize, backward: backward)
        let n = b * t, C = c.hidden, H = c.heads, G = c.kvHeads, D = c.headDim, F = c.intermediate, V = c.vocabSize
        let positions = (0..<n).map { $0 % t }
        let keyMask = keyMaskFrom(mask, ids: ids)
        let rope = Rope(dim: D, positions: t, theta: c.ropeTheta, invFreq: c.ropeInvFreq)
        let scale = 1 / Float(D).squareRoot()

        // Embedding lookup: the residual stream.
        var x = FloatBuffer(count: n * C)
        for (r, id) in ids.joined().enumerated() { (x.ptr + r * C).update(from: embed.ptr + id * C, count: C) }

        struct Saved {
            var xIn, h1, rstd1, q, k, v, probs, attn, xMid, h2, rstd2, g, u, a: FloatBuffer
            var xaQ, xaK, xaV, xaO, xaG, xaU, xaD: FloatBuffer?
        }
        var saved: [Saved] = []
        for L in layers {
            let h1 = FloatBuffer(count: n * C), rstd1 = FloatBuffer(count: n)
            Kernels.rmsNorm(x.ptr, L.inputNorm.ptr, h1.ptr, rstd: rstd1.ptr, n: n, c: C, eps: c.rmsEps)
            let q = FloatBuffer(count: n * H * D), k = FloatBuffer(count: n * G * D), v = FloatBuffer(count: n * G * D)
            let xaQ = L.q.forward(h1.ptr, n: n, into: q.ptr), xaK = L.k.forward(h1.ptr, n: n, into: k.ptr), xaV = L.v.forward(h1.ptr, n: n, into: v.ptr)
            rope.apply(q.ptr, rows: n, heads: H, positions: positions)
            rope.apply(k.ptr, rows: n, heads: G, positions: positions)
            let attn = FloatBuffer(count: n * H * D), probs = FloatBuffer(count: b * H * t * t)
            Attention.forward(q: q.ptr, k: k.ptr, v: v.ptr, out: attn.ptr, probs: probs.ptr, b: b, t: t, s: t, h: H, g: G, d: D,
                              causal: true, keyMask: keyMask, scale: scale)
            let xMid = FloatBuffer(count: n * C)
            let xaO = L.o.forward(attn.ptr, n: n, into: xMid.ptr)
            for i in 0..<(n * C) { xMid.ptr[i] += x.ptr[i] }
            let h2 = FloatBuffer(count: n * C), rstd2 = FloatBuffer(count: n)
            Kernels.rmsNorm(xMid.ptr, L.postNorm.ptr, h2.ptr, rstd: rstd2.ptr, n: n, c: C, eps: c.rmsEps)
            let g = FloatBuffer(count: n * F), u = FloatBuffer(count: n * F), a = FloatBuffer(count: n * F)
            let xaG = L.gate.forward(h2.ptr, n: n, into: g.ptr), xaU = L.up.forward(h2.ptr, n: n, into: u.ptr)
            Kernels.swiglu(g.ptr, u.ptr, a.ptr, count: n * F)
            let xOut = FloatBuffer(count: n * C)
            let xaD = L.down.forward(a.ptr, n: n, into: xOut.ptr)
            for i in 0..<(n * C) { xOut.ptr[i] += xMid.ptr[i] }
            if backward {
                saved.append(Saved(xIn: x, h1: h1, rstd1: rstd1, q: q, k: k, v: v, probs: probs, attn: attn, xMid: xMid, h2: h2,
                                   rstd2: rstd2, g: g, u: u, a: a, xaQ: xaQ, xaK: xaK, xaV: xaV, xaO: xaO, xaG: xaG, xaU: xaU, xaD: xaD))
            }
            x = xOut
        }
        let xf = FloatBuffer(count: n * C), rstdF = FloatBuffer(count: n)
        Kernels.rmsNorm(x.ptr, finalNorm.ptr, xf.ptr, rstd: rstdF.ptr, n: n, c: C, eps: c.rmsEps)
        let logits = FloatBuffer(count: n * V)
        let xaHead = lmHead.forward(xf.ptr, n: n, into: logits.ptr)

        guard let labels else { return CausalLMOutput(logits: logits, loss: nil, labelledTokens: 0) }
        let (loss, counted, dlogits) = try causalLoss(logits: logits, labels: labels, b: b, t: t, v: V, backward: backward)
        guard let dlogits else { return CausalLMOutput(logits: logits, loss: loss, labelledTokens: counted) }

        // Backward, last layer first. `dres` is the gradient of the residual stream.
        let dxf = FloatBuffer(count: n * C), dres = FloatBuffer(count: n * C)
        lmHead.backward(dlogits.ptr, input: xf.ptr, xa: xaHead, n: n, dx: dxf.ptr)
        Kernels.rmsNormBackward(dxf.ptr, x.ptr, finalNorm.ptr, rstd: rstdF.ptr, dx: dres.ptr, dw: nil, n: n, c: C)
        let tmp = FloatBuffer(count: n * C)
        for (L, s) in zip(layers, saved).reversed() {
            // MLP
            let da = FloatBuffer(count: n * F), dg = FloatBuffer(count: n * F), du = FloatBuffer(count: n * F)
            L.down.backward(dres.ptr, input: s.a.ptr, xa: s.xaD, n: n, dx: da.ptr)
            Kernels.swigluBackward(da.ptr, s.g.ptr, s.u.ptr, dgate: dg.ptr, dup: du.ptr, count: n * F)
            let dh2 = FloatBuffer(count: n * C)
            L.gate.backward(dg.ptr, input: s.h2.ptr, xa: s.xaG, n: n, dx: dh2.ptr)
            L.up.backward(du.ptr, input: s.h2.ptr, xa: s.xaU, n: n, dx: dh2.ptr, accumulate: true)
            Kernels.rmsNormBackward(dh2.ptr, s.xMid.ptr, L.postNorm.ptr, rstd: s.rstd2.ptr, dx: tmp.ptr, dw: nil, n: n, c: C)
            for i in 0..<(n * C) { dres.ptr[i] += tmp.ptr[i] }
            // Attention
            let dattn = FloatBuffer(count: n * H * D)
            L.o.backward(dres.ptr, input: s.attn.ptr, xa: s.xaO, n: n, dx: dattn.ptr)
            let dq = FloatBuffer(count: n * H * D), dk = FloatBuffer(count: n * G * D), dv = FloatBuffer(count: n * G * D)
            Attention.backward(dout: dattn.ptr, q: s.q.ptr, k: s.k.ptr, v: s.v.ptr, probs: s.probs.ptr, dq: dq.ptr, dk: dk.ptr, dv: dv.ptr,
                               b: b, t: t, s: t, h: H, g: G, d: D, causal: true, keyMask: keyMask, scale: scale)
            rope.apply(dq.ptr, rows: n, heads: H, positions: positions, inverse: true)
            rope.apply(dk.ptr, rows: n, heads: G, positions: positions, inverse: true)
            let dh1 = FloatBuffer(count: n * C)
            L.q.backward(dq.ptr, input: s.h1.ptr, xa: s.xaQ, n: n, dx: dh1.ptr)
            L.k.backward(dk.ptr, input: s.h1.ptr, xa: s.xaK, n: n, dx: dh1.ptr, accumulate: true)
            L.v.backward(dv.ptr, input: s.h1.ptr, xa: s.xaV, n: n, dx: dh1.ptr, accumulate: true)
            Kernels.rmsNormBackward(dh1.ptr, s.xIn.ptr, L.inputNorm.ptr, rstd: s.rstd1.ptr, dx: tmp.ptr, dw: nil, n: n, c: C)
            for i in 0..<(n * C) { dres.ptr[i] += tmp.ptr[i] }
        }
        return CausalLMOutput(logits: logits, loss: loss, labelledTokens: counted)
    }
}
