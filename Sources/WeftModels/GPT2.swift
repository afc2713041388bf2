// Shapes: B batch, T time, N = B·T rows, C hidden, F = 4C inner, V vocab, P positions,
// H heads, D = C/H head dim.
import Foundation
import WeftTensor

/// `GPT2LMHeadModel`'s `config.json`.
public struct GPT2Config: Sendable {
    public var vocabSize: Int, positions: Int, hidden: Int, layers: Int, heads: Int, inner: Int
    public var eps: Float

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

    struct Block {
        let ln1: (FloatBuffer, FloatBuffer), ln2: (FloatBuffer, FloatBuffer)
        let attn: Linear, proj: Linear, fc: Linear, out: Linear
    }

    public init(directory: String) throws {
        let c = try GPT2Config.load(directory: directory)
        config = c
        let ck: SafetensorsCheckpoint
        do { ck = try SafetensorsCheckpoint(directory: directory) } catch { throw ModelError("\(error)") }
        // Checkpoints saved from GPT2LMHeadModel prefix names with `transformer.`; GPT2Model's do not.
        let prefix = ck.names.contains("transformer.wte.weight") ? "transformer." : ""
        func load(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
            do { return FloatBuffer(try ck.tensor(prefix + name, expect: shape).data) } catch { throw ModelError("\(error)") }
        }
        func conv1d(_ name: String, _ i: Int, _ o: Int) throws -> Linear {
            let w = try load(name + ".weight", [i, o])
            let t = FloatBuffer(count: i * o)
            for r in 0..<i { for col in 0..<o { t[col * i + r] = w[r * o + col] } }
            return Linear(name: prefix + name, weight: t, bias: try load(name + ".bias", [o]), inFeatures: i, outFeatures: o)
        }
        func ln(_ name: String) throws -> (FloatBuffer, FloatBuffer) { (try load(name + ".weight", [c.hidden]), try load(name + ".bias", [c.hidden])) }
        wte = try load("wte.weight", [c.vocabSize, c.hidden])
        wpe = try load("wpe.weight", [c.positions, c.hidden])
        lnF = try ln("ln_f")
        blocks = try (0..<c.layers).map { l in
            let p = "h.\(l)."
            return Block(ln1: try ln(p + "ln_1"), ln2: try ln(p + "ln_2"),
                         attn: try conv1d(p + "attn.c_attn", c.hidden, 3 * c.hidden), proj: try conv1d(p + "attn.c_proj", c.hidden, c.hidden),
                         fc: try conv1d(p + "mlp.c_fc", c.hidden, c.inner), out: try conv1d(p + "mlp.c_proj", c.inner, c.hidden))
        }
        lmHead = Linear(name: "lm_head", weight: wte, bias: nil, inFeatures: c.hidden, outFeatures: c.vocabSize)
    }

    public var vocabSize: Int { config.vocabSize }

    /// Every linear layer by module name (`transformer.h.0.attn.c_attn`, ...), the head last.
    public var linears: [Linear] { blocks.flatMap { [$0.attn, $0.proj, $0.fc, $0.out] } + [lmHead] }

