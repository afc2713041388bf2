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

extension LlamaModel {
    /// Generates up to `maxNewTokens` per prompt with a KV cache (prompts of different
    /// lengths are left-padded and masked). Returns only the new tokens of each row,
    /// including a stop token when one ended the row.
    public func generate(prompts: [[Int]], config g: GenerationConfig) throws -> [[Int]] {
        let c = config
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else { throw ModelError("every prompt needs at least one token") }
        for (r, p) in prompts.enumerated() {
            for (j, id) in p.enumerated() where id < 0 || id >= c.vocabSize {
                throw ModelError("prompt token \(id) at [\(r), \(j)] is outside the vocabulary (0..<\(c.vocabSize))")
            }
        }
        let b = prompts.count, t0 = prompts.map(\.count).max()!
        let total = t0 + g.maxNewTokens
        let C = c.hidden, H = c.heads, G = c.kvHeads, D = c.headDim, F = c.intermediate, V = c.vocabSize
        let rope = Rope(dim: D, positions: total, theta: c.ropeTheta, invFreq: c.ropeInvFreq)
        let cache = KVCache(layers: layers.count, batch: b, capacity: total, width: G * D)
        // Key mask per row over cache slots: left padding is 0.
        var keyMask = [[Int32]](repeating: [Int32](repeating: 1, count: total), count: b)
        var nextPos = [Int](repeating: 0, count: b)
        var ids = [[Int]](repeating: [], count: b)
        var posRows: [Int] = []
        for (r, p) in prompts.enumerated() {
            let pad = t0 - p.count
            for j in 0..<pad { keyMask[r][j] = 0 }
            ids[r] = [Int](repeating: 0, count: pad) + p
            // Positions count real tokens only (as transformers derives them from the mask).
            posRows += (0..<t0).map { max(0, $0 - pad) }
            nextPos[r] = p.count
        }
        let scale = 1 / Float(D).squareRoot()
        var sampler = Sampler(g)
        var seen = prompts
        var out = [[Int]](repeating: [], count: b)
        var done = [Bool](repeating: false, count: b)
        var filled = 0  // cache slots used (same for every row)
        var step = ids  // tokens to feed: all prompt tokens first, then one per row
        while true {
            let t = step[0].count, n = b * t
            var x = FloatBuffer(count: n * C)
            for (r, id) in step.joined().enumerated() { (x.ptr + r * C).update(from: embed.ptr + id * C, count: C) }
            let positions = filled == 0 ? posRows : nextPos.map { $0 - 1 }
            for (li, L) in layers.enumerated() {
                let h1 = FloatBuffer(count: n * C), rs = FloatBuffer(count: n)
                Kernels.rmsNorm(x.ptr, L.inputNorm.ptr, h1.ptr, rstd: rs.ptr, n: n, c: C, eps: c.rmsEps)
                let q = FloatBuffer(count: n * H * D), k = FloatBuffer(count: n * G * D), v = FloatBuffer(count: n * G * D)
                L.q.forward(h1.ptr, n: n, into: q.ptr); L.k.forward(h1.ptr, n: n, into: k.ptr); L.v.forward(h1.ptr, n: n, into: v.ptr)
                rope.apply(q.ptr, rows: n, heads: H, positions: positions)
                rope.apply(k.ptr, rows: n, heads: G, positions: positions)
                let attn = FloatBuffer(count: n * H * D)
                let s = filled + t
                let probs = FloatBuffer(count: H * t * s)
                for r in 0..<b {
                    let kc = cache.k[li][r].ptr, vc = cache.v[li][r].ptr
                    (kc + filled * G * D).update(from: k.ptr + r * t * G * D, count: t * G * D)
                    (vc + filled * G * D).update(from: v.ptr + r * t * G * D, count: t * G * D)
                    keyMask[r].withUnsafeBufferPointer { m in
                        Attention.forward(q: q.ptr + r * t * H * D, k: kc, v: vc, out: attn.ptr + r * t * H * D, probs: probs.ptr,
                                          b: 1, t: t, s: s, h: H, g: G, d: D, causal: true, keyMask: m.baseAddress!, scale: scale)
                    }
                }
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
            filled += t
            // Only each row's last position needs logits.
            let last = FloatBuffer(count: b * C), lastN = FloatBuffer(count: b * C), rs = FloatBuffer(count: b)
            for r in 0..<b { (last.ptr + r * C).update(from: x.ptr + (r * t + t - 1) * C, count: C) }
            Kernels.rmsNorm(last.ptr, finalNorm.ptr, lastN.ptr, rstd: rs.ptr, n: b, c: C, eps: c.rmsEps)
            let logits = FloatBuffer(count: b * V)
            lmHead.forward(lastN.ptr, n: b, into: logits.ptr)
            var next = [[Int]]()
            for r in 0..<b {
                let tok = done[r] ? 0 : sampler.pick(logits.ptr + r * V, v: V, seen: seen[r])
                if !done[r] {
                    out[r].append(tok)
                    seen[r].append(tok)
                    if g.stopTokens.contains(tok) { done[r] = true }
                }
                next.append([tok])
                nextPos[r] += 1
            }
            if out.allSatisfy({ $0.count >= g.maxNewTokens }) || done.allSatisfy({ $0 }) || filled >= total { break }
            if zip(out, done).allSatisfy({ $0.count >= g.maxNewTokens || $1 }) { break }
            step = next
        }
        return out
    }
}
