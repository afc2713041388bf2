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
        let index: Int
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
            return Layer(index: l, inputNorm: try load(p + "input_layernorm.weight", [c.hidden]),
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
    public var gradientCheckpointing = false
    /// Prompt or prefix tuning's virtual tokens, when active (see `addPromptTuning`).
    var promptLearning: VirtualTokens?
    private var ropeTable: Rope?

    /// The RoPE table for positions 0..<n, kept and grown (doubling) as longer inputs arrive:
    /// decoding one token must not recompute every earlier position's angles.
    func rope(positions n: Int) -> Rope {
        if let r = ropeTable, r.positions >= n { return r }
        let r = Rope(dim: config.headDim, positions: max(n, 2 * (ropeTable?.positions ?? 0), 256), theta: config.ropeTheta,
                     invFreq: config.ropeInvFreq)
        ropeTable = r
        return r
    }

    /// Every linear layer, by its Hugging Face module name.
    public var linears: [Linear] {
        layers.flatMap { [$0.q, $0.k, $0.v, $0.o, $0.gate, $0.up, $0.down] } + [lmHead]
    }

    public var weights: [NamedWeight] {
        let C = config.hidden
        var out = [NamedWeight("model.embed_tokens.weight", embed, [config.vocabSize, C])]
        for (l, L) in layers.enumerated() {
            out.append(NamedWeight("model.layers.\(l).input_layernorm.weight", L.inputNorm, [C]))
            out.append(NamedWeight("model.layers.\(l).post_attention_layernorm.weight", L.postNorm, [C]))
            for lin in [L.q, L.k, L.v, L.o, L.gate, L.up, L.down] { out += lin.namedWeights() }
        }
        out.append(NamedWeight("model.norm.weight", finalNorm, [C]))
        if lmHead.weight !== embed { out += lmHead.namedWeights() }
        return out
    }

    /// What one batch's pass shares across layers.
    struct Pass {
        /// t: rows per sequence through the layers, s: keys per sequence (t plus a prefix).
        let b: Int, t: Int, s: Int, n: Int
        let positions: [Int]
        let keyMask: [Int32]
        let rope: Rope
        let scale: Float
        let training: Bool
        let virtual: VirtualBatch
    }

    /// One decoder layer's activations, as its backward needs them.
    struct Saved {
        /// k, v: [B, S, G, D], prefix keys and values included.
        var h1, rstd1, q, k, v, probs, attn, xMid, h2, rstd2, g, u, a: FloatBuffer
        var lora: [LoRASaved?]  // q, k, v, o, gate, up, down
    }

    /// One decoder layer: returns its output and, when `save`, its activations. `seeds`
    /// replays recorded LoRA dropout masks.
    func layerForward(_ L: Layer, _ x: FloatBuffer, _ p: Pass, save: Bool, seeds: [UInt64]? = nil) -> (FloatBuffer, Saved?, [UInt64]) {
        let c = config, n = p.n, C = c.hidden, H = c.heads, G = c.kvHeads, D = c.headDim, F = c.intermediate
        let h1 = FloatBuffer(count: n * C), rstd1 = FloatBuffer(count: n)
        Kernels.rmsNorm(x.ptr, L.inputNorm.ptr, h1.ptr, rstd: rstd1.ptr, n: n, c: C, eps: c.rmsEps)
        let q = FloatBuffer(count: n * H * D), k = FloatBuffer(count: n * G * D), v = FloatBuffer(count: n * G * D)
        func run(_ lin: Linear, _ i: Int, _ input: FloatBuffer, _ out: FloatBuffer) -> LoRASaved? {
            lin.forward(input.ptr, n: n, into: out.ptr, training: p.training, seed: seeds?[i])
        }
        let sq = run(L.q, 0, h1, q), sk = run(L.k, 1, h1, k), sv = run(L.v, 2, h1, v)
        p.rope.apply(q.ptr, rows: n, heads: H, positions: p.positions)
        p.rope.apply(k.ptr, rows: n, heads: G, positions: p.positions)
        // Prefix tuning: the layer's prefix keys and values go in front, not rotated (transformers
        // rotates only the new keys before appending them to the cache PEFT fills).
        let kAll = p.virtual.withPrefix(k, layer: L.index, slot: 0, w: G * D), vAll = p.virtual.withPrefix(v, layer: L.index, slot: 1, w: G * D)
        let attn = FloatBuffer(count: n * H * D), probs = FloatBuffer(count: p.b * H * p.t * p.s)
        Attention.forward(q: q.ptr, k: kAll.ptr, v: vAll.ptr, out: attn.ptr, probs: probs.ptr, b: p.b, t: p.t, s: p.s, h: H, g: G, d: D,
                          causal: true, keyMask: p.keyMask, scale: p.scale)
        let xMid = FloatBuffer(count: n * C)
        let so = run(L.o, 3, attn, xMid)
        Kernels.add(xMid.ptr, x.ptr, count: n * C)
        let h2 = FloatBuffer(count: n * C), rstd2 = FloatBuffer(count: n)
        Kernels.rmsNorm(xMid.ptr, L.postNorm.ptr, h2.ptr, rstd: rstd2.ptr, n: n, c: C, eps: c.rmsEps)
        let g = FloatBuffer(count: n * F), u = FloatBuffer(count: n * F), a = FloatBuffer(count: n * F)
        let sg = run(L.gate, 4, h2, g), su = run(L.up, 5, h2, u)
        Kernels.swiglu(g.ptr, u.ptr, a.ptr, count: n * F)
        let xOut = FloatBuffer(count: n * C)
        let sd = run(L.down, 6, a, xOut)
        Kernels.add(xOut.ptr, xMid.ptr, count: n * C)
        let lora = [sq, sk, sv, so, sg, su, sd]
        let usedSeeds = lora.map { $0?.seed ?? 0 }
        guard save else { return (xOut, nil, usedSeeds) }
        return (xOut, Saved(h1: h1, rstd1: rstd1, q: q, k: kAll, v: vAll, probs: probs, attn: attn, xMid: xMid, h2: h2, rstd2: rstd2,
                            g: g, u: u, a: a, lora: lora), usedSeeds)
    }

    /// One decoder layer's backward: `dres` holds the gradient of its output and becomes the
    /// gradient of its input `xIn`; parameter gradients are added.
    func layerBackward(_ L: Layer, _ s: Saved, xIn: FloatBuffer, dres: FloatBuffer, _ p: Pass) {
        let c = config, n = p.n, C = c.hidden, H = c.heads, G = c.kvHeads, D = c.headDim, F = c.intermediate
        let tmp = FloatBuffer(count: n * C)
        // MLP
        let da = FloatBuffer(count: n * F), dg = FloatBuffer(count: n * F), du = FloatBuffer(count: n * F)
        L.down.backward(dres.ptr, input: s.a.ptr, lora: s.lora[6], n: n, dx: da.ptr)
        Kernels.swigluBackward(da.ptr, s.g.ptr, s.u.ptr, dgate: dg.ptr, dup: du.ptr, count: n * F)
        let dh2 = FloatBuffer(count: n * C)
        L.gate.backward(dg.ptr, input: s.h2.ptr, lora: s.lora[4], n: n, dx: dh2.ptr)
        L.up.backward(du.ptr, input: s.h2.ptr, lora: s.lora[5], n: n, dx: dh2.ptr, accumulate: true)
        Kernels.rmsNormBackward(dh2.ptr, s.xMid.ptr, L.postNorm.ptr, rstd: s.rstd2.ptr, dx: tmp.ptr, dw: L.postNorm.grad?.ptr, n: n, c: C)
        Kernels.add(dres.ptr, tmp.ptr, count: n * C)
        // Attention
        let dattn = FloatBuffer(count: n * H * D)
        L.o.backward(dres.ptr, input: s.attn.ptr, lora: s.lora[3], n: n, dx: dattn.ptr)
        let keys = p.b * p.s * G * D
        let dq = FloatBuffer(count: n * H * D), dkAll = FloatBuffer(count: keys), dvAll = FloatBuffer(count: keys)
        Attention.backward(dout: dattn.ptr, q: s.q.ptr, k: s.k.ptr, v: s.v.ptr, probs: s.probs.ptr, dq: dq.ptr, dk: dkAll.ptr, dv: dvAll.ptr,
                           b: p.b, t: p.t, s: p.s, h: H, g: G, d: D, causal: true, keyMask: p.keyMask, scale: p.scale)
        let dk = p.virtual.prefixBackward(dkAll, layer: L.index, slot: 0, w: G * D)
        let dv = p.virtual.prefixBackward(dvAll, layer: L.index, slot: 1, w: G * D)
        p.rope.apply(dq.ptr, rows: n, heads: H, positions: p.positions, inverse: true)
        p.rope.apply(dk.ptr, rows: n, heads: G, positions: p.positions, inverse: true)
        let dh1 = FloatBuffer(count: n * C)
        L.q.backward(dq.ptr, input: s.h1.ptr, lora: s.lora[0], n: n, dx: dh1.ptr)
        L.k.backward(dk.ptr, input: s.h1.ptr, lora: s.lora[1], n: n, dx: dh1.ptr, accumulate: true)
        L.v.backward(dv.ptr, input: s.h1.ptr, lora: s.lora[2], n: n, dx: dh1.ptr, accumulate: true)
        Kernels.rmsNormBackward(dh1.ptr, xIn.ptr, L.inputNorm.ptr, rstd: s.rstd1.ptr, dx: tmp.ptr, dw: L.inputNorm.grad?.ptr, n: n, c: C)
        Kernels.add(dres.ptr, tmp.ptr, count: n * C)
    }

    /// Runs the model on a batch. `mask` 0 marks padding keys; `labels` (same shape as ids,
    /// −100 = ignore) are shifted as transformers shifts them. With `backward` (a training
    /// pass: LoRA dropout acts), the loss's gradient is added into every trainable buffer.
    ///
    /// With virtual tokens (prompt or prefix tuning) the real tokens sit at positions P..<P+T
    /// and the logits returned are the real tokens' only, [B, T, V] (PEFT's prompt tuning
    /// returns P more positions in front). Under prompt tuning the loss is PEFT's: labels get
    /// P × −100 in front, so the last virtual token predicts the first label when it is not −100.
    public func forward(ids: [[Int]], mask: [[Int]]? = nil, labels: [[Int]]? = nil, backward: Bool = false) throws -> CausalLMOutput {
        let c = config
        let (b, _) = try checkBatch(ids: ids, mask: mask, labels: labels, vocab: c.vocabSize, backward: backward)
        let vb = VirtualBatch(promptLearning, ids: ids, mask: mask, labels: labels)
        let t = vb.rows, n = b * t, C = c.hidden, V = c.vocabSize
        let p = Pass(b: b, t: t, s: vb.keys, n: n, positions: (0..<n).map(vb.position), keyMask: vb.keyMask,
                     rope: rope(positions: vb.keys),
                     scale: 1 / Float(c.headDim).squareRoot(), training: backward, virtual: vb)
        let flatIds = Array(ids.joined())

        // Embedding lookup (after prompt tuning's virtual rows): the residual stream.
        var x = FloatBuffer(count: n * C)
        vb.fillLead(x, c: C)
        for (i, id) in flatIds.enumerated() { (x.ptr + vb.row(i / vb.t, i % vb.t) * C).update(from: embed.ptr + id * C, count: C) }
        var stack = LayerStack(layers) { self.layerForward($0, $1, p, save: $2, seeds: $3) }
        x = stack.run(x, backward: backward, checkpointing: gradientCheckpointing)
        let xf = FloatBuffer(count: n * C), rstdF = FloatBuffer(count: n)
        Kernels.rmsNorm(x.ptr, finalNorm.ptr, xf.ptr, rstd: rstdF.ptr, n: n, c: C, eps: c.rmsEps)
        let logits = FloatBuffer(count: n * V)
        let headLoRA = lmHead.forward(xf.ptr, n: n, into: logits.ptr, training: backward)

        let realLogits = vb.realLogits(logits, v: V)
        guard let labels = vb.labels else { return CausalLMOutput(logits: realLogits, loss: nil, labelledTokens: 0) }
        let (loss, counted, dlogits) = try causalLoss(logits: logits, labels: labels, b: b, t: t, v: V, backward: backward)
        guard let dlogits else { return CausalLMOutput(logits: realLogits, loss: loss, labelledTokens: counted) }

        // Backward, last layer first. `dres` is the gradient of the residual stream.
        let dxf = FloatBuffer(count: n * C), dres = FloatBuffer(count: n * C)
        lmHead.backward(dlogits.ptr, input: xf.ptr, lora: headLoRA, n: n, dx: dxf.ptr)
        Kernels.rmsNormBackward(dxf.ptr, x.ptr, finalNorm.ptr, rstd: rstdF.ptr, dx: dres.ptr, dw: finalNorm.grad?.ptr, n: n, c: C)
        stack.backward { layerBackward($0, $1, xIn: $2, dres: dres, p) }
        vb.leadBackward(dres, c: C)
        if let dEmbed = embed.grad { Kernels.embeddingBackward(vb.realRows(dres, c: C).ptr, ids: flatIds, dTable: dEmbed.ptr, c: C) }
        return CausalLMOutput(logits: realLogits, loss: loss, labelledTokens: counted)
    }
}

extension LlamaModel: VirtualTokenHost {
    var virtualTokenShape: VirtualTokenShape {
        VirtualTokenShape(hidden: config.hidden, layers: config.layers, heads: config.heads, kvHeads: config.kvHeads, headDim: config.headDim)
    }
    var tokenEmbedding: FloatBuffer { embed }
}
