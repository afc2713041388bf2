// Shapes: B batch, T query positions, S key positions (T here: no cache), H query heads,
// G key/value heads (H divisible by G; G < H is grouped-query attention), D head dim.
// q, dq: [B, T, H, D]; k, v, dk, dv: [B, S, G, D]; out: [B, T, H, D]; probs: [B, H, T, S].
import Foundation

/// Rotary position embeddings as Hugging Face applies them (`rotate_half`: the two halves
/// of each head are the rotated pairs).
public struct Rope: Sendable {
    /// cos and sin per position, [positions, D] (each half repeated).
    public let cos: [Float]
    public let sin: [Float]
    public let dim: Int
    /// Positions the table covers.
    public var positions: Int { cos.count / max(dim, 1) }

    /// inverse frequency i = 1/θ^(2i/D); `invFreq` overrides it (scaled variants).
    public init(dim: Int, positions: Int, theta: Double, invFreq: [Double]? = nil) {
        self.dim = dim
        let half = dim / 2
        let inv = invFreq ?? (0..<half).map { 1 / pow(theta, Double(2 * $0) / Double(dim)) }
        var c = [Float](repeating: 0, count: positions * dim), s = c
        for p in 0..<positions {
            for i in 0..<half {
                // Angles in fp32 as PyTorch forms them (position · inv_freq in fp32), then cos/sin.
                let angle = Float(p) * Float(inv[i])
                c[p * dim + i] = Foundation.cos(angle); c[p * dim + i + half] = Foundation.cos(angle)
                s[p * dim + i] = Foundation.sin(angle); s[p * dim + i + half] = Foundation.sin(angle)
            }
        }
        cos = c
        sin = s
    }

    /// Rotates x [rows, heads, D] in place; row r is at position `positions[r]`.
    /// `inverse` applies the transpose rotation (the backward pass).
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, positions: UnsafePointer<Int>, inverse: Bool = false) {
        let half = dim / 2
        let sign: Float = inverse ? -1 : 1
        parallelRows(rows, minRows: 8) { rs in
            for r in rs {
                let p = positions[r]
                for h in 0..<heads {
                    let v = x + (r * heads + h) * dim
                    for i in 0..<half {
                        let c = cos[p * dim + i], s = sign * sin[p * dim + i]
                        let a = v[i], b = v[i + half]
                        v[i] = a * c - b * s
                        v[i + half] = b * c + a * s
                    }
                }
            }
        }
    }
}

