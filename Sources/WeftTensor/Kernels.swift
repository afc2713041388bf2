// Shapes: N rows (B·T flattened), C channels, I inputs, O outputs, V vocabulary.
// Every backward *adds* into parameter gradients (dw, db) and *writes* input gradients (dx).
import Foundation

/// Row-parallel helper: splits `0..<n` into contiguous chunks over the cores.
@inline(__always)
func parallelRows(_ n: Int, minRows: Int = 64, _ body: (Range<Int>) -> Void) {
    // Not ProcessInfo.activeProcessorCount: it reads cgroup files on every call (half of a
    // training step's time once per-row kernels called this).
    let cores = BLAS.parallelism.value
    let chunks = min(cores, max(1, n / minRows))
    if chunks <= 1 { body(0..<n); return }
    withoutActuallyEscaping(body) { f in
        // The chunks write disjoint rows; the pointers the kernels capture are not Sendable.
        let task = UncheckedSendable(f)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            task.value((n * c / chunks)..<(n * (c + 1) / chunks))
        }
    }
}

/// A value handed to parallel workers that only touch disjoint parts of it.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The transformer kernels, forward and backward, on raw fp32 buffers.
public enum Kernels {
    // MARK: linear

    /// y[N,O] = x[N,I] · W[O,I]ᵀ (+ b[O]) — Hugging Face's `nn.Linear` weight layout.
    public static func linear(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
                              _ y: UnsafeMutablePointer<Float>, n: Int, i: Int, o: Int) {
        BLAS.gemm(x, w, y, m: n, n: o, k: i, transB: true)
        guard let b else { return }
        for r in 0..<n { let row = y + r * o; for j in 0..<o { row[j] += b[j] } }
    }

