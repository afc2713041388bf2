import Foundation
import Testing
import WeftTensor
@testable import WeftModels

/// Sample packing: sequences joined into one row, attention mask values numbering the
/// segments, give exactly the loss and gradients of the same sequences as separate rows.
@Suite("packed sequences")
struct PackingTests {
    @Test("a packed row (mask values = segment numbers) equals the padded batch: loss and every LoRA and base gradient",
          arguments: causalFixtures.map(\.0))
    func packedEqualsPadded(_ name: String) throws {
        let a = [3, 17, 9, 40, 5], b = [7, 22, 31, 4, 8, 50, 2]
        func run(_ ids: [[Int]], _ mask: [[Int]], _ labels: [[Int]]) throws -> (Double, [[Float]]) {
            let m = try causalFixtures.first { $0.0 == name }!.1(fixture("models/" + name))
            try m.addLoRA(targets: LoRATargets(["all-linear"]), rank: 4, alpha: 8, seed: 1)
            for l in m.linears { if let lora = l.lora { for i in 0..<lora.b.count { lora.b[i] = Float(i % 7) * 0.01 - 0.03 } } }
            m.setTrainable { $0.hasSuffix("norm.weight") || $0.hasSuffix("ln_1.weight") }
            let out = try m.forward(ids: ids, mask: mask, labels: labels, backward: true)
            let grads = m.linears.compactMap { $0.lora }.flatMap { [$0.gradA.array, $0.gradB.array] } + m.trainableWeights.map { $0.buffer.grad!.array }
            return (out.loss ?? .nan, grads)
        }
        let padded = try run([a + [0, 0], b], [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], [a + [-100, -100], b])
        // B's first token is no target: it would be predicted from A's last token.
        let packed = try run([a + b], [[1, 1, 1, 1, 1] + [2, 2, 2, 2, 2, 2, 2]], [a + [-100] + b.dropFirst()])
        #expect(abs(packed.0 - padded.0) < 1e-5 * abs(padded.0), "loss \(packed.0) vs \(padded.0)")
        #expect(packed.1.count == padded.1.count && !packed.1.isEmpty)
        var worst = 0.0
        for (p, q) in zip(packed.1, padded.1) {
            let scale = Double(q.map { abs($0) }.max() ?? 0) + 1e-12
            worst = max(worst, (zip(p, q).map { Double(abs($0 - $1)) }.max() ?? 0) / scale)
        }
        #expect(worst < 1e-5, "\(name): worst gradient difference relative to the tensor's largest value \(worst)")
    }
}
