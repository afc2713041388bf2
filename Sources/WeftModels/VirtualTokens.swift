// Shapes: B batch, T real tokens per row, P virtual tokens, R rows per sequence through the layers
// (T, or P + T under prompt tuning), S keys per row in attention (R, or P + R under prefix tuning),
// C hidden, L layers, W floats per layer key (or value) = kv heads · head dim.
import Foundation
import WeftTensor

/// Which prompt-learning method a model's virtual tokens implement (PEFT's PROMPT_TUNING and
/// PREFIX_TUNING without a projection).
public enum VirtualTokenMethod: String, Sendable {
    /// Trainable input embeddings [P, C] placed in front of every sequence.
    case prompt
    /// Trainable keys and values [P, L·2·W] placed in front of every layer's attention.
    case prefix
}

/// A model's trainable virtual tokens: the table PEFT saves as `prompt_embeddings`.
///
/// Prompt tuning: row p is the input embedding of virtual token p. Prefix tuning: row p holds,
/// for each layer l, its key (slot 2l) then its value (slot 2l + 1), each [kv heads, head dim]:
/// the floats of (l, slot, head, d) sit at `(2l + slot)·W + head·D + d` — the order of PEFT's
/// `view(B, P, 2L, heads, D).permute(2, 0, 3, 1, 4).split(2)`.
public final class VirtualTokens: @unchecked Sendable {
    public let method: VirtualTokenMethod
    /// P, PEFT's `num_virtual_tokens`.
    public let count: Int
    /// Floats per virtual token: C (prompt) or L·2·W (prefix).
    public let width: Int
    /// [P, width]; trainable (carries `grad`) unless frozen with `table.setTrainable(false)`.
    public let table: FloatBuffer

    init(method: VirtualTokenMethod, count: Int, width: Int, values: [Float]) {
        self.method = method
        self.count = count
        self.width = width
        table = FloatBuffer(values)
        table.setTrainable(true)
    }

    /// Where layer `layer`'s key (`slot` 0) or value (`slot` 1) of virtual token `p` starts.
    func offset(_ p: Int, layer: Int, slot: Int, w: Int) -> Int { p * width + (layer * 2 + slot) * w }
}

/// What prompt learning needs to know of a model's shape (and what PEFT writes in its config).
struct VirtualTokenShape {
    let hidden: Int, layers: Int, heads: Int, kvHeads: Int, headDim: Int
    /// Floats per position in one layer's key cache.
    var kvWidth: Int { kvHeads * headDim }
}

/// A causal model that can run with virtual tokens (Llama family, GPT-2).
protocol VirtualTokenHost: CausalLM {
    /// The active virtual tokens (nil: the plain base model).
    var promptLearning: VirtualTokens? { get set }
    var virtualTokenShape: VirtualTokenShape { get }
    /// The token embedding table [V, C] (text initialisation of prompt tuning).
    var tokenEmbedding: FloatBuffer { get }
}

/// One batch as the layers see it with the model's virtual tokens in place: prompt tuning puts
/// P rows in front of each sequence (positions 0..<P, mask 1, label −100), prefix tuning puts P
/// keys in front of each layer's attention (mask 1) and starts the real tokens at position P —
/// in both cases the real tokens sit at positions P..<P+T, as transformers numbers them after
/// PEFT's input embeddings or past key values (`arange(T) + past length`, not from the mask).
struct VirtualBatch {
    let b: Int, t: Int
    /// Virtual rows in front of each sequence (prompt tuning), else 0.
    let lead: Int
    /// Prefix keys in front of each layer's keys (prefix tuning), else 0.
    let prefix: Int
    /// The table, when virtual tokens are active.
    let tokens: VirtualTokens?
    /// [B·S]: 0 = padding key.
    let keyMask: [Int32]
    /// [B, R] with −100 on virtual rows, when labels were given.
    let labels: [[Int]]?

    /// Rows per sequence through the layers.
    var rows: Int { lead + t }
    /// Keys per sequence in attention.
    var keys: Int { prefix + rows }

