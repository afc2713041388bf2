import Foundation
import Testing
@testable import WeftTensor

/// Deterministic pseudo-random values in [-1, 1] (SplitMix64), so failures reproduce.
struct Noise {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(Double(z >> 11) / Double(1 << 53)) * 2 - 1
    }
    mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
}

/// Central finite differences of `loss` at up to `samples` coordinates of `x`, compared with
/// the analytic gradient. Returns the worst |fd − g| / (|fd| + |g| + 1e-3). The step is
/// 1e-2 with the loss evaluated in Double on fp32 kernel outputs, so ~1e-3 agreement is the
/// floor; the tests require ≤ 2e-2 per coordinate (and most land below 1e-3).
func finiteDifferenceError(_ x: [Float], grad: [Float], samples: Int = 24, step: Float = 1e-2, _ loss: ([Float]) -> Double) -> Double {
    var worst = 0.0
    let stride = max(1, x.count / samples)
    for i in Swift.stride(from: 0, to: x.count, by: stride) {
        var p = x, m = x
        p[i] += step
        m[i] -= step
        let fd = (loss(p) - loss(m)) / Double(2 * step)
        worst = max(worst, abs(fd - Double(grad[i])) / (abs(fd) + abs(Double(grad[i])) + 1e-3))
    }
    return worst
}

