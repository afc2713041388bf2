import Foundation
import WeftModels
import WeftTensor

/// An optimiser over a fixed list of parameters: `update()` applies one step from the
/// current gradients at learning rate `lr` (a schedule sets it before each step).
public protocol Optimizer: AnyObject {
    /// The name users write (`adamw`, `lion`, `adafactor`, `sgd`).
    var name: String { get }
    var lr: Float { get set }
    /// Steps taken so far (set when resuming from a checkpoint).
    var step: Int { get set }
    /// The optimiser's state tensors in a fixed order (moments, factored rows/columns): what a
    /// checkpoint saves so a resumed run continues exactly.
    var stateBuffers: [FloatBuffer] { get }
    func update()
    func zeroGrad()
}

/// Why an optimiser or schedule cannot be built, said so a user can fix it.
public struct TrainError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The optimisers by name, with their hyperparameters.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case adamw, lion, adafactor, sgd

    /// Parses a name; an unknown one lists the valid names.
    public init(name: String) throws {
        guard let k = OptimizerKind(rawValue: name.lowercased()) else {
            throw TrainError("unknown optimizer '\(name)'; valid optimizers: " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = k
    }
}

/// SGD exactly as `torch.optim.SGD`: coupled L2 weight decay (g + wd·p), momentum buffer
/// started from the first gradient, dampening, Nesterov.
public final class SGD: Optimizer {
    public let name = "sgd"
    public var lr: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    public var step = 0
    public var stateBuffers: [FloatBuffer] { buffers }
    let params: [Parameter]
    let buffers: [FloatBuffer]

    public init(_ params: [Parameter], lr: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) throws {
        if nesterov && (momentum <= 0 || dampening != 0) { throw TrainError("SGD with nesterov needs momentum > 0 and dampening 0") }
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        buffers = params.map { FloatBuffer(count: momentum != 0 ? $0.value.count : 0) }
    }

    public func update() {
        step += 1
        for (k, p) in params.enumerated() {
            let w = p.value.ptr, g = p.grad.ptr
            let buf = buffers[k].ptr
            for i in 0..<p.value.count {
                var d = g[i]
                if weightDecay != 0 { d += weightDecay * w[i] }
                if momentum != 0 {
                    buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d
                    d = nesterov ? d + momentum * buf[i] : buf[i]
                }
                w[i] -= lr * d
            }
        }
    }

    public func zeroGrad() { for p in params { p.grad.zero() } }
}

/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms") as its
/// authors' reference `lion-pytorch` updates: p ← p·(1 − lr·wd);
/// p ← p − lr·sign(β₁·m + (1 − β₁)·g); m ← β₂·m + (1 − β₂)·g. sign(0) = 0.
public final class Lion: Optimizer {
    public let name = "lion"
    public var lr: Float
    public let beta1: Float, beta2: Float, weightDecay: Float
    public var step = 0
    public var stateBuffers: [FloatBuffer] { m }
    let params: [Parameter]
    let m: [FloatBuffer]

    public init(_ params: [Parameter], lr: Float = 1e-4, beta1: Float = 0.9, beta2: Float = 0.99, weightDecay: Float = 0) {
        self.params = params
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.weightDecay = weightDecay
        m = params.map { FloatBuffer(count: $0.value.count) }
    }

    public func update() {
        step += 1
        let decay = 1 - lr * weightDecay
        for (k, p) in params.enumerated() {
            let w = p.value.ptr, g = p.grad.ptr, mk = m[k].ptr
            for i in 0..<p.value.count {
                w[i] *= decay
                let c = mk[i] * beta1 + g[i] * (1 - beta1)
                w[i] -= lr * (c > 0 ? 1 : c < 0 ? -1 : 0)
                mk[i] = mk[i] * beta2 + g[i] * (1 - beta2)
            }
        }
    }

    public func zeroGrad() { for p in params { p.grad.zero() } }
}

/// Gradient-norm clipping as `torch.nn.utils.clip_grad_norm_` (L2): the total norm is the
/// norm of the per-parameter norms; when it exceeds `maxNorm` every gradient is scaled by
/// maxNorm / (total + 1e-6). Returns the total norm before clipping (what training logs).
public enum GradientClipping {
    @discardableResult
    public static func clip(_ params: [Parameter], maxNorm: Double) -> Double {
        let total = norm(params)
        let coef = Float(min(1, maxNorm / (total + 1e-6)))
        if coef < 1 { for p in params { for i in 0..<p.grad.count { p.grad[i] *= coef } } }
        return total
    }

    /// The L2 norm of all gradients together, as the reference computes it.
    public static func norm(_ params: [Parameter]) -> Double {
        var sum = 0.0
        for p in params {
            var s = 0.0
            for i in 0..<p.grad.count { s += Double(p.grad[i]) * Double(p.grad[i]) }
            let norm = Double(Float(s.squareRoot()))  // per-tensor norms are float32 in the reference
            sum += norm * norm
        }
        return Double(Float(sum.squareRoot()))
    }
}
