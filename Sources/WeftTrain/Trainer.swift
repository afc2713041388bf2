import Foundation
import WeftModels
import WeftTensor

/// One training sequence: token ids and a loss mask (1 = the token is a target; prompt
/// tokens of SFT rows are 0). The first token is never a target.
/// A classification example carries its class id instead: one target per sequence.
public struct TrainingExample: Sendable, Equatable {
    public var ids: [Int]
    public var mask: [UInt8]
    /// The class id (classification); nil for a language-modelling example.
    public var label: Int?
    /// For packed sequences: each token's segment number (1, 2, …); attention and positions
    /// stay within a segment. nil for one sequence.
    public var segments: [Int]?
    public init(ids: [Int], mask: [UInt8]? = nil) {
        self.ids = ids
        self.mask = mask ?? [UInt8](repeating: 1, count: ids.count)
    }
    public init(ids: [Int], label: Int) {
        self.ids = ids
        mask = [UInt8](repeating: 1, count: ids.count)
        self.label = label
    }
    /// `examples` joined in order into sequences of at most `maxLength` tokens (an example
    /// longer than that stays alone), each example a segment: the first token of every
    /// segment is no target, so no token is predicted across a boundary.
    public static func pack(_ examples: [TrainingExample], maxLength: Int) -> [TrainingExample] {
        var out: [TrainingExample] = []
        var current = TrainingExample(ids: [], mask: [])
        var segment = 0
        for x in examples {
            if !current.ids.isEmpty && current.ids.count + x.ids.count > maxLength {
                out.append(current)
                current = TrainingExample(ids: [], mask: [])
                segment = 0
            }
            segment += 1
            current.ids += x.ids
            current.mask += [0] + x.mask.dropFirst()
            current.segments = (current.segments ?? []) + [Int](repeating: segment, count: x.ids.count)
        }
        if !current.ids.isEmpty { out.append(current) }
        return out
    }

    /// Targets the loss counts: the class for classification, else positions after the
    /// first whose mask is on.
    public var targets: Int {
        if label != nil { return 1 }
        return mask.indices.dropFirst().reduce(0) { $0 + (mask[$1] != 0 ? 1 : 0) }
    }
}

/// What is trained: a causal language model (next-token loss on masked targets) or a BERT
/// classifier (cross-entropy of the class).
public enum TrainingObjective {
    case causal(any CausalLM)
    case classification(BertModel)

    public var model: LinearModel {
        switch self {
        case .causal(let m): return m
        case .classification(let m): return m
        }
    }
}

/// Where a run stands after some optimiser step: with the parameters, the optimiser's state
/// and the dropout generators, what a checkpoint needs to continue exactly.
public struct TrainerState: Codable, Sendable, Equatable {
    public var step = 0
    public var lastLoss = Double.nan
    public var lastEval: Double?
    public var bestEval: Double?
    public var bestStep: Int?
    public var sinceBest = 0
    public var tokensSeen = 0
    /// Training seconds before this process (a resumed run's throughput counts them).
    public var seconds = 0.0
    public init() {}
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
    /// Call `onCheckpoint` every N optimiser steps (0: never).
    public var saveSteps = 0
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

