import WeftTensor

/// A model's stack of residual layers run forward as its backward pass needs it: each
/// layer's input, its activations (not kept under gradient checkpointing: recomputed just
/// before the layer's backward step) and the LoRA dropout seeds it drew, so a recomputation
/// replays the same masks. The one checkpointing mechanism every architecture uses.
struct LayerStack<Layer, Saved> {
    /// One layer: (layer, input, keep activations?, seeds to replay) → (output, activations, seeds drawn).
    typealias Forward = (Layer, FloatBuffer, Bool, [UInt64]?) -> (FloatBuffer, Saved?, [UInt64])

    let layers: [Layer]
    let forward: Forward
    private var inputs: [FloatBuffer] = [], saved: [Saved?] = [], seeds: [[UInt64]] = []

    init(_ layers: [Layer], forward: @escaping Forward) {
        self.layers = layers
        self.forward = forward
    }

    /// Runs every layer on `x` and returns the last output; with `backward`, records what
    /// `backward(_:)` needs (activations only without `checkpointing`).
    mutating func run(_ x: FloatBuffer, backward: Bool, checkpointing: Bool) -> FloatBuffer {
        var x = x
        for L in layers {
            let (y, s, used) = forward(L, x, backward && !checkpointing, nil)
            if backward { inputs.append(x); saved.append(s); seeds.append(used) }
            x = y
        }
        return x
    }

    /// Last layer first: `step(layer, activations, input)`, recomputing activations that were
    /// not kept; each layer's activations are released after its step.
    mutating func backward(_ step: (Layer, Saved, FloatBuffer) -> Void) {
        for l in layers.indices.reversed() {
            let s = saved[l] ?? forward(layers[l], inputs[l], true, seeds[l]).1!
            saved[l] = nil
            step(layers[l], s, inputs[l])
        }
    }
}
