import Foundation
import Testing
import WeftModels
import WeftTensor
@testable import WeftTrain

/// The training loop on the tiny Llama fixture with LoRA.
@Suite("trainer")
struct TrainerTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/llama-tiny").path

    static func data() -> [TrainingExample] {
        (0..<8).map { k in
            let n = 5 + (k * 3) % 7
            let ids = (0..<n).map { (k * 7 + $0 * 5) % 60 + 1 }
            // SFT-like: the first two tokens are the prompt.
            return TrainingExample(ids: ids, mask: ids.indices.map { $0 < 2 ? 0 : 1 })
        }
    }

    static func model() throws -> LlamaModel {
        let m = try LlamaModel(directory: dir)
        try m.addLoRA(targets: LoRATargets(["q_proj", "v_proj"]), rank: 4, alpha: 8, seed: 7)
        return m
    }

    func run(_ c: TrainerConfig) throws -> (LlamaModel, TrainResult, [StepLog]) {
        let m = try Self.model()
        let opt = AdamW(m.trainableParameters, lr: 5e-2, weightDecay: 0)
        let sch = try LRSchedule(name: "linear", warmupSteps: 1, totalSteps: Trainer.totalSteps(examples: 8, config: c))
        var logs: [StepLog] = []
        let r = try Trainer(model: m, parameters: m.trainableParameters, optimizer: opt, schedule: sch, config: c)
            .train(Self.data(), validation: Array(Self.data().prefix(3))) { logs.append($0) }
        return (m, r, logs)
    }

    @Test("loss falls, the schedule warms up then decays, evaluation runs at the end")
    func learns() throws {
        var c = TrainerConfig()
        c.maxSteps = 25
        c.batchSize = 4
        let (_, r, logs) = try run(c)
        #expect(r.steps == 25 && logs.count == 25)
        #expect(logs.last!.loss < logs.first!.loss * 0.9, "\(logs.map(\.loss))")
        #expect(logs[0].lr == 0 && abs(logs[1].lr - 5e-2) < 1e-9 && logs.last!.lr < logs[1].lr)
        #expect(r.finalEvalLoss != nil && logs.last!.evalLoss != nil)
    }

    @Test("batch 4 × accumulation 1 equals batch 2 × accumulation 2 (token-weighted micro-batches)")
    func accumulation() throws {
        var a = TrainerConfig(); a.maxSteps = 2; a.batchSize = 4; a.shuffle = false; a.maxGradNorm = 0
        var b = a; b.batchSize = 2; b.gradientAccumulation = 2
        let (ma, ra, la) = try run(a), (mb, rb, lb) = try run(b)
        #expect(abs(ra.finalLoss - rb.finalLoss) < 1e-5)
        for (x, y) in zip(la, lb) { #expect(abs(x.gradNorm - y.gradNorm) <= 1e-5 * x.gradNorm, "\(x.gradNorm) vs \(y.gradNorm)") }
        for (p, q) in zip(ma.trainableParameters, mb.trainableParameters) {
            for i in 0..<p.value.count { #expect(abs(p.value[i] - q.value[i]) < 1e-5) }
        }
    }

    @Test("same seed, same weights; epochs count the steps; early stopping; bad input")
    func determinismAndErrors() throws {
        var c = TrainerConfig(); c.epochs = 2; c.batchSize = 3; c.seed = 11
        let (m1, r1, _) = try run(c), (m2, _, _) = try run(c)
        #expect(r1.steps == 6, "2 epochs of ⌈8/3⌉ steps")
        #expect(m1.trainableParameters.map(\.value.array) == m2.trainableParameters.map(\.value.array))
        var e = TrainerConfig(); e.maxSteps = 40; e.evalEvery = 1; e.patience = 2; e.batchSize = 8
        let m = try Self.model()
        let opt = AdamW(m.trainableParameters, lr: 5.0, weightDecay: 0)  // far too high: validation loss worsens
        let r = try Trainer(model: m, parameters: m.trainableParameters, optimizer: opt, schedule: try LRSchedule(name: "constant", totalSteps: 40), config: e)
            .train(Self.data(), validation: Self.data())
        #expect(r.stoppedEarly && r.steps < 40, "\(r)")
        let t = try Trainer(model: m, parameters: m.trainableParameters, optimizer: opt, schedule: try LRSchedule(name: "constant", totalSteps: 1), config: TrainerConfig())
        #expect(throws: TrainError.self) { try t.train([TrainingExample(ids: [1, 2, 3], mask: [1, 0, 0])]) }
        #expect(throws: TrainError.self) { try t.train([]) }
    }
}
