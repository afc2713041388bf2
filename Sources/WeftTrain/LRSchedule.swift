import Foundation

/// Learning-rate schedules as `transformers`' `get_{constant,linear,cosine}_schedule_with_warmup`
/// define them: a linear warm-up from 0 over `warmupSteps`, then constant, linear decay to 0
/// at `totalSteps`, or a half cosine to 0.
public struct LRSchedule: Sendable, Equatable {
    public enum Kind: String, CaseIterable, Sendable { case constant, linear, cosine }

    public var kind: Kind
    public var warmupSteps: Int
    public var totalSteps: Int

    /// `warmupRatio` (when given) becomes ⌈ratio · total⌉ steps, as `TrainingArguments` computes it.
    public init(name: String, warmupSteps: Int = 0, warmupRatio: Double? = nil, totalSteps: Int) throws {
        guard let k = Kind(rawValue: name.lowercased()) else {
            throw TrainError("unknown schedule '\(name)'; valid schedules: " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard totalSteps >= 1 else { throw TrainError("the schedule needs at least one training step (got \(totalSteps))") }
        guard warmupSteps >= 0 else { throw TrainError("warmup_steps must be ≥ 0 (got \(warmupSteps))") }
        if let r = warmupRatio, !(0...1).contains(r) { throw TrainError("warmup_ratio must be in [0, 1] (got \(r))") }
        kind = k
        self.warmupSteps = warmupRatio.map { Int((Double(totalSteps) * $0).rounded(.up)) } ?? warmupSteps
        self.totalSteps = totalSteps
    }

    /// The multiplier of the base learning rate after `step` completed optimiser steps
    /// (the rate step `step + 1` uses), as `LambdaLR` applies it.
    public func factor(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        switch kind {
        case .constant: return 1
        case .linear: return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }
}