    init(_ vt: VirtualTokens?, ids: [[Int]], mask: [[Int]]?, labels: [[Int]]?) {
        b = ids.count
        t = ids.first?.count ?? 0
        tokens = vt
        let p = vt?.count ?? 0
        lead = vt?.method == .prompt ? p : 0
        prefix = vt?.method == .prefix ? p : 0
        let front = [Int32](repeating: 1, count: lead + prefix)
        // Mask values above 1 number the segments of packed sequences (attention stays within a
        // segment, positions restart at each); 0 is padding.
        keyMask = (0..<b).flatMap { r in front + ids[r].indices.map { j in Int32(clamping: max(0, mask?[r][j] ?? 1)) } }
        var starts: [Int]? = nil
        if let mask, mask.contains(where: { $0.contains { $0 > 1 } }) {
            starts = mask.flatMap { row -> [Int] in
                var out = [Int](repeating: 0, count: row.count)
                for j in row.indices { out[j] = j > 0 && row[j - 1] == row[j] ? out[j - 1] : j }
                return out
            }
        }
        segmentStart = starts
        let ignore = [Int](repeating: Kernels.ignoreIndex, count: lead)
        self.labels = labels.map { $0.map { ignore + $0 } }
    }

    /// For packed sequences: the index in its row where each token's segment starts, [B·T].
    let segmentStart: [Int]?

    /// The position of layer row `r` (0..<B·R): counted from its segment's start when packed.
    func position(_ r: Int) -> Int {
        guard let segmentStart else { return prefix + r % rows }
        return r % rows - segmentStart[r]
    }

    /// The layer row of real token `j` of sequence `bi`.
    func row(_ bi: Int, _ j: Int) -> Int { bi * rows + lead + j }

    /// Copies the virtual embeddings into each sequence's lead rows of x [B·R, C].
    func fillLead(_ x: FloatBuffer, c: Int) {
        guard lead > 0, let vt = tokens else { return }
        for bi in 0..<b { (x.ptr + bi * rows * c).update(from: vt.table.ptr, count: lead * c) }
    }

    /// Adds the lead rows' gradient (summed over the batch) into the table's gradient.
    func leadBackward(_ dx: FloatBuffer, c: Int) {
        guard lead > 0, let g = tokens?.table.grad else { return }
        for bi in 0..<b { Kernels.add(g.ptr, dx.ptr + bi * rows * c, count: lead * c) }
    }

    /// The rows of real tokens only, [B·T, C] (x itself without lead rows).
    func realRows(_ x: FloatBuffer, c: Int) -> FloatBuffer {
        guard lead > 0 else { return x }
        let out = FloatBuffer(count: b * t * c)
        for bi in 0..<b { (out.ptr + bi * t * c).update(from: x.ptr + row(bi, 0) * c, count: t * c) }
        return out
    }

    /// One layer's keys (slot 0) or values (slot 1) [B·R, W] with the prefix in front: [B, S, W].
    func withPrefix(_ x: FloatBuffer, layer: Int, slot: Int, w: Int) -> FloatBuffer {
        guard prefix > 0, let vt = tokens else { return x }
        let out = FloatBuffer(count: b * keys * w)
        for bi in 0..<b {
            let base = out.ptr + bi * keys * w
            for p in 0..<prefix { (base + p * w).update(from: vt.table.ptr + vt.offset(p, layer: layer, slot: slot, w: w), count: w) }
            (base + prefix * w).update(from: x.ptr + bi * rows * w, count: rows * w)
        }
        return out
    }

    /// Splits a gradient over `withPrefix`'s output: the prefix part (summed over the batch) is
    /// added into the table's gradient; returns the part of the real rows, [B·R, W].
    func prefixBackward(_ d: FloatBuffer, layer: Int, slot: Int, w: Int) -> FloatBuffer {
        guard prefix > 0, let vt = tokens else { return d }
        let out = FloatBuffer(count: b * rows * w)
        for bi in 0..<b {
            let base = d.ptr + bi * keys * w
            if let g = vt.table.grad {
                for p in 0..<prefix { Kernels.add(g.ptr + vt.offset(p, layer: layer, slot: slot, w: w), base + p * w, count: w) }
            }
            (out.ptr + bi * rows * w).update(from: base + prefix * w, count: rows * w)
        }
        return out
    }

