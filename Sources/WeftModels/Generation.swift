// Shapes: B prompts, S cached positions, G key/value heads, D head dim, V vocab.
import Foundation
import WeftTensor

/// How to pick each next token.
public struct GenerationConfig: Sendable {
    public var maxNewTokens = 32
    /// 0 = greedy (argmax); otherwise logits are divided by it before sampling.
    public var temperature: Float = 0
    /// Keep only the k most likely tokens (0 = off).
    public var topK = 0
    /// Keep the smallest set of tokens whose probability reaches p (1 = off).
    public var topP: Float = 1
    /// > 1 discourages tokens already in the prompt or output (CTRL's penalty, as transformers applies it).
    public var repetitionPenalty: Float = 1
    /// A row stops after emitting one of these.
    public var stopTokens: Set<Int> = []
    public var seed: UInt64 = 0
    public init() {}
}

/// Per-layer key/value caches of a batch: [B][capacity·G·D] each.
final class KVCache {
    let k: [[FloatBuffer]], v: [[FloatBuffer]]
    let capacity: Int
    init(layers: Int, batch: Int, capacity: Int, width: Int) {
        self.capacity = capacity
        k = (0..<layers).map { _ in (0..<batch).map { _ in FloatBuffer(count: capacity * width) } }
        v = (0..<layers).map { _ in (0..<batch).map { _ in FloatBuffer(count: capacity * width) } }
    }
}

/// Token choice from logits, seeded: the same seed gives the same tokens.
struct Sampler {
    let config: GenerationConfig
    var rng: SplitMix

    init(_ config: GenerationConfig) {
        self.config = config
        rng = SplitMix(config.seed)
    }

    mutating func pick(_ logits: UnsafePointer<Float>, v: Int, seen: [Int]) -> Int {
        var l = Array(UnsafeBufferPointer(start: logits, count: v))
        if config.repetitionPenalty != 1 {
            for t in Set(seen) where t >= 0 && t < v { l[t] = l[t] < 0 ? l[t] * config.repetitionPenalty : l[t] / config.repetitionPenalty }
        }
        if config.temperature <= 0 { return l.indices.max { l[$0] < l[$1] || (l[$0] == l[$1] && $0 > $1) }! }
        for i in 0..<v { l[i] /= config.temperature }
        var order = Array(0..<v).sorted { l[$0] > l[$1] || (l[$0] == l[$1] && $0 < $1) }
        if config.topK > 0 && config.topK < v { order = Array(order.prefix(config.topK)) }
        let m = l[order[0]]
        var p = order.map { Double(exp(l[$0] - m)) }
        let z = p.reduce(0, +)
        p = p.map { $0 / z }
        if config.topP < 1 {
            var cum = 0.0, keep = 0
            for x in p { cum += x; keep += 1; if cum >= Double(config.topP) { break } }
            order = Array(order.prefix(keep))
            p = Array(p.prefix(keep))
            let z2 = p.reduce(0, +)
            p = p.map { $0 / z2 }
        }
        let u = Double(rng.unit())
        var cum = 0.0
        for (i, x) in p.enumerated() { cum += x; if u < cum { return order[i] } }
        return order[order.count - 1]
    }
}

/// A decoder that can run a few new positions against a KV cache (what generation needs).
protocol CachedDecoder: CausalLM {
    var layerCount: Int { get }
    /// Floats per position in one layer's key (and value) cache.
    var kvWidth: Int { get }
    var maxPositions: Int { get }
    /// Runs `tokens` (B rows of t tokens; with `lead` [P, C], P embedding rows in front of each
    /// row's tokens; `positions` for all B·(P + t) rows) after `filled` cached slots, appends their
    /// keys and values, and returns logits for each row's last token, [B, V].
    func decode(tokens: [[Int]], lead: FloatBuffer?, positions: [Int], cache: KVCache, filled: Int, keyMask: [[Int32]]) -> FloatBuffer
}

