import Foundation
import WeftTensor

extension LinearModel {
    /// The state of every LoRA layer's dropout-mask generator, in `linears` order (0 for a
    /// layer without LoRA): a training checkpoint saves it so a resumed run draws the same
    /// masks an uninterrupted run would have drawn.
    public var dropoutStates: [UInt64] { linears.map { $0.lora?.rng.state ?? 0 } }

    /// Restores what `dropoutStates` returned; the count must match the model's layers.
    public func restoreDropoutStates(_ states: [UInt64]) throws {
        let ls = linears
        guard states.count == ls.count else {
            throw ModelError("checkpoint has dropout state for \(states.count) layers, the model has \(ls.count)")
        }
        for (l, s) in zip(ls, states) { l.lora?.rng.state = s }
    }
}
