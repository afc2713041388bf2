// Shapes: W [O, I] per linear layer; P parameters.
import Foundation
import WeftTensor

/// How a frozen base is stored for QLoRA-style training.
public enum BaseQuantization: Sendable, Equatable {
    /// bitsandbytes NF4: 4-bit NormalFloat codes in blocks of `blocksize`, the block absmax values
    /// double-quantised (8-bit, blocks of 256) when `doubleQuant`.
    case nf4(blocksize: Int = 64, doubleQuant: Bool = true)
    /// LLM.int8 row-wise: int8 codes with one fp32 absmax per output row.
    case int8

    /// The name used in parameters and reports (`nf4`, `int8`).
    public var name: String {
        switch self { case .nf4: return "nf4"; case .int8: return "int8" }
    }
}

/// What `quantizeBase` did.
public struct QuantizationReport: Sendable, Equatable {
    /// Module names of the quantised layers, in model order.
    public var layers: [String]
    /// Linear layers the filter chose but that stayed fp32 because their weight is tied to an
    /// embedding or another layer (quantising it would quantise the embedding too).
    public var skippedTied: [String]
    /// Weight values now held quantised.
    public var parameters: Int
    /// Bytes those weights occupy now: packed codes plus every quantisation state.
    public var bytes: Int
    /// Largest |W − dequant(W)| over all quantised weights.
    public var maxAbsError: Float

    /// Storage per quantised parameter (0.5 packed + states for NF4; ~1.0 for int8).
    public var bytesPerParameter: Double { parameters == 0 ? 0 : Double(bytes) / Double(parameters) }
}

/// Resident bytes of a model's frozen base weights, split by how they are held.
public struct BaseMemory: Sendable, Equatable {
    /// Bytes of frozen fp32 base weights (embeddings, norms, unquantised layers), each buffer once.
    public var fp32Bytes: Int
    /// Parameters those fp32 buffers hold.
    public var fp32Parameters: Int
    /// Bytes of quantised weights (packed codes + states).
    public var quantizedBytes: Int
    /// Parameters held quantised.
    public var quantizedParameters: Int

    /// Bytes per parameter of the quantised linear layers alone (the QLoRA bar is ≤ 0.6).
    public var quantizedBytesPerParameter: Double { quantizedParameters == 0 ? 0 : Double(quantizedBytes) / Double(quantizedParameters) }
    /// Bytes per parameter of the whole frozen base.
    public var bytesPerParameter: Double {
        let p = fp32Parameters + quantizedParameters
        return p == 0 ? 0 : Double(fp32Bytes + quantizedBytes) / Double(p)
    }
}

extension LinearModel {
    /// The default choice of layers to quantise, as bitsandbytes/transformers do: every linear
    /// layer except `lm_head` (and `classifier`/`score` heads, which train).
    public static func defaultQuantizationFilter(_ module: String) -> Bool {
        let last = module.split(separator: ".").last.map(String.init) ?? module
        return !["lm_head", "classifier", "score"].contains(last)
    }

    /// Quantises the frozen weight of every linear layer whose module name satisfies `include`,
    /// releasing its fp32 buffer. A weight shared with an embedding or another layer is never
    /// quantised (listed in `skippedTied`). Throws when a chosen weight is trainable.
    @discardableResult
    public func quantizeBase(_ method: BaseQuantization, where include: (String) -> Bool = Self.defaultQuantizationFilter) throws -> QuantizationReport {
        // A buffer listed under another name than the layer's own weight is tied (lm_head ↔ embed_tokens).
        var owners: [ObjectIdentifier: [String]] = [:]
        for w in weights { owners[ObjectIdentifier(w.buffer), default: []].append(w.name) }
        var users: [ObjectIdentifier: Int] = [:]
        for l in linears where l.quantized == nil { users[ObjectIdentifier(l.weight), default: 0] += 1 }
        var report = QuantizationReport(layers: [], skippedTied: [], parameters: 0, bytes: 0, maxAbsError: 0)
        for l in linears where l.quantized == nil && include(l.name) {
            let id = ObjectIdentifier(l.weight)
            let names = owners[id] ?? []
            if users[id, default: 0] > 1 || names.contains(where: { $0 != l.name + ".weight" }) {
                report.skippedTied.append(l.name)
                continue
            }
            let original = l.weight.array
            try l.quantizeWeight(method)
            guard let q = l.quantized else { continue }
            let back = q.dequantized()
            var err: Float = 0
            for k in 0..<original.count { err = max(err, abs(original[k] - back[k])) }
            report.layers.append(l.name)
            report.parameters += q.count
            report.bytes += q.storageBytes
            report.maxAbsError = max(report.maxAbsError, err)
        }
        return report
    }

    /// Turns every quantised layer back into an fp32 weight holding its dequantised values.
    public func dequantizeBase() {
        for l in linears { l.dequantizeWeight() }
    }

    /// Every base weight with fp32 values, quantised layers included (dequantised into fresh
    /// buffers, in checkpoint order): what writing a full model needs. `weights` lists only the
    /// weights held in fp32.
    public func fullWeights() -> [NamedWeight] {
        let quantized = linears.filter { $0.quantized != nil }
        guard !quantized.isEmpty else { return weights }
        var out = weights
        for l in quantized {
            let t = l.checkpointTransposed
            let w = NamedWeight(l.name + ".weight", FloatBuffer(l.weightValues()), t ? [l.inFeatures, l.outFeatures] : [l.outFeatures, l.inFeatures],
                                transposed: t)
            // place it before the layer's bias when the model lists one, else at the end
            if let k = out.firstIndex(where: { $0.name == l.name + ".bias" }) { out.insert(w, at: k) } else { out.append(w) }
        }
        return out
    }

    /// Resident bytes of the frozen base (weights without a gradient; LoRA matrices are not base):
    /// fp32 buffers counted once each, plus quantised storage.
    public func baseMemory() -> BaseMemory {
        var seen = Set<ObjectIdentifier>()
        var m = BaseMemory(fp32Bytes: 0, fp32Parameters: 0, quantizedBytes: 0, quantizedParameters: 0)
        for w in weights where w.buffer.grad == nil && seen.insert(ObjectIdentifier(w.buffer)).inserted {
            m.fp32Bytes += 4 * w.buffer.count
            m.fp32Parameters += w.buffer.count
        }
        for l in linears {
            guard let q = l.quantized else { continue }
            m.quantizedBytes += q.storageBytes
            m.quantizedParameters += q.count
        }
        return m
    }
}
