// Shapes: B batch, T time, N = B·T rows, V vocab.
import Foundation
import WeftTensor

/// A model made of `Linear` layers that LoRA can target and PEFT adapters can load into.
public protocol LinearModel: AnyObject {
    /// Every linear layer, by its Hugging Face module name.
    var linears: [Linear] { get }
    /// Every base weight, by its checkpoint name (a tied weight once).
    var weights: [NamedWeight] { get }
    /// Recompute each block's activations in the backward pass instead of keeping them from
    /// the forward pass: less memory, about one more forward pass of time.
    var gradientCheckpointing: Bool { get set }
    /// A module or weight name as PEFT and transformers address it in the model an adapter
    /// or saved checkpoint is for (a BERT encoder saved bare is `bert.…` inside
    /// BertForSequenceClassification); the identity for most models.
    func externalName(_ name: String) -> String
}

extension LinearModel {
    public func externalName(_ name: String) -> String { name }
}

/// A base weight of a model and how the checkpoint stores it.
public struct NamedWeight {
    /// The tensor's name in the Hugging Face checkpoint.
    public let name: String
    public let buffer: FloatBuffer
    /// The shape in the checkpoint.
    public let shape: [Int]
    /// Held as the transpose of the checkpoint's [in, out] layout (GPT-2's Conv1D).
    public let transposed: Bool

    public init(_ name: String, _ buffer: FloatBuffer, _ shape: [Int], transposed: Bool = false) {
        self.name = name
        self.buffer = buffer
        self.shape = shape
        self.transposed = transposed
    }
}

extension LinearModel {
    /// Makes the base weights whose names satisfy `include` trainable (gradient buffers
    /// allocated) and freezes the others. Returns the trainable names.
    @discardableResult
    public func setTrainable(where include: (String) -> Bool) -> [String] {
        var names: [String] = []
        for w in weights {
            let on = include(w.name)
            w.buffer.setTrainable(on)
            if on { names.append(w.name) }
        }
        return names
    }

    /// The base weights that carry gradients.
    public var trainableWeights: [NamedWeight] { weights.filter { $0.buffer.grad != nil } }

    /// Copies `values` (in the checkpoint's layout) into the weight named `name`.
    public func assignWeight(_ name: String, _ values: Tensor, file: String) throws {
        guard let w = weights.first(where: { $0.name == name }) else { throw ModelError("\(file): this model has no weight '\(name)'") }
        guard values.shape == w.shape else {
            throw ModelError("\(file): tensor '\(name)' has shape \(values.shape), the model's is \(w.shape)")
        }
        if w.transposed {
            let (i, o) = (w.shape[0], w.shape[1])
            for r in 0..<i { for c in 0..<o { w.buffer[c * i + r] = values.data[r * o + c] } }
        } else {
            w.buffer.ptr.update(from: values.data, count: values.count)
        }
    }
}

/// A decoder-only language model: logits for every position, and the LoRA gradients of the
/// shifted cross-entropy when asked.
public protocol CausalLM: LinearModel {
    var vocabSize: Int { get }
    func forward(ids: [[Int]], mask: [[Int]]?, labels: [[Int]]?, backward: Bool) throws -> CausalLMOutput
    /// New tokens for each prompt, with a KV cache (see `GenerationConfig`).
    func generate(prompts: [[Int]], config: GenerationConfig) throws -> [[Int]]
}

/// What a causal language model's forward pass returns.
public struct CausalLMOutput {
    /// [B, T, V]
    public var logits: FloatBuffer
    /// Mean shifted cross-entropy over labelled positions (when labels were given).
    public var loss: Double?
    public var labelledTokens: Int
}

/// Checks a batch's shapes and token ids; returns (B, T).
func checkBatch(ids: [[Int]], mask: [[Int]]?, labels: [[Int]]?, vocab: Int, backward: Bool) throws -> (Int, Int) {
    let b = ids.count, t = ids.first?.count ?? 0
    guard b > 0, t > 0, ids.allSatisfy({ $0.count == t }) else { throw ModelError("input ids must be a non-empty batch of equal-length rows") }
    if let mask, mask.count != b || mask.contains(where: { $0.count != t }) { throw ModelError("attention mask shape differs from the ids' [\(b), \(t)]") }
    if let labels, labels.count != b || labels.contains(where: { $0.count != t }) { throw ModelError("labels shape differs from the ids' [\(b), \(t)]") }
    if backward && labels == nil { throw ModelError("a backward pass needs labels") }
    for (r, row) in ids.enumerated() {
        for (j, id) in row.enumerated() where id < 0 || id >= vocab {
            throw ModelError("token id \(id) at [\(r), \(j)] is outside the vocabulary (0..<\(vocab))")
        }
    }
    return (b, t)
}

/// The attention mask as the kernels take it: [B·T], 0 = padding key.
func keyMaskFrom(_ mask: [[Int]]?, ids: [[Int]]) -> [Int32] {
    (mask ?? ids.map { $0.map { _ in 1 } }).flatMap { $0.map { Int32($0 == 0 ? 0 : 1) } }
}

/// Shifted cross-entropy as transformers computes it: position t predicts label t + 1, the
/// last position predicts nothing, −100 is ignored. Returns dlogits when `backward`.
func causalLoss(logits: FloatBuffer, labels: [[Int]], b: Int, t: Int, v: Int, backward: Bool) throws -> (Double, Int, FloatBuffer?) {
    var targets = [Int](repeating: Kernels.ignoreIndex, count: b * t)
    for bi in 0..<b {
        for ti in 0..<(t - 1) {
            let y = labels[bi][ti + 1]
            guard y == Kernels.ignoreIndex || (0..<v).contains(y) else {
                throw ModelError("label \(y) at [\(bi), \(ti + 1)] is neither -100 nor a token id (0..<\(v))")
            }
            targets[bi * t + ti] = y
        }
    }
    let dlogits = backward ? FloatBuffer(count: b * t * v) : nil
    let (loss, counted) = Kernels.crossEntropy(logits.ptr, targets: targets, n: b * t, v: v, dlogits: dlogits?.ptr)
    return (loss, counted, dlogits)
}
