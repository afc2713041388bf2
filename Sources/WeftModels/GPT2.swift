// Shapes: B batch, T time, N = B·T rows, C hidden, F = 4C inner, V vocab, P positions,
// H heads, D = C/H head dim.
import Foundation
import WeftTensor

/// `GPT2LMHeadModel`'s `config.json`.
public struct GPT2Config: Sendable {
    public var vocabSize: Int, positions: Int, hidden: Int, layers: Int, heads: Int, inner: Int
    public var eps: Float

    public init(vocabSize: Int, positions: Int, hidden: Int, layers: Int, heads: Int, inner: Int? = nil, eps: Float = 1e-5) {
        self.vocabSize = vocabSize
        self.positions = positions
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.inner = inner ?? 4 * hidden
        self.eps = eps
    }

    public static func load(directory: String) throws -> GPT2Config {
        let path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path),
              let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError("\(directory): no readable config.json")
        }
        func int(_ k: String) throws -> Int {
            guard let v = j[k] as? Int else { throw ModelError("\(path): '\(k)' missing or not an integer") }
            return v
        }
        let c = try int("n_embd")
        if let act = j["activation_function"] as? String, act != "gelu_new" {
            throw ModelError("\(path): activation_function '\(act)' is not supported (GPT-2 uses gelu_new)")
        }
        return GPT2Config(vocabSize: try int("vocab_size"), positions: try int("n_positions"), hidden: c, layers: try int("n_layer"),
                          heads: try int("n_head"), inner: j["n_inner"] as? Int ?? 4 * c,
                          eps: Float(j["layer_norm_epsilon"] as? Double ?? 1e-5))
    }
}

/// GPT-2: learned positions, pre-LayerNorm blocks, GELU (tanh), fused q/k/v, Conv1D weights
/// (stored [in, out] in the checkpoint; transposed on load to the [out, in] every Linear uses),
/// output head tied to the token embedding.
public final class GPT2Model: CausalLM, @unchecked Sendable {
    public let config: GPT2Config
    let wte: FloatBuffer, wpe: FloatBuffer
    let lnF: (FloatBuffer, FloatBuffer)
    public let lmHead: Linear
    let blocks: [Block]
    /// `transformer.` when the checkpoint was saved from GPT2LMHeadModel.
    let prefix: String

    struct Block {
        let index: Int
        let ln1: (FloatBuffer, FloatBuffer), ln2: (FloatBuffer, FloatBuffer)
        let attn: Linear, proj: Linear, fc: Linear, out: Linear
    }

    public convenience init(directory: String) throws {
        let c = try GPT2Config.load(directory: directory)
        let ck: SafetensorsCheckpoint
        do { ck = try SafetensorsCheckpoint(directory: directory) } catch { throw ModelError("\(error)") }
        // Checkpoints saved from GPT2LMHeadModel prefix names with `transformer.`; GPT2Model's do not.
        let prefix = ck.names.contains("transformer.wte.weight") ? "transformer." : ""
        try self.init(config: c, prefix: prefix) { name, shape in
            do { return FloatBuffer(try ck.tensor(name, expect: shape).data) } catch { throw ModelError("\(error)") }
        }
    }

    /// A model of this shape with seeded random weights (normal, std 0.02; LayerNorms at 1 and 0).
    public convenience init(config c: GPT2Config, seed: UInt64) throws {
        var rng = SplitMix(seed)
        try self.init(config: c, prefix: "transformer.") { name, shape in
            let n = shape.reduce(1, *)
            if name.contains("ln_") && name.hasSuffix(".weight") { return FloatBuffer([Float](repeating: 1, count: n)) }
            if name.hasSuffix(".bias") { return FloatBuffer(count: n) }
            return FloatBuffer((0..<n).map { _ in rng.normal() * 0.02 })
        }
    }

