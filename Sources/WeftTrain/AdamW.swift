import Foundation
import WeftModels
import WeftTensor

/// A trainable tensor and its gradient.
public struct Parameter: @unchecked Sendable {
    public var name: String
    public var value: FloatBuffer
    public var grad: FloatBuffer
    /// The shape as stored (row-major); Adafactor factors the last two dimensions.
    public var shape: [Int]
    public init(name: String, value: FloatBuffer, grad: FloatBuffer, shape: [Int]? = nil) {
        self.name = name
        self.value = value
        self.grad = grad
        self.shape = shape ?? [value.count]
    }
}

extension LinearModel {
    /// Every LoRA matrix with its gradient (`<module>.lora_A.weight`, PEFT's names).
    public var loraParameters: [Parameter] {
        linears.compactMap { l in l.lora.map { (l, $0) } }.flatMap { l, lora in
            [Parameter(name: l.name + ".lora_A.weight", value: lora.a, grad: lora.gradA, shape: [lora.rank, l.inFeatures]),
             Parameter(name: l.name + ".lora_B.weight", value: lora.b, grad: lora.gradB, shape: [l.outFeatures, lora.rank])]
        }
    }
}

extension LinearModel {
    /// Everything that trains: the trainable base weights (under their checkpoint names) and
    /// every LoRA matrix.
    public var trainableParameters: [Parameter] {
        trainableWeights.map { w in
            // Stored layout: a transposed checkpoint weight (GPT-2's Conv1D) is held [out, in].
            let shape = w.transposed && w.shape.count == 2 ? [w.shape[1], w.shape[0]] : w.shape
            return Parameter(name: w.name, value: w.buffer, grad: w.buffer.grad!, shape: shape)
        } + loraParameters
    }
}

/// AdamW with decoupled weight decay, exactly as `torch.optim.AdamW` (default, non-amsgrad)
/// updates: p ← p·(1 − lr·wd); m, v moving averages; p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε).
public final class AdamW: Optimizer {
    public var lr: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public let name = "adamw"
    public var step = 0
    public var stateBuffers: [FloatBuffer] { m + v }
    let params: [Parameter]
    let m: [FloatBuffer], v: [FloatBuffer]

    public init(_ params: [Parameter], lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.params = params
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        m = params.map { FloatBuffer(count: $0.value.count) }
        v = params.map { FloatBuffer(count: $0.value.count) }
    }

    /// One update from the current gradients.
    public func update() {
        step += 1
        let bc1 = 1 - pow(Double(beta1), Double(step)), bc2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(lr) / bc1), bc2Sqrt = Float(bc2.squareRoot())
        let decay = 1 - lr * weightDecay
        for (k, p) in params.enumerated() {
            let w = p.value.ptr, g = p.grad.ptr, mk = m[k].ptr, vk = v[k].ptr
            for i in 0..<p.value.count {
                w[i] *= decay
                mk[i] = beta1 * mk[i] + (1 - beta1) * g[i]
                vk[i] = beta2 * vk[i] + (1 - beta2) * g[i] * g[i]
                w[i] -= stepSize * mk[i] / (vk[i].squareRoot() / bc2Sqrt + eps)
            }
        }
    }

    /// Sets every gradient to zero (before the next backward pass).
    public func zeroGrad() { for p in params { p.grad.zero() } }
}
