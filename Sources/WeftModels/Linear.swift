// Shapes: N rows, I in features, O out features, r LoRA rank.
import Foundation
import WeftTensor

/// A LoRA pair on one linear layer, in PEFT's layout: A [r, I], B [O, r];
/// y += scale·(dropout(x)·Aᵀ)·Bᵀ with scale = alpha/r (or alpha/√r with rsLoRA). Dropout acts
/// only in training passes, as PEFT's `lora_dropout`, with a seeded mask per pass.
public final class LoRA: @unchecked Sendable {
    public let rank: Int
    public let scale: Float
    public let dropout: Float
    /// Trainable: both carry a gradient buffer.
    public let a: FloatBuffer
    public let b: FloatBuffer
    /// Draws one mask seed per training pass; a recomputation (gradient checkpointing) reuses it.
    var rng: SplitMix

    public init(rank: Int, alpha: Double, rslora: Bool, inFeatures: Int, outFeatures: Int, dropout: Float = 0, seed: UInt64 = 0) {
        self.rank = rank
        scale = Float(rslora ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
        self.dropout = dropout
        rng = SplitMix(seed)
        a = FloatBuffer(count: rank * inFeatures)
        b = FloatBuffer(count: outFeatures * rank)
        a.setTrainable(true)
        b.setTrainable(true)
    }

    public var gradA: FloatBuffer { a.grad! }
    public var gradB: FloatBuffer { b.grad! }
}

/// What a LoRA forward pass keeps for backward: x·Aᵀ, and the input after dropout when
/// dropout acted.
public struct LoRASaved {
    let xa: FloatBuffer
    let dropped: FloatBuffer?
    /// The dropout mask's seed, so a recomputation draws the same mask.
    public let seed: UInt64
}

/// A linear layer with Hugging Face's weight layout W [O, I], an optional bias, an optional
/// LoRA. The weight and bias are trainable when their buffers carry a gradient (full
/// fine-tuning); frozen ones get no gradient buffer and no gradient work.
public final class Linear: @unchecked Sendable {
    public let name: String
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: FloatBuffer
    public let bias: FloatBuffer?
    public var lora: LoRA?
    /// Whether the LoRA is folded into `weight` (see `merge`).
    public private(set) var merged = false

    public init(name: String, weight: FloatBuffer, bias: FloatBuffer?, inFeatures: Int, outFeatures: Int) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// The weight (and bias) under their checkpoint names; `transposed` for GPT-2's Conv1D.
    func namedWeights(transposed: Bool = false) -> [NamedWeight] {
        [NamedWeight(name + ".weight", weight, transposed ? [inFeatures, outFeatures] : [outFeatures, inFeatures], transposed: transposed)]
            + (bias.map { [NamedWeight(name + ".bias", $0, [outFeatures])] } ?? [])
    }

    /// y[N,O] = x·Wᵀ + b (+ LoRA). Returns what the LoRA backward needs. `training` applies
    /// LoRA dropout; `seed` replays a recorded mask (gradient checkpointing).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, n: Int, into y: UnsafeMutablePointer<Float>, training: Bool = false,
                        seed: UInt64? = nil) -> LoRASaved? {
        Kernels.linear(x, weight.ptr, bias?.ptr, y, n: n, i: inFeatures, o: outFeatures)
        guard let l = lora, !merged else { return nil }
        let maskSeed = seed ?? (training && l.dropout > 0 ? l.rng.next() : 0)
        var input = x
        var dropped: FloatBuffer?
        if training && l.dropout > 0 {
            let d = FloatBuffer(count: n * inFeatures)
            Kernels.dropout(x, d.ptr, count: n * inFeatures, p: l.dropout, seed: maskSeed)
            input = UnsafePointer(d.ptr)
            dropped = d
        }
        let xa = FloatBuffer(count: n * l.rank)
        BLAS.gemm(input, l.a.ptr, xa.ptr, m: n, n: l.rank, k: inFeatures, transB: true)
        BLAS.gemm(xa.ptr, l.b.ptr, y, m: n, n: outFeatures, k: l.rank, transB: true, alpha: l.scale, beta: 1)
        return LoRASaved(xa: xa, dropped: dropped, seed: maskSeed)
    }

    /// Writes (or adds, with `accumulate`) dx; adds into the trainable gradients.
    public func backward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, lora saved: LoRASaved?, n: Int,
                         dx: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        Kernels.linearBackward(dy, x, weight.ptr, dx: dx, dw: weight.grad?.ptr, db: bias?.grad?.ptr,
                               n: n, i: inFeatures, o: outFeatures, accumulateDx: accumulate)
        guard let l = lora, let saved else { return }
        let input = saved.dropped.map { UnsafePointer($0.ptr) } ?? x
        // dB += s·dyᵀ·xa ; dxa = s·dy·B ; dA += dxaᵀ·x' ; dx += mask ⊙ dxa·A
        BLAS.gemm(dy, saved.xa.ptr, l.gradB.ptr, m: outFeatures, n: l.rank, k: n, transA: true, alpha: l.scale, beta: 1)
        let dxa = FloatBuffer(count: n * l.rank)
        BLAS.gemm(dy, l.b.ptr, dxa.ptr, m: n, n: l.rank, k: outFeatures, alpha: l.scale)
        BLAS.gemm(dxa.ptr, input, l.gradA.ptr, m: l.rank, n: inFeatures, k: n, transA: true, beta: 1)
        guard let dx else { return }
        if saved.dropped == nil {
            BLAS.gemm(dxa.ptr, l.a.ptr, dx, m: n, n: inFeatures, k: l.rank, beta: 1)
        } else {
            let dd = FloatBuffer(count: n * inFeatures)
            BLAS.gemm(dxa.ptr, l.a.ptr, dd.ptr, m: n, n: inFeatures, k: l.rank)
            Kernels.dropout(dd.ptr, dd.ptr, count: n * inFeatures, p: l.dropout, seed: saved.seed)
            Kernels.add(dx, dd.ptr, count: n * inFeatures)
        }
    }

    /// Folds the LoRA into the weight (W += scale·B·A), as PEFT's `merge_and_unload` does; the
    /// layer then runs as a plain linear layer. `unmerge` subtracts it again.
    public func merge() {
        guard let l = lora, !merged else { return }
        BLAS.gemm(l.b.ptr, l.a.ptr, weight.ptr, m: outFeatures, n: inFeatures, k: l.rank, alpha: l.scale, beta: 1)
        merged = true
    }

    public func unmerge() {
        guard let l = lora, merged else { return }
        BLAS.gemm(l.b.ptr, l.a.ptr, weight.ptr, m: outFeatures, n: inFeatures, k: l.rank, alpha: -l.scale, beta: 1)
        merged = false
    }
}