extension CachedDecoder {
    /// Generates up to `maxNewTokens` per prompt with a KV cache: prompts left-padded and
    /// masked, virtual tokens fed as peft does (see `GenerationStart`). Returns each row's new
    /// tokens (with the stop token that ended it, if any); `observe` sees each step's logits [B, V].
    func runGeneration(prompts: [[Int]], config g: GenerationConfig, observe: ((FloatBuffer) -> Void)? = nil) throws -> [[Int]] {
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else { throw ModelError("every prompt needs at least one token") }
        for (r, p) in prompts.enumerated() {
            for (j, id) in p.enumerated() where id < 0 || id >= vocabSize {
                throw ModelError("prompt token \(id) at [\(r), \(j)] is outside the vocabulary (0..<\(vocabSize))")
            }
        }
        let b = prompts.count
        let start = try GenerationStart(virtualTokens, prompts: prompts, newTokens: g.maxNewTokens, layers: layerCount, width: kvWidth, maxPositions: maxPositions)
        var step = start.tokens, positions = start.positions, nextPos = start.next, lead = start.lead
        var sampler = Sampler(g)
        var seen = prompts
        var out = [[Int]](repeating: [], count: b)
        var done = [Bool](repeating: false, count: b)
        var filled = start.filled
        while true {
            let logits = decode(tokens: step, lead: lead, positions: positions, cache: start.cache, filled: filled, keyMask: start.keyMask)
            observe?(logits)
            filled += (lead == nil ? 0 : start.leadRows) + step[0].count
            lead = nil
            for r in 0..<b {
                let tok = done[r] ? 0 : sampler.pick(logits.ptr + r * vocabSize, v: vocabSize, seen: seen[r])
                if !done[r] {
                    out[r].append(tok)
                    seen[r].append(tok)
                    if g.stopTokens.contains(tok) { done[r] = true }
                }
                step[r] = [tok]
            }
            positions = nextPos
            for r in 0..<b { nextPos[r] += 1 }
            if zip(out, done).allSatisfy({ $0.count >= g.maxNewTokens || $1 }) || filled >= start.capacity { break }
        }
        return out
    }
}

extension LlamaModel: CachedDecoder {
    public func generate(prompts: [[Int]], config: GenerationConfig) throws -> [[Int]] { try runGeneration(prompts: prompts, config: config) }
    var layerCount: Int { layers.count }
    var kvWidth: Int { config.kvHeads * config.headDim }
    var maxPositions: Int { Int.max }

    func decode(tokens: [[Int]], lead: FloatBuffer?, positions: [Int], cache: KVCache, filled: Int, keyMask: [[Int32]]) -> FloatBuffer {
        let c = config
        let C = c.hidden, H = c.heads, G = c.kvHeads, D = c.headDim, F = c.intermediate, V = c.vocabSize
        let b = tokens.count, p = (lead?.count ?? 0) / C, t = p + tokens[0].count, n = b * t
        let rope = self.rope(positions: (positions.max() ?? 0) + 1)
        let scale = 1 / Float(D).squareRoot()
        var x = FloatBuffer(count: n * C)
        for r in 0..<b {
            if let lead { (x.ptr + r * t * C).update(from: lead.ptr, count: p * C) }
            for (j, id) in tokens[r].enumerated() { (x.ptr + (r * t + p + j) * C).update(from: embed.ptr + id * C, count: C) }
        }
        for (li, L) in layers.enumerated() {
            let h1 = FloatBuffer(count: n * C), rs = FloatBuffer(count: n)
            Kernels.rmsNorm(x.ptr, L.inputNorm.ptr, h1.ptr, rstd: rs.ptr, n: n, c: C, eps: c.rmsEps)
            let q = FloatBuffer(count: n * H * D), k = FloatBuffer(count: n * G * D), v = FloatBuffer(count: n * G * D)
            L.q.forward(h1.ptr, n: n, into: q.ptr); L.k.forward(h1.ptr, n: n, into: k.ptr); L.v.forward(h1.ptr, n: n, into: v.ptr)
            rope.apply(q.ptr, rows: n, heads: H, positions: positions)
            rope.apply(k.ptr, rows: n, heads: G, positions: positions)
            let attn = FloatBuffer(count: n * H * D)
            cachedAttention(q: q, k: k, v: v, out: attn, cache: cache, layer: li, filled: filled, b: b, t: t, h: H, g: G, d: D,
                            keyMask: keyMask, scale: scale)
            let xMid = FloatBuffer(count: n * C)
            L.o.forward(attn.ptr, n: n, into: xMid.ptr)
            for i in 0..<(n * C) { xMid.ptr[i] += x.ptr[i] }
            let h2 = FloatBuffer(count: n * C)
            Kernels.rmsNorm(xMid.ptr, L.postNorm.ptr, h2.ptr, rstd: rs.ptr, n: n, c: C, eps: c.rmsEps)
            let gt = FloatBuffer(count: n * F), up = FloatBuffer(count: n * F)
            L.gate.forward(h2.ptr, n: n, into: gt.ptr); L.up.forward(h2.ptr, n: n, into: up.ptr)
            Kernels.swiglu(gt.ptr, up.ptr, gt.ptr, count: n * F)
            let xOut = FloatBuffer(count: n * C)
            L.down.forward(gt.ptr, n: n, into: xOut.ptr)
            for i in 0..<(n * C) { xOut.ptr[i] += xMid.ptr[i] }
            x = xOut
        }
        let last = lastRows(x, b: b, t: t, c: C)
        let normed = FloatBuffer(count: b * C), rs = FloatBuffer(count: b)
        Kernels.rmsNorm(last.ptr, finalNorm.ptr, normed.ptr, rstd: rs.ptr, n: b, c: C, eps: c.rmsEps)
        let logits = FloatBuffer(count: b * V)
        lmHead.forward(normed.ptr, n: b, into: logits.ptr)
        return logits
    }
}