    /// Builds the blocks from `load(checkpoint name, checkpoint shape)`.
    init(config c: GPT2Config, prefix: String, load: (String, [Int]) throws -> FloatBuffer) throws {
        config = c
        self.prefix = prefix
        func conv1d(_ name: String, _ i: Int, _ o: Int) throws -> Linear {
            let w = try load(prefix + name + ".weight", [i, o])
            let t = FloatBuffer(count: i * o)
            for r in 0..<i { for col in 0..<o { t[col * i + r] = w[r * o + col] } }
            return Linear(name: prefix + name, weight: t, bias: try load(prefix + name + ".bias", [o]), inFeatures: i, outFeatures: o)
        }
        func ln(_ name: String) throws -> (FloatBuffer, FloatBuffer) {
            (try load(prefix + name + ".weight", [c.hidden]), try load(prefix + name + ".bias", [c.hidden]))
        }
        wte = try load(prefix + "wte.weight", [c.vocabSize, c.hidden])
        wpe = try load(prefix + "wpe.weight", [c.positions, c.hidden])
        lnF = try ln("ln_f")
        blocks = try (0..<c.layers).map { l in
            let p = "h.\(l)."
            return Block(index: l, ln1: try ln(p + "ln_1"), ln2: try ln(p + "ln_2"),
                         attn: try conv1d(p + "attn.c_attn", c.hidden, 3 * c.hidden), proj: try conv1d(p + "attn.c_proj", c.hidden, c.hidden),
                         fc: try conv1d(p + "mlp.c_fc", c.hidden, c.inner), out: try conv1d(p + "mlp.c_proj", c.inner, c.hidden))
        }
        lmHead = Linear(name: "lm_head", weight: wte, bias: nil, inFeatures: c.hidden, outFeatures: c.vocabSize)
    }

    public var vocabSize: Int { config.vocabSize }
    public var gradientCheckpointing = false
    /// Prompt or prefix tuning's virtual tokens, when active (see `addPromptTuning`).
    var promptLearning: VirtualTokens?

    /// Every linear layer by module name (`transformer.h.0.attn.c_attn`, ...), the head last.
    public var linears: [Linear] { blocks.flatMap { [$0.attn, $0.proj, $0.fc, $0.out] } + [lmHead] }

    public var weights: [NamedWeight] {
        let C = config.hidden, pre = prefix
        func ln(_ name: String, _ w: (FloatBuffer, FloatBuffer)) -> [NamedWeight] {
            [NamedWeight(pre + name + ".weight", w.0, [C]), NamedWeight(pre + name + ".bias", w.1, [C])]
        }
        var out = [NamedWeight(pre + "wte.weight", wte, [config.vocabSize, C]), NamedWeight(pre + "wpe.weight", wpe, [config.positions, C])]
        for (l, B) in blocks.enumerated() {
            out += ln("h.\(l).ln_1", B.ln1)
            out += B.attn.namedWeights(transposed: true) + B.proj.namedWeights(transposed: true)
            out += ln("h.\(l).ln_2", B.ln2)
            out += B.fc.namedWeights(transposed: true) + B.out.namedWeights(transposed: true)
        }
        return out + ln("ln_f", lnF)
    }

    struct Pass {
        /// t: rows per sequence through the blocks, s: keys per sequence (t plus a prefix).
        let b: Int, t: Int, s: Int, n: Int
        let keyMask: [Int32]
        let scale: Float
        let training: Bool
        let virtual: VirtualBatch
    }

    struct Saved {
        /// k, v: [B, S, C], prefix keys and values included.
        var h1, mean1, rstd1, q, k, v, probs, attn, xMid, h2, mean2, rstd2, pre, act: FloatBuffer
        var lora: [LoRASaved?]  // c_attn, attn.c_proj, c_fc, mlp.c_proj
    }

