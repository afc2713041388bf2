import Foundation
import WeftModels
import WeftTensor

/// One training sequence: token ids and a loss mask (1 = the token is a target; prompt
/// tokens of SFT rows are 0). The first token is never a target.
public struct TrainingExample: Sendable, Equatable {
    public var ids: [Int]
    public var mask: [UInt8]
    public init(ids: [Int], mask: [UInt8]? = nil) {
        self.ids = ids
        self.mask = mask ?? [UInt8](repeating: 1, count: ids.count)
    }
    /// Targets the loss counts: positions after the first whose mask is on.
    public var targets: Int { mask.indices.dropFirst().reduce(0) { $0 + (mask[$1] != 0 ? 1 : 0) } }
}

/// How `Trainer` runs: batch sizes, length of training, clipping, evaluation, seed.
public struct TrainerConfig: Sendable {
    /// Sequences per forward/backward pass.
    public var batchSize = 4
    /// Micro-batches whose gradients make one optimiser step.
    public var gradientAccumulation = 1
    /// Optimiser steps (0: `epochs` passes over the data).
    public var maxSteps = 0
    public var epochs = 1
    /// Clip the gradient norm to this (0: off).
    public var maxGradNorm = 1.0
    /// Evaluate on the validation set every N optimiser steps (0: only at the end).
    public var evalEvery = 0
    /// Stop after this many evaluations without a better validation loss (0: never).
    public var patience = 0
    /// Shuffles the training order each epoch (SplitMix64 of seed and epoch).
    public var seed: UInt64 = 0
    public var shuffle = true
    public var padID = 0
    public init() {}
}

/// One optimiser step as the training log records it.
public struct StepLog: Sendable {
    public var step: Int
    public var epoch: Int
    /// Mean loss per target token over the step's micro-batches.
    public var loss: Double
    public var lr: Double
    /// Gradient norm before clipping.
    public var gradNorm: Double
    public var tokens: Int
    public var seconds: Double
    public var evalLoss: Double?
}

/// What a training run ended with.
public struct TrainResult: Sendable {
    public var steps: Int
    public var finalLoss: Double
    public var finalEvalLoss: Double?
    public var bestEvalLoss: Double?
    public var bestStep: Int?
    public var stoppedEarly: Bool
    public var tokensPerSecond: Double
}

/// The training loop for a causal language model: micro-batches padded on the right,
/// gradients accumulated with each micro-batch weighted by its share of the step's target
/// tokens (so `batchSize` × `gradientAccumulation` equals one big batch, as transformers
/// normalises by `num_items_in_batch`), clipping, the schedule's rate per step, periodic
/// evaluation and early stopping.
public final class Trainer {
    public let model: any CausalLM
    public let parameters: [Parameter]
    public let optimizer: Optimizer
    public let schedule: LRSchedule
    public let config: TrainerConfig
    let baseLR: Float

    public init(model: any CausalLM, parameters: [Parameter], optimizer: Optimizer, schedule: LRSchedule, config: TrainerConfig) throws {
        guard config.batchSize >= 1, config.gradientAccumulation >= 1 else { throw TrainError("batch_size and gradient_accumulation must be at least 1") }
        guard !parameters.isEmpty else { throw TrainError("nothing to train: no trainable parameters") }
        self.model = model
        self.parameters = parameters
        self.optimizer = optimizer
        self.schedule = schedule
        self.config = config
        baseLR = optimizer.lr
    }

    /// Optimiser steps a run over `examples` takes.
    public static func totalSteps(examples: Int, config c: TrainerConfig) -> Int {
        if c.maxSteps > 0 { return c.maxSteps }
        let perStep = c.batchSize * c.gradientAccumulation
        return max(1, c.epochs * ((examples + perStep - 1) / perStep))
    }

    /// Ids, attention mask and labels (−100 where no target) of a right-padded batch.
    func batch(_ xs: ArraySlice<TrainingExample>) -> (ids: [[Int]], mask: [[Int]], labels: [[Int]]) {
        let width = xs.map(\.ids.count).max() ?? 1
        var ids: [[Int]] = [], mask: [[Int]] = [], labels: [[Int]] = []
        for x in xs {
            let pad = width - x.ids.count
            ids.append(x.ids + [Int](repeating: config.padID, count: pad))
            mask.append([Int](repeating: 1, count: x.ids.count) + [Int](repeating: 0, count: pad))
            labels.append(x.ids.indices.map { x.mask[$0] != 0 ? x.ids[$0] : -100 } + [Int](repeating: -100, count: pad))
        }
        return (ids, mask, labels)
    }