    /// Logits [B, R, V] → the real tokens' logits [B, T, V].
    func realLogits(_ logits: FloatBuffer, v: Int) -> FloatBuffer { realRows(logits, c: v) }
}

/// How a batch of left-padded prompts starts generating with the model's virtual tokens in
/// place, as peft 0.21.2's `generate` runs under transformers 5.23 (DynamicCache):
/// - prefix tuning: the prefix keys and values fill cache slots 0..<P (always visible), and the
///   real tokens sit at transformers' mask-derived positions (each row counts from its first real
///   token) plus P — peft offsets `position_ids` by `num_virtual_tokens`;
/// - prompt tuning: the first step feeds the P virtual embeddings, then the padded prompt; peft
///   drops `position_ids`, so positions are `arange(P + T)` plus the cache length, padding included
///   (a left-padded row's tokens start at P + its padding, unlike the plain model's);
/// - neither: positions count real tokens from 0, as transformers' `generate` does.
/// Cache slot j holds key j of every row; the mask has P ones in front, then 0 on each row's padding.
struct GenerationStart {
    let cache: KVCache
    let keyMask: [[Int32]]
    /// The first step's tokens, each row left-padded with 0 to T.
    let tokens: [[Int]]
    /// The first step's positions, B·(lead + T).
    let positions: [Int]
    /// Each row's position of the first new token.
    let next: [Int]
    /// Cache slots already filled (the prefix) before the first step.
    let filled: Int
    /// Prompt tuning's virtual embeddings [P, C], fed in front of the first step's tokens.
    let lead: FloatBuffer?
    /// P under prompt tuning, else 0: the rows `lead` adds to the first step.
    let leadRows: Int
    /// Cache slots (and positions) the whole generation may use.
    let capacity: Int

    init(_ vt: VirtualTokens?, prompts: [[Int]], newTokens: Int, layers: Int, width: Int, maxPositions: Int) throws {
        let b = prompts.count, t0 = prompts.map(\.count).max() ?? 0
        let p = vt?.count ?? 0
        let prompt = vt?.method == .prompt, prefix = vt?.method == .prefix
        capacity = p + t0 + newTokens
        guard capacity <= maxPositions else {
            let virtual = p > 0 ? " plus \(p) virtual tokens" : ""
            throw ModelError("prompt (\(t0))\(virtual) plus max new tokens (\(newTokens)) exceed the model's \(maxPositions) positions; shorten the prompt or lower max new tokens")
        }
        cache = KVCache(layers: layers, batch: b, capacity: capacity, width: width)
        var mask = [[Int32]](repeating: [Int32](repeating: 1, count: capacity), count: b)
        var tokens: [[Int]] = [], positions: [Int] = [], next: [Int] = []
        for (r, row) in prompts.enumerated() {
            let pad = t0 - row.count
            for j in 0..<pad { mask[r][p + j] = 0 }
            tokens.append([Int](repeating: 0, count: pad) + row)
            if prompt {
                positions += Array(0..<(p + t0))
                next.append(p + t0)
            } else {
                let offset = prefix ? p : 0
                positions += (0..<t0).map { offset + max(0, $0 - pad) }
                next.append(offset + row.count)
            }
        }
        keyMask = mask
        self.tokens = tokens
        self.positions = positions
        self.next = next
        lead = prompt ? vt?.table : nil
        leadRows = prompt ? p : 0
        filled = prefix ? p : 0
        if prefix, let vt { vt.fillPrefix(cache, w: width) }
    }
}

extension VirtualTokens {
    /// Copies prefix tuning's keys and values into cache slots 0..<P of every layer and row
    /// (keys as stored: transformers rotates only the keys it computes).
    func fillPrefix(_ cache: KVCache, w: Int) {
        for l in cache.k.indices {
            for r in cache.k[l].indices {
                for p in 0..<count {
                    (cache.k[l][r].ptr + p * w).update(from: table.ptr + offset(p, layer: l, slot: 0, w: w), count: w)
                    (cache.v[l][r].ptr + p * w).update(from: table.ptr + offset(p, layer: l, slot: 1, w: w), count: w)
                }
            }
        }
    }
}