    public func forward(ids: [[Int]], mask: [[Int]]? = nil, labels: [[Int]]? = nil, backward: Bool = false) throws -> CausalLMOutput {
        let c = config
        let (b, t) = try checkBatch(ids: ids, mask: mask, labels: labels, vocab: c.vocabSize, backward: backward)
        guard t <= c.positions else { throw ModelError("sequence length \(t) exceeds the model's \(c.positions) positions") }
        let n = b * t, C = c.hidden, H = c.heads, D = C / H, F = c.inner, V = c.vocabSize
        let keyMask = keyMaskFrom(mask, ids: ids)
        let scale = 1 / Float(D).squareRoot()
        var x = FloatBuffer(count: n * C)
        for (r, id) in ids.joined().enumerated() {
            let pos = r % t
            for j in 0..<C { x.ptr[r * C + j] = wte.ptr[id * C + j] + wpe.ptr[pos * C + j] }
        }
        struct Saved {
            var xIn, h1, mean1, rstd1, qkv, q, k, v, probs, attn, xMid, h2, mean2, rstd2, pre, act: FloatBuffer
            var xaAttn, xaProj, xaFc, xaOut: FloatBuffer?
        }
        var saved: [Saved] = []
        for L in blocks {
            let h1 = FloatBuffer(count: n * C), m1 = FloatBuffer(count: n), s1 = FloatBuffer(count: n)
            Kernels.layerNorm(x.ptr, L.ln1.0.ptr, L.ln1.1.ptr, h1.ptr, mean: m1.ptr, rstd: s1.ptr, n: n, c: C, eps: c.eps)
            let qkv = FloatBuffer(count: n * 3 * C)
            let xaAttn = L.attn.forward(h1.ptr, n: n, into: qkv.ptr)
            let q = FloatBuffer(count: n * C), k = FloatBuffer(count: n * C), v = FloatBuffer(count: n * C)
            for r in 0..<n {
                (q.ptr + r * C).update(from: qkv.ptr + r * 3 * C, count: C)
                (k.ptr + r * C).update(from: qkv.ptr + r * 3 * C + C, count: C)
                (v.ptr + r * C).update(from: qkv.ptr + r * 3 * C + 2 * C, count: C)
            }
            let attn = FloatBuffer(count: n * C), probs = FloatBuffer(count: b * H * t * t)
            Attention.forward(q: q.ptr, k: k.ptr, v: v.ptr, out: attn.ptr, probs: probs.ptr, b: b, t: t, s: t, h: H, g: H, d: D,
                              causal: true, keyMask: keyMask, scale: scale)
            let xMid = FloatBuffer(count: n * C)
            let xaProj = L.proj.forward(attn.ptr, n: n, into: xMid.ptr)
            for i in 0..<(n * C) { xMid.ptr[i] += x.ptr[i] }
            let h2 = FloatBuffer(count: n * C), m2 = FloatBuffer(count: n), s2 = FloatBuffer(count: n)
            Kernels.layerNorm(xMid.ptr, L.ln2.0.ptr, L.ln2.1.ptr, h2.ptr, mean: m2.ptr, rstd: s2.ptr, n: n, c: C, eps: c.eps)
            let pre = FloatBuffer(count: n * F), act = FloatBuffer(count: n * F)
            let xaFc = L.fc.forward(h2.ptr, n: n, into: pre.ptr)
            Kernels.geluTanh(pre.ptr, act.ptr, count: n * F)
            let xOut = FloatBuffer(count: n * C)
            let xaOut = L.out.forward(act.ptr, n: n, into: xOut.ptr)
            for i in 0..<(n * C) { xOut.ptr[i] += xMid.ptr[i] }
            if backward {
                saved.append(Saved(xIn: x, h1: h1, mean1: m1, rstd1: s1, qkv: qkv, q: q, k: k, v: v, probs: probs, attn: attn, xMid: xMid,
                                   h2: h2, mean2: m2, rstd2: s2, pre: pre, act: act, xaAttn: xaAttn, xaProj: xaProj, xaFc: xaFc, xaOut: xaOut))
            }
            x = xOut
        }
        let xf = FloatBuffer(count: n * C), mF = FloatBuffer(count: n), sF = FloatBuffer(count: n)
        Kernels.layerNorm(x.ptr, lnF.0.ptr, lnF.1.ptr, xf.ptr, mean: mF.ptr, rstd: sF.ptr, n: n, c: C, eps: c.eps)
        let logits = FloatBuffer(count: n * V)
        let xaHead = lmHead.forward(xf.ptr, n: n, into: logits.ptr)
        guard let labels else { return CausalLMOutput(logits: logits, loss: nil, labelledTokens: 0) }
        let (loss, counted, dlogits) = try causalLoss(logits: logits, labels: labels, b: b, t: t, v: V, backward: backward)
        guard let dlogits else { return CausalLMOutput(logits: logits, loss: loss, labelledTokens: counted) }

        let dxf = FloatBuffer(count: n * C), dres = FloatBuffer(count: n * C), tmp = FloatBuffer(count: n * C)
        lmHead.backward(dlogits.ptr, input: xf.ptr, xa: xaHead, n: n, dx: dxf.ptr)
        Kernels.layerNormBackward(dxf.ptr, x.ptr, lnF.0.ptr, mean: mF.ptr, rstd: sF.ptr, dx: dres.ptr, dw: nil, db: nil, n: n, c: C)
        for (L, s) in zip(blocks, saved).reversed() {
            let dact = FloatBuffer(count: n * F), dpre = FloatBuffer(count: n * F), dh2 = FloatBuffer(count: n * C)
            L.out.backward(dres.ptr, input: s.act.ptr, xa: s.xaOut, n: n, dx: dact.ptr)
            Kernels.geluTanhBackward(dact.ptr, s.pre.ptr, dpre.ptr, count: n * F)
            L.fc.backward(dpre.ptr, input: s.h2.ptr, xa: s.xaFc, n: n, dx: dh2.ptr)
            Kernels.layerNormBackward(dh2.ptr, s.xMid.ptr, L.ln2.0.ptr, mean: s.mean2.ptr, rstd: s.rstd2.ptr, dx: tmp.ptr, dw: nil, db: nil, n: n, c: C)
            for i in 0..<(n * C) { dres.ptr[i] += tmp.ptr[i] }
            let dattn = FloatBuffer(count: n * C)
            L.proj.backward(dres.ptr, input: s.attn.ptr, xa: s.xaProj, n: n, dx: dattn.ptr)
            let dq = FloatBuffer(count: n * C), dk = FloatBuffer(count: n * C), dv = FloatBuffer(count: n * C)
            Attention.backward(dout: dattn.ptr, q: s.q.ptr, k: s.k.ptr, v: s.v.ptr, probs: s.probs.ptr, dq: dq.ptr, dk: dk.ptr, dv: dv.ptr,
                               b: b, t: t, s: t, h: H, g: H, d: D, causal: true, keyMask: keyMask, scale: scale)
            let dqkv = FloatBuffer(count: n * 3 * C)
            for r in 0..<n {
                (dqkv.ptr + r * 3 * C).update(from: dq.ptr + r * C, count: C)
                (dqkv.ptr + r * 3 * C + C).update(from: dk.ptr + r * C, count: C)
                (dqkv.ptr + r * 3 * C + 2 * C).update(from: dv.ptr + r * C, count: C)
            }
            let dh1 = FloatBuffer(count: n * C)
            L.attn.backward(dqkv.ptr, input: s.h1.ptr, xa: s.xaAttn, n: n, dx: dh1.ptr)
            Kernels.layerNormBackward(dh1.ptr, s.xIn.ptr, L.ln1.0.ptr, mean: s.mean1.ptr, rstd: s.rstd1.ptr, dx: tmp.ptr, dw: nil, db: nil, n: n, c: C)
            for i in 0..<(n * C) { dres.ptr[i] += tmp.ptr[i] }
        }
        return CausalLMOutput(logits: logits, loss: loss, labelledTokens: counted)
    }
}
