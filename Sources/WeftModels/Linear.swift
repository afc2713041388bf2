// Shapes: N rows, I in features, O out features, r LoRA rank.
import Foundation
import WeftTensor

/// A LoRA pair on one linear layer, in PEFT's layout: A [r, I], B [O, r];
/// y += scale·(x·Aᵀ)·Bᵀ with scale = alpha/r (or alpha/√r with rsLoRA).
public final class LoRA: @unchecked Sendable {
    public let rank: Int
    public let scale: Float
    public let a: FloatBuffer
    public let b: FloatBuffer
    public let gradA: FloatBuffer
    public let gradB: FloatBuffer

    public init(rank: Int, alpha: Double, rslora: Bool, inFeatures: Int, outFeatures: Int) {
        self.rank = rank
        scale = Float(rslora ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
        a = FloatBuffer(count: rank * inFeatures)
        b = FloatBuffer(count: outFeatures * rank)
        gradA = FloatBuffer(count: rank * inFeatures)
        gradB = FloatBuffer(count: outFeatures * rank)
    }
}

/// A linear layer with Hugging Face's weight layout W [O, I], an optional bias, an optional
/// LoRA, and gradient buffers only for what is trainable.
public final class Linear: @unchecked Sendable {
    public let name: String
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: FloatBuffer
    public let bias: FloatBuffer?
    public var lora: LoRA?
    /// Set when the base weight is trainable (full fine-tuning).
    public var gradWeight: FloatBuffer?
    public var gradBias: FloatBuffer?

    public init(name: String, weight: FloatBuffer, bias: FloatBuffer?, inFeatures: Int, outFeatures: Int) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// y[N,O] = x·Wᵀ + b (+ LoRA). Returns x·Aᵀ [N, r], which the backward pass needs.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, n: Int, into y: UnsafeMutablePointer<Float>) -> FloatBuffer? {
        Kernels.linear(x, weight.ptr, bias?.ptr, y, n: n, i: inFeatures, o: outFeatures)
        guard let l = lora else { return nil }
        let xa = FloatBuffer(count: n * l.rank)
        BLAS.gemm(x, l.a.ptr, xa.ptr, m: n, n: l.rank, k: inFeatures, transB: true)
        BLAS.gemm(xa.ptr, l.b.ptr, y, m: n, n: outFeatures, k: l.rank, transB: true, alpha: l.scale, beta: 1)
        return xa
    }

    /// Writes (or adds, with `accumulate`) dx; adds into the trainable gradients.
    public func backward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, xa: FloatBuffer?, n: Int,
                         dx: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        Kernels.linearBackward(dy, x, weight.ptr, dx: dx, dw: gradWeight?.ptr, db: gradBias?.ptr,
                               n: n, i: inFeatures, o: outFeatures, accumulateDx: accumulate)
        guard let l = lora, let xa else { return }
        // dB += s·dyᵀ·xa ; dxa = s·dy·B ; dA += dxaᵀ·x ; dx += dxa·A
        BLAS.gemm(dy, xa.ptr, l.gradB.ptr, m: outFeatures, n: l.rank, k: n, transA: true, alpha: l.scale, beta: 1)
        let dxa = FloatBuffer(count: n * l.rank)
        BLAS.gemm(dy, l.b.ptr, dxa.ptr, m: n, n: l.rank, k: outFeatures, alpha: l.scale)
        BLAS.gemm(dxa.ptr, x, l.gradA.ptr, m: l.rank, n: inFeatures, k: n, transA: true, beta: 1)
        if let dx { BLAS.gemm(dxa.ptr, l.a.ptr, dx, m: n, n: inFeatures, k: l.rank, beta: 1) }
    }
}