/// Σ y·r: a scalar whose gradient with respect to y is r.
func project(_ y: [Float], _ r: [Float]) -> Double { zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

@Suite("kernels: gradients by finite differences")
struct KernelGradientTests {
    let tolerance = 2e-2

    @Test("linear: dx, dW, db")
    func linear() {
        var g = Noise(1)
        let (n, i, o) = (4, 6, 5)
        let x = g.array(n * i), w = g.array(o * i), b = g.array(o), r = g.array(n * o)
        func f(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var y = [Float](repeating: 0, count: n * o)
            Kernels.linear(x, w, b, &y, n: n, i: i, o: o)
            return project(y, r)
        }
        var dx = [Float](repeating: 0, count: n * i), dw = [Float](repeating: 0, count: o * i), db = [Float](repeating: 0, count: o)
        Kernels.linearBackward(r, x, w, dx: &dx, dw: &dw, db: &db, n: n, i: i, o: o)
        #expect(finiteDifferenceError(x, grad: dx) { f($0, w, b) } < tolerance)
        #expect(finiteDifferenceError(w, grad: dw) { f(x, $0, b) } < tolerance)
        #expect(finiteDifferenceError(b, grad: db) { f(x, w, $0) } < tolerance)
    }

    @Test("RMSNorm and LayerNorm: dx and the affine parameters")
    func norms() {
        var g = Noise(2)
        let (n, c) = (3, 16)
        let x = g.array(n * c, scale: 2), w = g.array(c), b = g.array(c), r = g.array(n * c)
        func rms(_ x: [Float], _ w: [Float]) -> Double {
            var y = [Float](repeating: 0, count: n * c), s = [Float](repeating: 0, count: n)
            Kernels.rmsNorm(x, w, &y, rstd: &s, n: n, c: c, eps: 1e-6)
            return project(y, r)
        }
        var y = [Float](repeating: 0, count: n * c), rstd = [Float](repeating: 0, count: n), mean = rstd
        Kernels.rmsNorm(x, w, &y, rstd: &rstd, n: n, c: c, eps: 1e-6)
        var dx = [Float](repeating: 0, count: n * c), dw = [Float](repeating: 0, count: c), db = dw
        Kernels.rmsNormBackward(r, x, w, rstd: rstd, dx: &dx, dw: &dw, n: n, c: c)
        #expect(finiteDifferenceError(x, grad: dx) { rms($0, w) } < tolerance)
        #expect(finiteDifferenceError(w, grad: dw) { rms(x, $0) } < tolerance)

        func ln(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var y = [Float](repeating: 0, count: n * c), m = [Float](repeating: 0, count: n), s = m
            Kernels.layerNorm(x, w, b, &y, mean: &m, rstd: &s, n: n, c: c, eps: 1e-5)
            return project(y, r)
        }
        Kernels.layerNorm(x, w, b, &y, mean: &mean, rstd: &rstd, n: n, c: c, eps: 1e-5)
        dw = [Float](repeating: 0, count: c)
        Kernels.layerNormBackward(r, x, w, mean: mean, rstd: rstd, dx: &dx, dw: &dw, db: &db, n: n, c: c)
        #expect(finiteDifferenceError(x, grad: dx) { ln($0, w, b) } < tolerance)
        #expect(finiteDifferenceError(w, grad: dw) { ln(x, $0, b) } < tolerance)
        #expect(finiteDifferenceError(b, grad: db) { ln(x, w, $0) } < tolerance)
    }

    @Test("GELU (tanh and erf) and SwiGLU")
    func activations() {
        var g = Noise(3)
        let count = 40
        let x = g.array(count, scale: 3), up = g.array(count), r = g.array(count)
        for (fwd, bwd) in [(Kernels.geluTanh, Kernels.geluTanhBackward), (Kernels.geluErf, Kernels.geluErfBackward)] {
            func f(_ x: [Float]) -> Double { var y = [Float](repeating: 0, count: count); fwd(x, &y, count); return project(y, r) }
            var dx = [Float](repeating: 0, count: count)
            bwd(r, x, &dx, count)
            #expect(finiteDifferenceError(x, grad: dx, samples: count, f) < tolerance)
        }
        // erf GELU against its definition; tanh GELU within its known approximation error.
        var y = [Float](repeating: 0, count: count), yt = y
        Kernels.geluErf(x, &y, count: count)
        Kernels.geluTanh(x, &yt, count: count)
        for k in 0..<count {
            let v = Double(x[k])
            #expect(abs(Double(y[k]) - 0.5 * v * (1 + erf(v / 2.0.squareRoot()))) < 1e-6)
            #expect(abs(y[k] - yt[k]) < 1e-3)
            // The vectorised x·σ(2u) form equals the tanh definition (PyTorch's gelu_new).
            let u = 0.7978845608028654 * (v + 0.044715 * v * v * v)
            #expect(abs(Double(yt[k]) - 0.5 * v * (1 + tanh(u))) < 1e-6 * max(1, abs(v)))
        }
        var ys = [Float](repeating: 0, count: count)
        Kernels.swiglu(x, up, &ys, count: count)
        for k in 0..<count {
            let v = Double(x[k])
            #expect(abs(Double(ys[k]) - v / (1 + Foundation.exp(-v)) * Double(up[k])) < 1e-6 * max(1, abs(v)))
        }
        func sw(_ gate: [Float], _ up: [Float]) -> Double { var y = [Float](repeating: 0, count: count); Kernels.swiglu(gate, up, &y, count: count); return project(y, r) }
        var dg = [Float](repeating: 0, count: count), du = dg
        Kernels.swigluBackward(r, x, up, dgate: &dg, dup: &du, count: count)
        #expect(finiteDifferenceError(x, grad: dg, samples: count) { sw($0, up) } < tolerance)
        #expect(finiteDifferenceError(up, grad: du, samples: count) { sw(x, $0) } < tolerance)
    }

    @Test("softmax backward; cross-entropy value, ignore index and dlogits")
    func softmaxAndLoss() {
        var g = Noise(4)
        let (n, c) = (5, 7)
        let x = g.array(n * c, scale: 3), r = g.array(n * c)
        func sm(_ x: [Float]) -> Double { var y = [Float](repeating: 0, count: n * c); Kernels.softmax(x, &y, n: n, c: c); return project(y, r) }
        var y = [Float](repeating: 0, count: n * c), dx = y
        Kernels.softmax(x, &y, n: n, c: c)
        Kernels.softmaxBackward(r, y, &dx, n: n, c: c)
        #expect(finiteDifferenceError(x, grad: dx, samples: n * c, sm) < tolerance)

        let targets = [2, Kernels.ignoreIndex, 0, 6, 3]
        var dl = [Float](repeating: 0, count: n * c)
        let (loss, count) = Kernels.crossEntropy(x, targets: targets, n: n, v: c, dlogits: &dl)
        #expect(count == 4)
        var want = 0.0
        for row in 0..<n where targets[row] >= 0 {
            let l = (0..<c).map { Double(x[row * c + $0]) }
            want += log(l.map(exp).reduce(0, +)) - l[targets[row]]
        }
        #expect(abs(loss - want / 4) < 1e-6)
        #expect(dl[c..<(2 * c)].allSatisfy { $0 == 0 }, "an ignored row gets no gradient")
        #expect(finiteDifferenceError(x, grad: dl, samples: n * c) { Kernels.crossEntropy($0, targets: targets, n: n, v: c, dlogits: nil).loss } < tolerance)
        #expect(Kernels.crossEntropy(x, targets: [Int](repeating: -100, count: n), n: n, v: c, dlogits: nil).count == 0)
    }

    @Test("RoPE: the rotate-half rotation, its inverse, and its gradient")
    func rope() {
        var g = Noise(5)
        let (rows, heads, d) = (4, 2, 8)
        let rope = Rope(dim: d, positions: 16, theta: 10000)
        let positions = [0, 3, 7, 15]
        let x = g.array(rows * heads * d), r = g.array(rows * heads * d)
        var y = x
        rope.apply(&y, rows: rows, heads: heads, positions: positions)
        // Position 0 is the identity; position p rotates pair i by p/θ^(2i/d).
        #expect(Array(y[0..<(heads * d)]) == Array(x[0..<(heads * d)]))
        let p = 3.0, i = 1, base = 1 * heads * d
        let angle = p / pow(10000, 2.0 * Double(i) / Double(d))
        let want = Double(x[base + i]) * cos(angle) - Double(x[base + i + d / 2]) * sin(angle)
        #expect(abs(Double(y[base + i]) - want) < 1e-5)
        var back = y
        rope.apply(&back, rows: rows, heads: heads, positions: positions, inverse: true)
        for k in 0..<x.count { #expect(abs(back[k] - x[k]) < 1e-5) }
        var dx = r
        rope.apply(&dx, rows: rows, heads: heads, positions: positions, inverse: true)
        #expect(finiteDifferenceError(x, grad: dx) { var y = $0; rope.apply(&y, rows: rows, heads: heads, positions: positions); return project(y, r) } < tolerance)
    }

    @Test("attention with grouped-query heads, causal and padding masks: forward against a plain loop, dq/dk/dv")
    func attention() {
        var g = Noise(6)
        let (b, t, h, kvh, d) = (2, 5, 4, 2, 8)
        let s = t
        let q = g.array(b * t * h * d), k = g.array(b * s * kvh * d), v = g.array(b * s * kvh * d), r = g.array(b * t * h * d)
        let keyMask: [Int32] = [1, 1, 1, 1, 1, /* row 1: left padding */ 0, 0, 1, 1, 1]
        let scale = 1 / Float(d).squareRoot()
        func run(_ q: [Float], _ k: [Float], _ v: [Float]) -> ([Float], [Float]) {
            var out = [Float](repeating: 0, count: b * t * h * d), probs = [Float](repeating: 0, count: b * h * t * s)
            Attention.forward(q: q, k: k, v: v, out: &out, probs: &probs, b: b, t: t, s: s, h: h, g: kvh, d: d,
                              causal: true, keyMask: keyMask, scale: scale)
            return (out, probs)
        }
        let (out, probs) = run(q, k, v)
        // A plain loop in Double, masking as Hugging Face does.
        for bi in 0..<b {
            for hi in 0..<h {
                let gi = hi / (h / kvh)
                for i in 0..<t {
                    var w = (0..<s).map { j -> Double? in
                        guard j <= i, keyMask[bi * s + j] == 1 else { return nil }
                        return (0..<d).reduce(0.0) { $0 + Double(q[((bi * t + i) * h + hi) * d + $1]) * Double(k[((bi * s + j) * kvh + gi) * d + $1]) } * Double(scale)
                    }
                    if w.allSatisfy({ $0 == nil }) { w = [Double?](repeating: 0, count: s) }
                    let m = w.compactMap { $0 }.max()!
                    let e = w.map { $0.map { exp($0 - m) } ?? 0 }
                    let z = e.reduce(0, +)
                    for dd in 0..<d {
                        let want = (0..<s).reduce(0.0) { $0 + e[$1] / z * Double(v[((bi * s + $1) * kvh + gi) * d + dd]) }
                        #expect(abs(Double(out[((bi * t + i) * h + hi) * d + dd]) - want) < 1e-5)
                    }
                }
            }
        }
        var dq = [Float](repeating: 0, count: q.count), dk = [Float](repeating: 0, count: k.count), dv = dk
        Attention.backward(dout: r, q: q, k: k, v: v, probs: probs, dq: &dq, dk: &dk, dv: &dv, b: b, t: t, s: s, h: h, g: kvh, d: d,
                           causal: true, keyMask: keyMask, scale: scale)
        #expect(finiteDifferenceError(q, grad: dq, samples: 40) { project(run($0, k, v).0, r) } < tolerance)
        #expect(finiteDifferenceError(k, grad: dk, samples: 40) { project(run(q, $0, v).0, r) } < tolerance)
        #expect(finiteDifferenceError(v, grad: dv, samples: 40) { project(run(q, k, $0).0, r) } < tolerance)
    }
}

@Suite("vector math")
struct VectorMathTests {
    @Test("vectorised erfc keeps 4e-7 relative precision into the tails; GELU(erf) matches its definition there")
    func erfc() {
        var worst = 0.0
        for x in stride(from: 0.0, through: 9.2, by: 0.0011) {
            let got = VectorMath.erfc(nonNegative: SIMD16<Float>(repeating: Float(x)))[0]
            let want = Foundation.erfc(Double(Float(x)))
            worst = max(worst, abs(Double(got) / want - 1))
        }
        #expect(worst < 4e-7, "worst relative error \(worst)")
        // GELU(x) = x·Φ(x) for x far below zero is tiny, and still right relatively: to within
        // what rounding x/√2 to fp32 costs (relative 6e-8 on a, so x²·6e-8 on e^(−x²/2)).
        let xs: [Float] = [-12, -8, -5.5, -3, -1, -1e-3, 0, 1e-3, 1, 3, 5.5, 8, 12]
        var y = [Float](repeating: 0, count: xs.count)
        Kernels.geluErf(xs, &y, count: xs.count)
        for (x, got) in zip(xs, y) {
            let v = Double(x), want = 0.5 * v * Foundation.erfc(-v / 2.0.squareRoot())
            #expect(abs(Double(got) - want) <= (1e-6 + v * v * 1.2e-7) * abs(want), "GELU(\(x)) = \(got), want \(want)")
        }
    }

    @Test("vectorised exp is within 3e-7 relative of libm over the fp32 range, 0 below it, and sums rows")
    func exp() {
        var xs: [Float] = stride(from: -87.0, through: 88.0, by: 0.0137).map { Float($0) }
        xs += [-1e30, -.infinity, -100, 0, -0.0, 1e-8, 88.5]
        var ys = [Float](repeating: 0, count: xs.count)
        let sum = VectorMath.expShifted(xs, &ys, count: xs.count, shift: 0)
        var worst: Float = 0
        for (x, y) in zip(xs, ys) {
            let want = Foundation.exp(x)
            if x < -87.3 { #expect(y == 0); continue }
            worst = max(worst, abs(y - want) / want)
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        #expect(sum.isInfinite, "the row sum overflows like any fp32 sum of these")
        let small: [Float] = (0..<37).map { Float($0) * 0.1 - 2 }
        var out = [Float](repeating: 0, count: small.count)
        let s2 = VectorMath.expShifted(small, &out, count: small.count, shift: 1)
        #expect(abs(Double(s2) - small.reduce(0.0) { $0 + Foundation.exp(Double($1) - 1) }) < 1e-5)
        #expect(VectorMath.max(xs, count: xs.count) == 88.5)
    }
}