/// Each row's last position, [B, C].
func lastRows(_ x: FloatBuffer, b: Int, t: Int, c: Int) -> FloatBuffer {
    let last = FloatBuffer(count: b * c)
    for r in 0..<b { (last.ptr + r * c).update(from: x.ptr + (r * t + t - 1) * c, count: c) }
    return last
}

/// Appends this step's keys and values to each row's cache and attends over everything cached.
func cachedAttention(q: FloatBuffer, k: FloatBuffer, v: FloatBuffer, out: FloatBuffer, cache: KVCache, layer: Int, filled: Int,
                     b: Int, t: Int, h: Int, g: Int, d: Int, keyMask: [[Int32]], scale: Float) {
    let s = filled + t
    let probs = FloatBuffer(count: h * t * s)
    for r in 0..<b {
        let kc = cache.k[layer][r].ptr, vc = cache.v[layer][r].ptr
        (kc + filled * g * d).update(from: k.ptr + r * t * g * d, count: t * g * d)
        (vc + filled * g * d).update(from: v.ptr + r * t * g * d, count: t * g * d)
        keyMask[r].withUnsafeBufferPointer { m in
            Attention.forward(q: q.ptr + r * t * h * d, k: kc, v: vc, out: out.ptr + r * t * h * d, probs: probs.ptr,
                              b: 1, t: t, s: s, h: h, g: g, d: d, causal: true, keyMask: m.baseAddress!, scale: scale)
        }
    }
}

extension GPT2Model: CachedDecoder {
    public func generate(prompts: [[Int]], config: GenerationConfig) throws -> [[Int]] { try runGeneration(prompts: prompts, config: config) }
    var layerCount: Int { blocks.count }
    var kvWidth: Int { config.hidden }
    var maxPositions: Int { config.positions }