    /// Mean loss per target token over `examples` (no gradients).
    public func evaluate(_ examples: [TrainingExample]) throws -> Double {
        var nll = 0.0, count = 0
        var start = 0
        while start < examples.count {
            let xs = examples[start..<min(start + config.batchSize, examples.count)]
            start += config.batchSize
            let b = batch(xs)
            let out = try model.forward(ids: b.ids, mask: b.mask, labels: b.labels, backward: false)
            if let loss = out.loss, out.labelledTokens > 0 { nll += loss * Double(out.labelledTokens); count += out.labelledTokens }
        }
        guard count > 0 else { throw TrainError("the validation set has no target tokens") }
        return nll / Double(count)
    }

    /// Trains on `examples` (each needs at least one target), calling `onStep` after every
    /// optimiser step.
    public func train(_ examples: [TrainingExample], validation: [TrainingExample]? = nil,
                      onStep: (StepLog) -> Void = { _ in }) throws -> TrainResult {
        if let i = examples.firstIndex(where: { $0.targets == 0 }) {
            throw TrainError("training example \(i + 1) has no target tokens (an empty completion, or everything masked)")
        }
        guard !examples.isEmpty else { throw TrainError("no training examples") }
        let total = Self.totalSteps(examples: examples.count, config: config)
        let perStep = config.batchSize * config.gradientAccumulation
        var order: [Int] = []
        var epoch = -1
        var cursor = 0
        func nextExamples() -> [TrainingExample] {
            var out: [TrainingExample] = []
            while out.count < perStep {
                if cursor >= order.count {
                    if !order.isEmpty && config.maxSteps == 0 && epoch + 1 >= config.epochs { break }
                    epoch += 1
                    order = Array(examples.indices)
                    if config.shuffle {
                        var rng = SplitMix(config.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
                        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                    }
                    cursor = 0
                }
                out.append(examples[order[cursor]])
                cursor += 1
            }
            return out
        }
        var best: (loss: Double, step: Int)? = nil
        var sinceBest = 0
        var lastLoss = Double.nan, lastEval: Double? = nil
        var tokensSeen = 0
        let started = Date()
        var stoppedEarly = false
        var step = 0
        while step < total {
            let xs = nextExamples()
            if xs.isEmpty { break }
            let t0 = Date()
            optimizer.zeroGrad()
            let micro = stride(from: 0, to: xs.count, by: config.batchSize).map { xs[$0..<min($0 + config.batchSize, xs.count)] }
            let targets = micro.map { $0.reduce(0) { $0 + $1.targets } }
            let allTargets = targets.reduce(0, +)
            var nll = 0.0
            for (k, mb) in micro.enumerated() {
                // Gradients accumulate by addition; scaling the buffer around each backward pass
                // weights micro-batch k's mean-loss gradient by its share of the step's targets.
                let share = Float(Double(targets[k]) / Double(allTargets))
                if k > 0 { scaleGrads(1 / share) }
                let b = batch(mb)
                let out = try model.forward(ids: b.ids, mask: b.mask, labels: b.labels, backward: true)
                scaleGrads(share)
                nll += (out.loss ?? 0) * Double(out.labelledTokens)
                tokensSeen += b.ids.count * (b.ids.first?.count ?? 0)
            }
            let norm = config.maxGradNorm > 0 ? GradientClipping.clip(parameters, maxNorm: config.maxGradNorm) : GradientClipping.norm(parameters)
            let factor = schedule.factor(at: step)
            optimizer.lr = Float(Double(baseLR) * factor)
            optimizer.update()
            step += 1
            lastLoss = nll / Double(max(1, allTargets))
            var log = StepLog(step: step, epoch: epoch, loss: lastLoss, lr: Double(baseLR) * factor, gradNorm: norm,
                              tokens: xs.reduce(0) { $0 + $1.ids.count }, seconds: Date().timeIntervalSince(t0), evalLoss: nil)
            if let validation, !validation.isEmpty, (config.evalEvery > 0 && step % config.evalEvery == 0) || step == total {
                let e = try evaluate(validation)
                log.evalLoss = e
                lastEval = e
                if best == nil || e < best!.loss { best = (e, step); sinceBest = 0 } else { sinceBest += 1 }
                if config.patience > 0 && sinceBest >= config.patience && step < total { stoppedEarly = true }
            }
            onStep(log)
            if stoppedEarly { break }
        }
        optimizer.lr = baseLR
        let seconds = max(Date().timeIntervalSince(started), 1e-9)
        return TrainResult(steps: step, finalLoss: lastLoss, finalEvalLoss: lastEval, bestEvalLoss: best?.loss, bestStep: best?.step,
                           stoppedEarly: stoppedEarly, tokensPerSecond: Double(tokensSeen) / seconds)
    }

    func scaleGrads(_ s: Float) {
        guard s != 1 else { return }
        for p in parameters { let g = p.grad.ptr; for i in 0..<p.grad.count { g[i] *= s } }
    }
}