    func blockForward(_ L: Block, _ x: FloatBuffer, _ p: Pass, save: Bool, seeds: [UInt64]? = nil) -> (FloatBuffer, Saved?, [UInt64]) {
        let c = config, n = p.n, C = c.hidden, H = c.heads, D = C / H, F = c.inner
        func run(_ lin: Linear, _ i: Int, _ input: FloatBuffer, _ out: FloatBuffer) -> LoRASaved? {
            lin.forward(input.ptr, n: n, into: out.ptr, training: p.training, seed: seeds?[i])
        }
        let h1 = FloatBuffer(count: n * C), m1 = FloatBuffer(count: n), s1 = FloatBuffer(count: n)
        Kernels.layerNorm(x.ptr, L.ln1.0.ptr, L.ln1.1.ptr, h1.ptr, mean: m1.ptr, rstd: s1.ptr, n: n, c: C, eps: c.eps)
        let qkv = FloatBuffer(count: n * 3 * C)
        let sAttn = run(L.attn, 0, h1, qkv)
        let q = FloatBuffer(count: n * C), k = FloatBuffer(count: n * C), v = FloatBuffer(count: n * C)
        for r in 0..<n {
            (q.ptr + r * C).update(from: qkv.ptr + r * 3 * C, count: C)
            (k.ptr + r * C).update(from: qkv.ptr + r * 3 * C + C, count: C)
            (v.ptr + r * C).update(from: qkv.ptr + r * 3 * C + 2 * C, count: C)
        }
        // Prefix tuning: the block's prefix keys and values go in front.
        let kAll = p.virtual.withPrefix(k, layer: L.index, slot: 0, w: C), vAll = p.virtual.withPrefix(v, layer: L.index, slot: 1, w: C)
        let attn = FloatBuffer(count: n * C), probs = FloatBuffer(count: p.b * H * p.t * p.s)
        Attention.forward(q: q.ptr, k: kAll.ptr, v: vAll.ptr, out: attn.ptr, probs: probs.ptr, b: p.b, t: p.t, s: p.s, h: H, g: H, d: D,
                          causal: true, keyMask: p.keyMask, scale: p.scale)
        let xMid = FloatBuffer(count: n * C)
        let sProj = run(L.proj, 1, attn, xMid)
        Kernels.add(xMid.ptr, x.ptr, count: n * C)
        let h2 = FloatBuffer(count: n * C), m2 = FloatBuffer(count: n), s2 = FloatBuffer(count: n)
        Kernels.layerNorm(xMid.ptr, L.ln2.0.ptr, L.ln2.1.ptr, h2.ptr, mean: m2.ptr, rstd: s2.ptr, n: n, c: C, eps: c.eps)
        let pre = FloatBuffer(count: n * F), act = FloatBuffer(count: n * F)
        let sFc = run(L.fc, 2, h2, pre)
        Kernels.geluTanh(pre.ptr, act.ptr, count: n * F)
        let xOut = FloatBuffer(count: n * C)
        let sOut = run(L.out, 3, act, xOut)
        Kernels.add(xOut.ptr, xMid.ptr, count: n * C)
        let lora = [sAttn, sProj, sFc, sOut]
        let used = lora.map { $0?.seed ?? 0 }
        guard save else { return (xOut, nil, used) }
        return (xOut, Saved(h1: h1, mean1: m1, rstd1: s1, q: q, k: kAll, v: vAll, probs: probs, attn: attn, xMid: xMid, h2: h2, mean2: m2,
                            rstd2: s2, pre: pre, act: act, lora: lora), used)
    }

    func blockBackward(_ L: Block, _ s: Saved, xIn: FloatBuffer, dres: FloatBuffer, _ p: Pass) {
        let c = config, n = p.n, C = c.hidden, H = c.heads, D = C / H, F = c.inner
        let tmp = FloatBuffer(count: n * C)
        let dact = FloatBuffer(count: n * F), dpre = FloatBuffer(count: n * F), dh2 = FloatBuffer(count: n * C)
        L.out.backward(dres.ptr, input: s.act.ptr, lora: s.lora[3], n: n, dx: dact.ptr)
        Kernels.geluTanhBackward(dact.ptr, s.pre.ptr, dpre.ptr, count: n * F)
        L.fc.backward(dpre.ptr, input: s.h2.ptr, lora: s.lora[2], n: n, dx: dh2.ptr)
        Kernels.layerNormBackward(dh2.ptr, s.xMid.ptr, L.ln2.0.ptr, mean: s.mean2.ptr, rstd: s.rstd2.ptr, dx: tmp.ptr,
                                  dw: L.ln2.0.grad?.ptr, db: L.ln2.1.grad?.ptr, n: n, c: C)
        Kernels.add(dres.ptr, tmp.ptr, count: n * C)
        let dattn = FloatBuffer(count: n * C)
        L.proj.backward(dres.ptr, input: s.attn.ptr, lora: s.lora[1], n: n, dx: dattn.ptr)
        let dq = FloatBuffer(count: n * C), dkAll = FloatBuffer(count: p.b * p.s * C), dvAll = FloatBuffer(count: p.b * p.s * C)
        Attention.backward(dout: dattn.ptr, q: s.q.ptr, k: s.k.ptr, v: s.v.ptr, probs: s.probs.ptr, dq: dq.ptr, dk: dkAll.ptr, dv: dvAll.ptr,
                           b: p.b, t: p.t, s: p.s, h: H, g: H, d: D, causal: true, keyMask: p.keyMask, scale: p.scale)
        let dk = p.virtual.prefixBackward(dkAll, layer: L.index, slot: 0, w: C), dv = p.virtual.prefixBackward(dvAll, layer: L.index, slot: 1, w: C)
        let dqkv = FloatBuffer(count: n * 3 * C)
        for r in 0..<n {
            (dqkv.ptr + r * 3 * C).update(from: dq.ptr + r * C, count: C)
            (dqkv.ptr + r * 3 * C + C).update(from: dk.ptr + r * C, count: C)
            (dqkv.ptr + r * 3 * C + 2 * C).update(from: dv.ptr + r * C, count: C)
        }
        let dh1 = FloatBuffer(count: n * C)
        L.attn.backward(dqkv.ptr, input: s.h1.ptr, lora: s.lora[0], n: n, dx: dh1.ptr)
        Kernels.layerNormBackward(dh1.ptr, xIn.ptr, L.ln1.0.ptr, mean: s.mean1.ptr, rstd: s.rstd1.ptr, dx: tmp.ptr,
                                  dw: L.ln1.0.grad?.ptr, db: L.ln1.1.grad?.ptr, n: n, c: C)
        Kernels.add(dres.ptr, tmp.ptr, count: n * C)
    }

