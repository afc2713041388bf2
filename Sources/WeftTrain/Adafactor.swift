import Foundation
import WeftModels
import WeftTensor

/// Adafactor (Shazeer & Stern 2018) as `transformers.optimization.Adafactor` updates, which
/// is what the Hugging Face Trainer's `adafactor` option runs: second moments factored into
/// row and column averages for matrices (full for vectors), the update clipped by its RMS,
/// a relative step size min(1e-2, 1/√t) (or a fixed `lr`) scaled by the parameter's RMS,
/// optional first moment (`beta1`) and weight decay scaled by the step size.
public final class Adafactor: Optimizer {
    public let name = "adafactor"
    /// The fixed step size; ignored (and nil in the reference) with `relativeStep`.
    public var lr: Float
    public let eps1: Float, eps2: Float, clipThreshold: Float, decayRate: Double
    public let beta1: Float?, weightDecay: Float
    public let scaleParameter: Bool, relativeStep: Bool, warmupInit: Bool
    public var step = 0
    public var stateBuffers: [FloatBuffer] { rows + cols + full + first }
    let params: [Parameter]
    /// Per parameter: row and column moments (factored) or the full moment, and the first moment.
    let rows: [FloatBuffer], cols: [FloatBuffer], full: [FloatBuffer], first: [FloatBuffer]

    public init(_ params: [Parameter], lr: Float? = nil, eps: (Float, Float) = (1e-30, 1e-3), clipThreshold: Float = 1, decayRate: Double = -0.8,
                beta1: Float? = nil, weightDecay: Float = 0, scaleParameter: Bool = true, relativeStep: Bool = true, warmupInit: Bool = false) throws {
        if lr != nil && relativeStep { throw TrainError("adafactor: a fixed lr and relative_step cannot be combined (set relative_step: false to use lr)") }
        if lr == nil && !relativeStep { throw TrainError("adafactor: without relative_step it needs an lr") }
        if warmupInit && !relativeStep { throw TrainError("adafactor: warmup_init needs relative_step") }
        self.params = params
        self.lr = lr ?? 0
        (eps1, eps2) = eps
        self.clipThreshold = clipThreshold
        self.decayRate = decayRate
        self.beta1 = beta1
        self.weightDecay = weightDecay
        self.scaleParameter = scaleParameter
        self.relativeStep = relativeStep
        self.warmupInit = warmupInit
        func factored(_ p: Parameter) -> (Int, Int)? {
            guard p.shape.count >= 2 else { return nil }
            let c = p.shape[p.shape.count - 1]
            return (p.value.count / c, c)
        }
        rows = params.map { FloatBuffer(count: factored($0)?.0 ?? 0) }
        cols = params.map { FloatBuffer(count: factored($0)?.1 ?? 0) }
        full = params.map { FloatBuffer(count: factored($0) == nil ? $0.value.count : 0) }
        first = params.map { FloatBuffer(count: beta1 == nil ? 0 : $0.value.count) }
    }

    static func rms(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        var s = 0.0
        for i in 0..<n { s += Double(p[i]) * Double(p[i]) }
        return Float(s.squareRoot() / Double(n).squareRoot())
    }

    public func update() {
        step += 1
        let t = Double(step)
        let beta2t = Float(1 - pow(t, decayRate))
        for (k, p) in params.enumerated() {
            let n = p.value.count, w = p.value.ptr, g = p.grad.ptr
            var stepSize = Double(lr)
            if relativeStep { stepSize = min(warmupInit ? 1e-6 * t : 1e-2, 1 / t.squareRoot()) }
            if scaleParameter { stepSize *= Double(max(eps2, Self.rms(w, n))) }
            let u = FloatBuffer(count: n), up = u.ptr
            if rows[k].count > 0 {
                let r = rows[k].count, c = cols[k].count, rp = rows[k].ptr, cp = cols[k].ptr
                var colSums = [Double](repeating: 0, count: c)
                for i in 0..<r {
                    var rowSum = 0.0
                    for j in 0..<c {
                        let x = Double(g[i * c + j] * g[i * c + j] + eps1)
                        rowSum += x
                        colSums[j] += x
                    }
                    rp[i] = rp[i] * beta2t + Float(rowSum / Double(c)) * (1 - beta2t)
                }
                for j in 0..<c { cp[j] = cp[j] * beta2t + Float(colSums[j] / Double(r)) * (1 - beta2t) }
                var rowMean = 0.0
                for i in 0..<r { rowMean += Double(rp[i]) }
                let meanRow = Float(rowMean / Double(r))
                for i in 0..<r {
                    let rf = 1 / (rp[i] / meanRow).squareRoot()
                    for j in 0..<c { up[i * c + j] = rf * (1 / cp[j].squareRoot()) * g[i * c + j] }
                }
            } else {
                let v = full[k].ptr
                for i in 0..<n {
                    v[i] = v[i] * beta2t + (g[i] * g[i] + eps1) * (1 - beta2t)
                    up[i] = (1 / v[i].squareRoot()) * g[i]
                }
            }
            let clip = max(Self.rms(up, n) / clipThreshold, 1)
            let s = Float(stepSize)
            for i in 0..<n { up[i] = up[i] / clip * s }
            if let b1 = beta1 {
                let m = first[k].ptr
                for i in 0..<n { m[i] = m[i] * b1 + up[i] * (1 - b1); up[i] = m[i] }
            }
            if weightDecay != 0 {
                let d = -weightDecay * s
                for i in 0..<n { w[i] += w[i] * d }
            }
            for i in 0..<n { w[i] -= up[i] }
        }
    }

    public func zeroGrad() { for p in params { p.grad.zero() } }
}
