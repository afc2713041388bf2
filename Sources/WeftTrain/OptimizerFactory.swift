import Foundation

/// The hyperparameters a pipeline gives an optimiser; each optimiser takes what applies to it.
public struct OptimizerSettings: Sendable {
    public var kind: OptimizerKind
    public var lr: Double
    public var weightDecay: Double
    /// SGD's momentum.
    public var momentum: Double
    public init(kind: OptimizerKind, lr: Double, weightDecay: Double = 0, momentum: Double = 0.9) {
        self.kind = kind
        self.lr = lr
        self.weightDecay = weightDecay
        self.momentum = momentum
    }

    /// The optimiser over `params`, with its reference implementation's defaults for
    /// everything not set here (AdamW betas 0.9/0.999, eps 1e-8; Lion betas 0.9/0.99;
    /// Adafactor with a fixed lr, no relative step and no parameter scaling, as the HF
    /// Trainer's `adafactor` option configures it).
    public func make(_ params: [Parameter]) throws -> Optimizer {
        guard lr > 0, lr.isFinite else { throw TrainError("lr must be a positive number (got \(lr))") }
        guard weightDecay >= 0 else { throw TrainError("weight_decay must be ≥ 0 (got \(weightDecay))") }
        switch kind {
        case .adamw: return AdamW(params, lr: Float(lr), weightDecay: Float(weightDecay))
        case .lion: return Lion(params, lr: Float(lr), weightDecay: Float(weightDecay))
        case .adafactor:
            return try Adafactor(params, lr: Float(lr), weightDecay: Float(weightDecay), scaleParameter: false, relativeStep: false)
        case .sgd:
            guard (0..<1).contains(momentum) else { throw TrainError("momentum must be in [0, 1) (got \(momentum))") }
            return try SGD(params, lr: Float(lr), momentum: Float(momentum), weightDecay: Float(weightDecay))
        }
    }
}