    func decode(tokens: [[Int]], lead: FloatBuffer?, positions: [Int], cache: KVCache, filled: Int, keyMask: [[Int32]]) -> FloatBuffer {
        let c = config
        let C = c.hidden, H = c.heads, D = C / H, F = c.inner, V = c.vocabSize
        let b = tokens.count, p = (lead?.count ?? 0) / C, t = p + tokens[0].count, n = b * t
        let scale = 1 / Float(D).squareRoot()
        var x = FloatBuffer(count: n * C)
        for r in 0..<n {
            let i = r % t
            let e: UnsafeMutablePointer<Float>
            if i < p, let lead { e = lead.ptr + i * C } else { e = wte.ptr + tokens[r / t][i - p] * C }
            for j in 0..<C { x.ptr[r * C + j] = e[j] + wpe.ptr[positions[r] * C + j] }
        }
        let mean = FloatBuffer(count: n), rstd = FloatBuffer(count: n)
        for (li, L) in blocks.enumerated() {
            let h1 = FloatBuffer(count: n * C)
            Kernels.layerNorm(x.ptr, L.ln1.0.ptr, L.ln1.1.ptr, h1.ptr, mean: mean.ptr, rstd: rstd.ptr, n: n, c: C, eps: c.eps)
            let qkv = FloatBuffer(count: n * 3 * C)
            L.attn.forward(h1.ptr, n: n, into: qkv.ptr)
            let q = FloatBuffer(count: n * C), k = FloatBuffer(count: n * C), v = FloatBuffer(count: n * C)
            for r in 0..<n {
                (q.ptr + r * C).update(from: qkv.ptr + r * 3 * C, count: C)
                (k.ptr + r * C).update(from: qkv.ptr + r * 3 * C + C, count: C)
                (v.ptr + r * C).update(from: qkv.ptr + r * 3 * C + 2 * C, count: C)
            }
            let attn = FloatBuffer(count: n * C)
            cachedAttention(q: q, k: k, v: v, out: attn, cache: cache, layer: li, filled: filled, b: b, t: t, h: H, g: H, d: D,
                            keyMask: keyMask, scale: scale)
            let xMid = FloatBuffer(count: n * C)
            L.proj.forward(attn.ptr, n: n, into: xMid.ptr)
            for i in 0..<(n * C) { xMid.ptr[i] += x.ptr[i] }
            let h2 = FloatBuffer(count: n * C)
            Kernels.layerNorm(xMid.ptr, L.ln2.0.ptr, L.ln2.1.ptr, h2.ptr, mean: mean.ptr, rstd: rstd.ptr, n: n, c: C, eps: c.eps)
            let pre = FloatBuffer(count: n * F)
            L.fc.forward(h2.ptr, n: n, into: pre.ptr)
            Kernels.geluTanh(pre.ptr, pre.ptr, count: n * F)
            let xOut = FloatBuffer(count: n * C)
            L.out.forward(pre.ptr, n: n, into: xOut.ptr)
            for i in 0..<(n * C) { xOut.ptr[i] += xMid.ptr[i] }
            x = xOut
        }
        let last = lastRows(x, b: b, t: t, c: C)
        let normed = FloatBuffer(count: b * C)
        Kernels.layerNorm(last.ptr, lnF.0.ptr, lnF.1.ptr, normed.ptr, mean: mean.ptr, rstd: rstd.ptr, n: b, c: C, eps: c.eps)
        let logits = FloatBuffer(count: b * V)
        lmHead.forward(normed.ptr, n: b, into: logits.ptr)
        return logits
    }
}

/// Prefill and decode times of greedy generation for one prompt (batch 1), as
/// ../shared/bench/torch/infer_bench.py measures PyTorch: the prompt in one pass, then
/// `newTokens` passes of one token each against the cache.
public struct GenerationTiming: Sendable {
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    public var tokens: [Int]
}

extension CausalLM {
    public func timeGreedy(prompt: [Int], newTokens: Int) throws -> GenerationTiming {
        guard let m = self as? any CachedDecoder else { throw ModelError("this model cannot generate with a cache") }
        return try m.timeCachedGreedy(prompt: prompt, newTokens: newTokens)
    }
}

extension CachedDecoder {
    func timeCachedGreedy(prompt: [Int], newTokens: Int) throws -> GenerationTiming {
        guard !prompt.isEmpty, prompt.allSatisfy({ (0..<vocabSize).contains($0) }) else { throw ModelError("prompt tokens must be in 0..<\(vocabSize)") }
        let s = try GenerationStart(virtualTokens, prompts: [prompt], newTokens: newTokens + 1, layers: layerCount, width: kvWidth,
                                    maxPositions: maxPositions)
        func argmax(_ l: FloatBuffer) -> Int { (0..<vocabSize).max { l[$0] < l[$1] }! }
        let t0 = DispatchTime.now().uptimeNanoseconds
        var next = argmax(decode(tokens: s.tokens, lead: s.lead, positions: s.positions, cache: s.cache, filled: s.filled, keyMask: s.keyMask))
        let t1 = DispatchTime.now().uptimeNanoseconds
        var tokens = [next]
        let filled = s.filled + s.leadRows + prompt.count
        for i in 0..<newTokens {
            next = argmax(decode(tokens: [[next]], lead: nil, positions: [s.next[0] + i], cache: s.cache, filled: filled + i, keyMask: s.keyMask))
            tokens.append(next)
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        return GenerationTiming(prefillSeconds: Double(t1 - t0) / 1e9, decodeSeconds: Double(t2 - t1) / 1e9, tokens: tokens)
    }
}