    /// Runs the model on a batch (see `LlamaModel.forward`). With virtual tokens the real tokens
    /// take learned positions P..<P+T (P + T must fit the model's positions), and the logits
    /// returned are the real tokens' only, [B, T, V].
    public func forward(ids: [[Int]], mask: [[Int]]? = nil, labels: [[Int]]? = nil, backward: Bool = false) throws -> CausalLMOutput {
        let c = config
        let (b, t0) = try checkBatch(ids: ids, mask: mask, labels: labels, vocab: c.vocabSize, backward: backward)
        let vb = VirtualBatch(promptLearning, ids: ids, mask: mask, labels: labels)
        guard vb.keys <= c.positions else {
            let virtual = vb.keys > t0 ? " plus \(vb.keys - t0) virtual tokens" : ""
            throw ModelError("sequence length \(t0)\(virtual) exceeds the model's \(c.positions) positions")
        }
        let t = vb.rows, n = b * t, C = c.hidden, V = c.vocabSize
        let p = Pass(b: b, t: t, s: vb.keys, n: n, keyMask: vb.keyMask, scale: 1 / Float(C / c.heads).squareRoot(), training: backward,
                     virtual: vb)
        let flatIds = Array(ids.joined())
        let positions = (0..<n).map(vb.position)
        // Token (or prompt tuning's virtual) embeddings plus learned positions.
        var x = FloatBuffer(count: n * C)
        vb.fillLead(x, c: C)
        for (i, id) in flatIds.enumerated() { (x.ptr + vb.row(i / t0, i % t0) * C).update(from: wte.ptr + id * C, count: C) }
        for r in 0..<n { Kernels.add(x.ptr + r * C, wpe.ptr + positions[r] * C, count: C) }
        var stack = LayerStack(blocks) { self.blockForward($0, $1, p, save: $2, seeds: $3) }
        x = stack.run(x, backward: backward, checkpointing: gradientCheckpointing)
        let xf = FloatBuffer(count: n * C), mF = FloatBuffer(count: n), sF = FloatBuffer(count: n)
        Kernels.layerNorm(x.ptr, lnF.0.ptr, lnF.1.ptr, xf.ptr, mean: mF.ptr, rstd: sF.ptr, n: n, c: C, eps: c.eps)
        let logits = FloatBuffer(count: n * V)
        let headLoRA = lmHead.forward(xf.ptr, n: n, into: logits.ptr, training: backward)
        let realLogits = vb.realLogits(logits, v: V)
        guard let labels = vb.labels else { return CausalLMOutput(logits: realLogits, loss: nil, labelledTokens: 0) }
        let (loss, counted, dlogits) = try causalLoss(logits: logits, labels: labels, b: b, t: t, v: V, backward: backward)
        guard let dlogits else { return CausalLMOutput(logits: realLogits, loss: loss, labelledTokens: counted) }

        let dxf = FloatBuffer(count: n * C), dres = FloatBuffer(count: n * C)
        lmHead.backward(dlogits.ptr, input: xf.ptr, lora: headLoRA, n: n, dx: dxf.ptr)
        Kernels.layerNormBackward(dxf.ptr, x.ptr, lnF.0.ptr, mean: mF.ptr, rstd: sF.ptr, dx: dres.ptr,
                                  dw: lnF.0.grad?.ptr, db: lnF.1.grad?.ptr, n: n, c: C)
        stack.backward { blockBackward($0, $1, xIn: $2, dres: dres, p) }
        vb.leadBackward(dres, c: C)
        if let dWte = wte.grad { Kernels.embeddingBackward(vb.realRows(dres, c: C).ptr, ids: flatIds, dTable: dWte.ptr, c: C) }
        if let dWpe = wpe.grad { Kernels.embeddingBackward(dres.ptr, ids: positions, dTable: dWpe.ptr, c: C) }
        return CausalLMOutput(logits: realLogits, loss: loss, labelledTokens: counted)
    }
}

extension GPT2Model: VirtualTokenHost {
    var virtualTokenShape: VirtualTokenShape {
        VirtualTokenShape(hidden: config.hidden, layers: config.layers, heads: config.heads, kvHeads: config.heads, headDim: config.hidden / config.heads)
    }
    var tokenEmbedding: FloatBuffer { wte }
}