    /// dx = dy·W (nil to skip), dW += dyᵀ·x (nil to skip: frozen), db += Σ rows of dy.
    public static func linearBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                      dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
                                      n: Int, i: Int, o: Int, accumulateDx: Bool = false) {
        if let dx { BLAS.gemm(dy, w, dx, m: n, n: i, k: o, beta: accumulateDx ? 1 : 0) }
        if let dw { BLAS.gemm(dy, x, dw, m: o, n: i, k: n, transA: true, beta: 1) }
        if let db { for r in 0..<n { let row = dy + r * o; for j in 0..<o { db[j] += row[j] } } }
    }

    // MARK: normalisation

    /// RMSNorm (Llama): y = x / sqrt(mean(x²) + eps) · w. Saves 1/rms per row for backward.
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, n: Int, c: Int, eps: Float) {
        parallelRows(n) { rows in
            for r in rows {
                let xr = x + r * c, yr = y + r * c
                var ss: Float = 0
                for j in 0..<c { ss += xr[j] * xr[j] }
                let s = 1 / (ss / Float(c) + eps).squareRoot()
                rstd[r] = s
                for j in 0..<c { yr[j] = xr[j] * s * w[j] }
            }
        }
    }

    /// RMSNorm backward: dx = rstd·(dx̂ − x̂·mean(dx̂·x̂)) with dx̂ = dy·w; dw += Σ dy·x̂.
    public static func rmsNormBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                       rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>?,
                                       n: Int, c: Int) {
        parallelRows(n) { rows in
            for r in rows {
                let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                let s = rstd[r]
                var dot: Float = 0
                for j in 0..<c { dot += dyr[j] * w[j] * xr[j] * s }
                let m = dot / Float(c)
                for j in 0..<c { dxr[j] = s * (dyr[j] * w[j] - xr[j] * s * m) }
            }
        }
        if let dw { for r in 0..<n { let xr = x + r * c, dyr = dy + r * c, s = rstd[r]; for j in 0..<c { dw[j] += dyr[j] * xr[j] * s } } }
    }

    /// LayerNorm (GPT-2, BERT): y = (x − mean)/sqrt(var + eps)·w + b, biased variance.
    public static func layerNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                 n: Int, c: Int, eps: Float) {
        parallelRows(n) { rows in
            for r in rows {
                let xr = x + r * c, yr = y + r * c
                var m: Float = 0
                for j in 0..<c { m += xr[j] }
                m /= Float(c)
                var v: Float = 0
                for j in 0..<c { let d = xr[j] - m; v += d * d }
                let s = 1 / (v / Float(c) + eps).squareRoot()
                mean[r] = m
                rstd[r] = s
                for j in 0..<c { yr[j] = (xr[j] - m) * s * w[j] + b[j] }
            }
        }
    }

    /// LayerNorm backward: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)); dw += Σ dy·x̂; db += Σ dy.
    public static func layerNormBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                         mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                         dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?, n: Int, c: Int) {
        parallelRows(n) { rows in
            for r in rows {
                let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                let m = mean[r], s = rstd[r]
                var sumD: Float = 0, sumDX: Float = 0
                for j in 0..<c {
                    let d = dyr[j] * w[j]
                    sumD += d
                    sumDX += d * (xr[j] - m) * s
                }
                let a = sumD / Float(c), bb = sumDX / Float(c)
                for j in 0..<c { dxr[j] = s * (dyr[j] * w[j] - a - (xr[j] - m) * s * bb) }
            }
        }
        for r in 0..<n {
            let xr = x + r * c, dyr = dy + r * c, m = mean[r], s = rstd[r]
            if let dw { for j in 0..<c { dw[j] += dyr[j] * (xr[j] - m) * s } }
            if let db { for j in 0..<c { db[j] += dyr[j] } }
        }
    }

    // MARK: activations (elementwise over `count` values)

    static let sqrt2OverPi: Float = 0.7978845608028654

    /// GELU, tanh approximation (GPT-2's `gelu_new`): 0.5·x·(1 + tanh u) with
    /// u = √(2/π)(x + 0.044715x³), computed as x·σ(2u) (the same function, no cancellation).
    public static func geluTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        parallelRows(count, minRows: 4096) { r in
            VectorMath.lanes(r) { load, store in
                let v = load(x)
                store(v * VectorMath.sigmoid(2 * sqrt2OverPi * (v + 0.044715 * v * v * v)), y)
            }
        }
    }

    /// dx = dy · GELU′(x), tanh approximation: σ(2u) + 2x·σ(2u)(1 − σ(2u))·u′.
    public static func geluTanhBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int) {
        parallelRows(count, minRows: 4096) { r in
            VectorMath.lanes(r) { load, store in
                let v = load(x)
                let s = VectorMath.sigmoid(2 * sqrt2OverPi * (v + 0.044715 * v * v * v))
                let du = sqrt2OverPi * (1 + 3 * 0.044715 * v * v)
                store(load(dy) * (s + 2 * v * s * (1 - s) * du), dx)
            }
        }
    }

    /// GELU with the exact error function (BERT's `gelu`): x·Φ(x).
    public static func geluErf(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        parallelRows(count, minRows: 4096) { r in
            VectorMath.lanes(r) { load, store in
                let v = load(x)
                store(v * VectorMath.normalCDF(v), y)
            }
        }
    }

    /// dx = dy · (Φ(x) + x·φ(x)).
    public static func geluErfBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int) {
        parallelRows(count, minRows: 4096) { r in
            VectorMath.lanes(r) { load, store in
                let v = load(x)
                store(load(dy) * (VectorMath.normalCDF(v) + v * VectorMath.exp(-0.5 * v * v) * 0.3989422804014327), dx)
            }
        }
    }

    /// SwiGLU (Llama MLP): y = silu(gate)·up.
    public static func swiglu(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        parallelRows(count, minRows: 4096) { r in
            VectorMath.lanes(r) { load, store in
                let g = load(gate)
                store(g * VectorMath.sigmoid(g) * load(up), y)
            }
        }
    }

    /// dgate = dy·up·silu′(gate), dup = dy·silu(gate), with silu′(g) = σ(g)(1 + g(1 − σ(g))).
    public static func swigluBackward(_ dy: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                                      dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>, count: Int) {
        parallelRows(count, minRows: 4096) { r in
            VectorMath.lanes(r) { load, store in
                let g = load(gate), s = VectorMath.sigmoid(g), d = load(dy)
                store(d * load(up) * s * (1 + g * (1 - s)), dgate)
                store(d * g * s, dup)
            }
        }
    }

    // MARK: elementwise

    /// y += x (the residual stream's additions).
    public static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        parallelRows(count, minRows: 16384) { r in
            for i in r { y[i] += x[i] }
        }
    }

    // MARK: dropout and embeddings

    /// Inverted dropout: y = x/(1 − p) where element i is kept, 0 where it is dropped. The mask
    /// is a pure function of (seed, i), so a pass can be replayed exactly and split over cores;
    /// applying it to a gradient with the same seed is the backward. In place is allowed.
    public static func dropout(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, p: Float, seed: UInt64) {
        let keep = 1 / (1 - p)
        let threshold = UInt64(Double(p) * 9007199254740992.0)  // p · 2⁵³
        parallelRows(count, minRows: 8192) { r in
            for i in r {
                y[i] = (SplitMix.value(seed: seed, at: UInt64(i)) >> 11) < threshold ? 0 : x[i] * keep
            }
        }
    }

    /// Embedding backward: dTable[ids[r]] += dy[r] for every row r (repeated ids add up).
    public static func embeddingBackward(_ dy: UnsafePointer<Float>, ids: [Int], dTable: UnsafeMutablePointer<Float>, c: Int) {
        for (r, id) in ids.enumerated() {
            let src = dy + r * c, dst = dTable + id * c
            for j in 0..<c { dst[j] += src[j] }
        }
    }

    // MARK: softmax and loss

    /// Row-wise softmax, max-subtracted; in place is allowed.
    public static func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, c: Int) {
        parallelRows(n, minRows: 16) { rows in
            for r in rows {
                let xr = x + r * c, yr = y + r * c
                let m = VectorMath.max(xr, count: c)
                let s = VectorMath.expShifted(xr, yr, count: c, shift: m)
                let inv = 1 / s
                for j in 0..<c { yr[j] *= inv }
            }
        }
    }

    /// Softmax backward from its output: dx = y·(dy − Σ dy·y); in place over dy is allowed.
    public static func softmaxBackward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, n: Int, c: Int) {
        parallelRows(n, minRows: 16) { rows in
            for r in rows {
                let yr = y + r * c, dyr = dy + r * c, dxr = dx + r * c
                var dot: Float = 0
                for j in 0..<c { dot += dyr[j] * yr[j] }
                for j in 0..<c { dxr[j] = yr[j] * (dyr[j] - dot) }
            }
        }
    }

    /// The target value that marks a position without loss (PyTorch's `ignore_index`).
    public static let ignoreIndex = -100

    /// Mean cross-entropy over rows whose target is a class (rows with `ignoreIndex`, or any
    /// target outside 0..<V, which callers reject beforehand, count as ignored); writes dlogits
    /// (of the mean) when given. Returns (loss, counted rows); the loss is 0 when no row counts.
    /// Row sums in fp32 (as PyTorch's fp32 kernel), the mean over rows in Double.
    @discardableResult
    public static func crossEntropy(_ logits: UnsafePointer<Float>, targets: UnsafePointer<Int>, n: Int, v: Int,
                                    dlogits: UnsafeMutablePointer<Float>?) -> (loss: Double, count: Int) {
        var count = 0
        for r in 0..<n where targets[r] >= 0 && targets[r] < v { count += 1 }
        let scale = count > 0 ? 1 / Float(count) : 0
        // Per-row losses in parallel; the mean is summed in Double, in row order, afterwards.
        let rowLoss = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        defer { rowLoss.deallocate() }
        parallelRows(n, minRows: 8) { rows in
            for r in rows {
                let lr = logits + r * v
                let t = targets[r]
                rowLoss[r] = 0
                guard t >= 0, t < v else {
                    if let dlogits { (dlogits + r * v).update(repeating: 0, count: v) }
                    continue
                }
                let m = VectorMath.max(lr, count: v)
                let s: Float
                if let dlogits {
                    // One exp per logit: keep exp(l − max) and rescale it into the gradient.
                    let d = dlogits + r * v
                    s = VectorMath.expShifted(lr, d, count: v, shift: m)
                    let f = scale / s
                    for j in 0..<v { d[j] *= f }
                    d[t] -= scale
                } else {
                    s = VectorMath.expShifted(lr, nil, count: v, shift: m)
                }
                rowLoss[r] = Double(m + log(s)) - Double(lr[t])
            }
        }
        var total = 0.0
        for r in 0..<n { total += rowLoss[r] }
        return (count > 0 ? total / Double(count) : 0, count)
    }
}
