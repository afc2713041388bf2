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
/// fine-tuning); frozen ones get no gradient buffer and no gradient work. A frozen weight may be
/// held quantised (`quantizeWeight`, QLoRA): `weight` is then an empty buffer and `quantized`
/// holds the codes, dequantised tile by tile in every product.
public final class Linear: @unchecked Sendable {
    public let name: String
    public let inFeatures: Int
    public let outFeatures: Int
    /// The fp32 weight [O, I]; an empty buffer (count 0) while the weight is held quantised.
    public private(set) var weight: FloatBuffer
    public let bias: FloatBuffer?
    /// The quantised weight, when the layer's frozen weight is stored NF4 or int8.
    public private(set) var quantized: QuantizedWeight?
    /// Whether the model's checkpoint stores this weight transposed ([I, O], GPT-2's Conv1D);
    /// noted when the model lists its weights, used to list a quantised weight dequantised.
    var checkpointTransposed = false
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
    /// A quantised weight is not listed (its buffer is empty); `LinearModel.fullWeights()` lists it
    /// dequantised.
    func namedWeights(transposed: Bool = false) -> [NamedWeight] {
        if transposed { checkpointTransposed = true }
        return (quantized != nil ? [] : [NamedWeight(name + ".weight", weight, transposed ? [inFeatures, outFeatures] : [outFeatures, inFeatures], transposed: transposed)])
            + (bias.map { [NamedWeight(name + ".bias", $0, [outFeatures])] } ?? [])
    }

    /// y[N,O] = x·Wᵀ + b (+ LoRA). Returns what the LoRA backward needs. `training` applies
    /// LoRA dropout; `seed` replays a recorded mask (gradient checkpointing).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, n: Int, into y: UnsafeMutablePointer<Float>, training: Bool = false,
                        seed: UInt64? = nil) -> LoRASaved? {
        if let q = quantized {
            QuantizedMatmul.forward(x, q, bias?.ptr, y, n: n, i: inFeatures, o: outFeatures)
        } else {
            Kernels.linear(x, weight.ptr, bias?.ptr, y, n: n, i: inFeatures, o: outFeatures)
        }
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
        if let q = quantized {
            // a quantised weight is frozen: dx only (and the bias gradient when it trains)
            if let dx { QuantizedMatmul.backwardInput(dy, q, dx, n: n, i: inFeatures, o: outFeatures, accumulate: accumulate) }
            Kernels.linearBackward(dy, x, weight.ptr, dx: nil, dw: nil, db: bias?.grad?.ptr, n: n, i: inFeatures, o: outFeatures)
        } else {
            Kernels.linearBackward(dy, x, weight.ptr, dx: dx, dw: weight.grad?.ptr, db: bias?.grad?.ptr,
                                   n: n, i: inFeatures, o: outFeatures, accumulateDx: accumulate)
        }
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
    /// layer then runs as a plain linear layer. `unmerge` subtracts it again. A quantised weight
    /// is first dequantised into an fp32 weight (dequant(W) + scale·B·A), which the layer keeps:
    /// a merged model is written in fp32.
    public func merge() {
        guard let l = lora, !merged else { return }
        if quantized != nil { dequantizeWeight() }
        BLAS.gemm(l.b.ptr, l.a.ptr, weight.ptr, m: outFeatures, n: inFeatures, k: l.rank, alpha: l.scale, beta: 1)
        merged = true
    }

    public func unmerge() {
        guard let l = lora, merged else { return }
        BLAS.gemm(l.b.ptr, l.a.ptr, weight.ptr, m: outFeatures, n: inFeatures, k: l.rank, alpha: -l.scale, beta: 1)
        merged = false
    }

    // MARK: quantised base weight

    /// Stores the frozen weight quantised (NF4 as bitsandbytes' `quantize_4bit`, or int8 row-wise)
    /// and releases the fp32 buffer. Throws when the weight trains, the LoRA is merged, or the
    /// weight is already quantised.
    public func quantizeWeight(_ method: BaseQuantization) throws {
        guard quantized == nil else { throw ModelError("\(name): the weight is already quantised") }
        guard weight.grad == nil else {
            throw ModelError("\(name): a trainable weight cannot be quantised; freeze it first (setTrainable) or leave it out of the quantised base")
        }
        guard !merged else { throw ModelError("\(name): unmerge the LoRA before quantising the base weight") }
        let values = weight.array, shape = [outFeatures, inFeatures]
        do {
            switch method {
            case .nf4(let blocksize, let doubleQuant):
                quantized = .nf4(try NF4.quantize(values, shape: shape, blocksize: blocksize, doubleQuant: doubleQuant))
            case .int8:
                quantized = .int8(try Int8Rowwise.quantize(values, shape: shape))
            }
        } catch {
            throw ModelError("\(name).weight: \(error)")
        }
        weight = FloatBuffer(count: 0)
    }

    /// Puts the dequantised values back into an fp32 weight buffer (frozen) and drops the codes.
    public func dequantizeWeight() {
        guard let q = quantized else { return }
        weight = FloatBuffer(q.dequantized())
        quantized = nil
    }

    /// The weight's fp32 values [O, I]: the buffer's, or the dequantised ones of a quantised weight.
    public func weightValues() -> [Float] {
        quantized?.dequantized() ?? weight.array
    }
}