    public init(step: Int, epoch: Int, loss: Double, lr: Double, gradNorm: Double, tokens: Int, seconds: Double, evalLoss: Double?) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.lr = lr
        self.gradNorm = gradNorm
        self.tokens = tokens
        self.seconds = seconds
        self.evalLoss = evalLoss
    }
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
    public let objective: TrainingObjective
    public let parameters: [Parameter]
    public let optimizer: Optimizer
    public let schedule: LRSchedule
    public let config: TrainerConfig
    let baseLR: Float

    public convenience init(model: any CausalLM, parameters: [Parameter], optimizer: Optimizer, schedule: LRSchedule, config: TrainerConfig) throws {
        try self.init(objective: .causal(model), parameters: parameters, optimizer: optimizer, schedule: schedule, config: config)
    }

    public init(objective: TrainingObjective, parameters: [Parameter], optimizer: Optimizer, schedule: LRSchedule, config: TrainerConfig) throws {
        guard config.batchSize >= 1, config.gradientAccumulation >= 1 else { throw TrainError("batch_size and gradient_accumulation must be at least 1") }
        guard !parameters.isEmpty else { throw TrainError("nothing to train: no trainable parameters") }
        self.objective = objective
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
            mask.append((x.segments ?? [Int](repeating: 1, count: x.ids.count)) + [Int](repeating: 0, count: pad))
            labels.append(x.ids.indices.map { x.mask[$0] != 0 ? x.ids[$0] : -100 } + [Int](repeating: -100, count: pad))
        }
        return (ids, mask, labels)
    }

    /// One forward (and backward) pass over a micro-batch: the mean loss and the targets it
    /// averaged over.
    func pass(_ xs: ArraySlice<TrainingExample>, backward: Bool) throws -> (loss: Double, targets: Int) {
        let b = batch(xs)
        switch objective {
        case .causal(let m):
            let out = try m.forward(ids: b.ids, mask: b.mask, labels: b.labels, backward: backward)
            return (out.loss ?? 0, out.labelledTokens)
        case .classification(let m):
            let labels = try xs.map { x -> Int in
                guard let l = x.label else { throw TrainError("a classification example has no label") }
                return l
            }
            let out = try m.forward(ids: b.ids, mask: b.mask, labels: labels, backward: backward)
            return (out.loss ?? 0, labels.count)
        }
    }

    /// Mean loss per target token over `examples` (no gradients).
    public func evaluate(_ examples: [TrainingExample]) throws -> Double {
        var nll = 0.0, count = 0
        var start = 0
        while start < examples.count {
            let xs = examples[start..<min(start + config.batchSize, examples.count)]
            start += config.batchSize
            let (loss, targets) = try pass(xs, backward: false)
            if targets > 0 { nll += loss * Double(targets); count += targets }
        }
        guard count > 0 else { throw TrainError("the validation set has no target tokens") }
        return nll / Double(count)
    }

    /// Trains on `examples` (each needs at least one target), calling `onStep` after every
    /// optimiser step and `onCheckpoint` every `saveSteps` steps (not after the last: the
    /// caller writes the final result). With `resume`, the run continues after that state's
    /// step — the caller has restored the parameters, optimiser and dropout state — visiting
    /// the same examples in the same order as an uninterrupted run.
    public func train(_ examples: [TrainingExample], validation: [TrainingExample]? = nil, resume: TrainerState? = nil,
                      onStep: (StepLog) -> Void = { _ in }, onCheckpoint: (TrainerState) throws -> Void = { _ in }) throws -> TrainResult {
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
        var state = resume ?? TrainerState()
        guard state.step <= total else {
            throw TrainError("the checkpoint is at step \(state.step), past this run's \(total) steps")
        }
        // Skip what the interrupted run already trained on: the order depends only on the seed.
        for _ in 0..<state.step { _ = nextExamples() }
        let started = Date()
        var stoppedEarly = false
        while state.step < total {
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
                let (loss, counted) = try pass(mb, backward: true)
                scaleGrads(share)
                nll += loss * Double(counted)
                state.tokensSeen += mb.reduce(0) { $0 + $1.ids.count }
            }
            let norm = config.maxGradNorm > 0 ? GradientClipping.clip(parameters, maxNorm: config.maxGradNorm) : GradientClipping.norm(parameters)
            let factor = schedule.factor(at: state.step)
            optimizer.lr = Float(Double(baseLR) * factor)
            optimizer.update()
            state.step += 1
            state.lastLoss = nll / Double(max(1, allTargets))
            var log = StepLog(step: state.step, epoch: epoch, loss: state.lastLoss, lr: Double(baseLR) * factor, gradNorm: norm,
                              tokens: xs.reduce(0) { $0 + $1.ids.count }, seconds: Date().timeIntervalSince(t0), evalLoss: nil)
            if let validation, !validation.isEmpty, (config.evalEvery > 0 && state.step % config.evalEvery == 0) || state.step == total {
                let e = try evaluate(validation)
                log.evalLoss = e
                state.lastEval = e
                if state.bestEval == nil || e < state.bestEval! { state.bestEval = e; state.bestStep = state.step; state.sinceBest = 0 } else { state.sinceBest += 1 }
                if config.patience > 0 && state.sinceBest >= config.patience && state.step < total { stoppedEarly = true }
            }
            onStep(log)
            if stoppedEarly { break }
            if config.saveSteps > 0 && state.step % config.saveSteps == 0 && state.step < total {
                var saved = state
                saved.seconds += Date().timeIntervalSince(started)
                optimizer.lr = baseLR
                try onCheckpoint(saved)
            }
        }
        optimizer.lr = baseLR
        let seconds = max(state.seconds + Date().timeIntervalSince(started), 1e-9)
        return TrainResult(steps: state.step, finalLoss: state.lastLoss, finalEvalLoss: state.lastEval, bestEvalLoss: state.bestEval,
                           bestStep: state.bestStep, stoppedEarly: stoppedEarly, tokensPerSecond: Double(state.tokensSeen) / seconds)
    }

    func scaleGrads(_ s: Float) {
        guard s != 1 else { return }
        for p in parameters { let g = p.grad.ptr; for i in 0..<p.grad.count { g[i] *= s } }
    }
}