/// Scaled dot-product attention with a causal and a padding mask, forward and backward.
public enum Attention {
    /// out = softmax(q·kᵀ·scale + mask)·v per batch row and head; saves the probabilities.
    /// `keyMask[b·S + j]` = 0 masks key j of row b (padding). A query whose every key is
    /// masked attends uniformly to all keys, as Hugging Face's additive min-value mask does.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               b: Int, t: Int, s: Int, h: Int, g: Int, d: Int, causal: Bool, keyMask: UnsafePointer<Int32>?,
                               scale: Float) {
        let perGroup = h / g
        let pairs = b * h
        BLAS.withThreads(pairs > 1 ? 1 : BLAS.threads) {
        parallelRows(pairs, minRows: 1) { range in
            for pair in range {
                let bi = pair / h, hi = pair % h, gi = hi / perGroup
                let qp = q + (bi * t * h + hi) * d, kp = k + (bi * s * g + gi) * d, vp = v + (bi * s * g + gi) * d
                let pr = probs + pair * t * s
                BLAS.gemm(qp, kp, pr, m: t, n: s, k: d, transB: true, alpha: scale, lda: h * d, ldb: g * d, ldc: s)
                for i in 0..<t { maskedSoftmax(pr + i * s, row: i, batch: bi, t: t, s: s, causal: causal, keyMask: keyMask) }
                BLAS.gemm(pr, vp, out + (bi * t * h + hi) * d, m: t, n: d, k: s, lda: s, ldb: g * d, ldc: h * d)
            }
        }
        }
    }

    /// Softmax of one row of scores over the keys query `row` may see; masked keys get
    /// probability 0 (their exp is never taken). A fully masked row becomes uniform.
    ///
    /// `keyMask` values other than 0 and 1 are segment numbers (packed sequences): a query whose
    /// own key is in segment k sees only keys of segment k. With 0/1 masks this is the plain
    /// padding rule, so unpacked batches are unchanged.
    static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, row i: Int, batch: Int, t: Int, s: Int, causal: Bool,
                              keyMask: UnsafePointer<Int32>?) {
        let visible = causal ? min(s, i + (s - t) + 1) : s
        for j in visible..<s { p[j] = 0 }
        if let keyMask {
            let m = keyMask + batch * s
            let own = i + (s - t) < s ? m[i + (s - t)] : 0
            var any = false
            for j in 0..<visible { if m[j] == 0 || (own != 0 && m[j] != own) { p[j] = -.infinity } else { any = true } }
            if !any {
                // Hugging Face's additive min-value mask: every score equal, so uniform over all keys.
                let u = 1 / Float(s)
                for j in 0..<s { p[j] = u }
                return
            }
        }
        Kernels.softmax(p, p, n: 1, c: visible)
    }

    /// Whether query `row` sees no key at all (only padding can do that).
    static func isFullyMasked(row i: Int, batch: Int, t: Int, s: Int, causal: Bool, keyMask: UnsafePointer<Int32>?) -> Bool {
        guard let keyMask else { return false }
        let visible = causal ? min(s, i + (s - t) + 1) : s
        let m = keyMask + batch * s
        for j in 0..<visible where m[j] != 0 { return false }
        return true
    }

    /// Gradients of `forward`: writes dq; adds into dk and dv (several query heads share a
    /// key/value head). `probs` are the saved probabilities.
    public static func backward(dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                probs: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, b: Int, t: Int, s: Int, h: Int, g: Int, d: Int,
                                causal: Bool, keyMask: UnsafePointer<Int32>?, scale: Float) {
        let perGroup = h / g
        // Heads of one key/value group write the same dk/dv rows: parallelise over (batch, group).
        BLAS.withThreads(b * g > 1 ? 1 : BLAS.threads) {
        parallelRows(b * g, minRows: 1) { range in
            var dp = [Float](repeating: 0, count: t * s)
            dp.withUnsafeMutableBufferPointer { dpb in
                let dP = dpb.baseAddress!
                for bg in range {
                    let bi = bg / g, gi = bg % g
                    for hi in (gi * perGroup)..<((gi + 1) * perGroup) {
                        let pair = bi * h + hi
                        let pr = probs + pair * t * s
                        let dop = dout + (bi * t * h + hi) * d
                        let qp = q + (bi * t * h + hi) * d, kp = k + (bi * s * g + gi) * d, vp = v + (bi * s * g + gi) * d
                        // dV += Pᵀ·dO ; dP = dO·Vᵀ
                        BLAS.gemm(pr, dop, dv + (bi * s * g + gi) * d, m: s, n: d, k: t, transA: true, beta: 1, lda: s, ldb: h * d, ldc: g * d)
                        BLAS.gemm(dop, vp, dP, m: t, n: s, k: d, transB: true, lda: h * d, ldb: g * d, ldc: s)
                        // dS = softmax′ · scale; a fully masked query row had constant scores: no gradient.
                        Kernels.softmaxBackward(dP, pr, dP, n: t, c: s)
                        if keyMask != nil {
                            for i in 0..<t where isFullyMasked(row: i, batch: bi, t: t, s: s, causal: causal, keyMask: keyMask) {
                                for j in 0..<s { dP[i * s + j] = 0 }
                            }
                        }
                        // dQ = dS·K·scale ; dK += dSᵀ·Q·scale
                        BLAS.gemm(dP, kp, dq + (bi * t * h + hi) * d, m: t, n: d, k: s, alpha: scale, lda: s, ldb: g * d, ldc: h * d)
                        BLAS.gemm(dP, qp, dk + (bi * s * g + gi) * d, m: s, n: d, k: t, transA: true, alpha: scale, beta: 1, lda: s, ldb: h * d, ldc: g * d)
                    }
                }
            }
        }
        }
    }
}
