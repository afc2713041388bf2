import Foundation
import Testing
import WeftTensor
@testable import WeftTrain

/// SGD, AdamW, Lion and Adafactor step for step against their references, and the
/// learning-rate schedules against transformers' (Tests/Fixtures/make_train_optim.py).
@Suite("optimisers and schedules")
struct OptimizerTests {
    struct Case: Decodable {
        var name: String
        var initial: [[Double]]
        var shapes: [[Int]]
        var grads: [[[Double]]]
        var after: [[[Double]]]
    }
    struct Schedule: Decodable { var name: String; var warmup: Int; var total: Int; var factors: [Double] }
    struct Clip: Decodable { var max_norm: Double; var total_norm: Double; var grads: [[Double]] }
    struct File: Decodable { var cases: [Case]; var schedules: [Schedule]; var clip: [Clip] }

    static func load() throws -> File {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/train/optim.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    /// Builds the optimiser the case names with its options (raw JSON: numbers, booleans,
    /// null, and betas as a list).
    static func make(_ c: Case, _ options: [String: Any], _ params: [Parameter]) throws -> Optimizer {
        func o(_ k: String) -> Double? { (options[k] as? NSNumber)?.doubleValue }
        let betas = options["betas"] as? [Double]
        let lr = Float(o("lr") ?? 0)
        switch c.name {
        case "sgd":
            return try SGD(params, lr: lr, momentum: Float(o("momentum") ?? 0), dampening: Float(o("dampening") ?? 0),
                           weightDecay: Float(o("weight_decay") ?? 0), nesterov: (o("nesterov") ?? 0) != 0)
        case "adamw":
            return AdamW(params, lr: lr, beta1: Float(betas?[0] ?? 0.9), beta2: Float(betas?[1] ?? 0.999), eps: Float(o("eps") ?? 1e-8),
                         weightDecay: Float(o("weight_decay") ?? 0.01))
        case "lion":
            return Lion(params, lr: lr, beta1: Float(betas?[0] ?? 0.9), beta2: Float(betas?[1] ?? 0.99), weightDecay: Float(o("weight_decay") ?? 0))
        default:
            return try Adafactor(params, lr: o("lr").map { Float($0) }, clipThreshold: Float(o("clip_threshold") ?? 1),
                                 beta1: o("beta1").map { Float($0) }, weightDecay: Float(o("weight_decay") ?? 0),
                                 scaleParameter: (o("scale_parameter") ?? 1) != 0, relativeStep: (o("relative_step") ?? 1) != 0,
                                 warmupInit: (o("warmup_init") ?? 0) != 0)
        }
    }

    @Test("each optimiser's parameters after 6 steps equal the reference's (float32)")
    func trajectories() throws {
        let file = try Self.load()
        let raw = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/train/optim.json"))) as? [String: Any])
        let rawCases = try #require(raw["cases"] as? [[String: Any]])
        #expect(file.cases.count == 12)
        for (ci, c) in file.cases.enumerated() {
            let options = rawCases[ci]["options"] as? [String: Any] ?? [:]
            let params = zip(c.initial, c.shapes).enumerated().map { k, v in
                Parameter(name: "p\(k)", value: FloatBuffer(v.0.map { Float($0) }), grad: FloatBuffer(count: v.0.count), shape: v.1)
            }
            let opt = try Self.make(c, options, params)
            var worst = 0.0
            for s in 0..<c.grads.count {
                for (k, p) in params.enumerated() { for (i, x) in c.grads[s][k].enumerated() { p.grad[i] = Float(x) } }
                opt.update()
                for (k, p) in params.enumerated() {
                    for (i, want) in c.after[s][k].enumerated() {
                        // float32 arithmetic in a different order: 2e-6 relative, plus 1e-8 absolute near zero
                        worst = max(worst, abs(Double(p.value[i]) - want) / (2e-6 * abs(want) + 1e-8))
                    }
                }
            }
            #expect(worst <= 1, "\(c.name) \(options): worst error \(worst)× the tolerance")
            #expect(opt.step == 6 && opt.name == c.name)
        }
    }

    @Test("schedule multipliers equal transformers' LambdaLR values step by step")
    func schedules() throws {
        for s in try Self.load().schedules {
            let sch = try LRSchedule(name: s.name, warmupSteps: s.warmup, totalSteps: s.total)
            for (k, want) in s.factors.enumerated() {
                #expect(abs(sch.factor(at: k) - want) < 1e-12, "\(s.name) warmup \(s.warmup) total \(s.total) step \(k)")
            }
        }
        #expect(try LRSchedule(name: "linear", warmupRatio: 0.1, totalSteps: 25).warmupSteps == 3)
    }

    @Test("gradient clipping equals torch.nn.utils.clip_grad_norm_: total norm and clipped gradients")
    func clipping() throws {
        let file = try Self.load()
        for c in file.clip {
            let grads = file.cases[0].grads[0]
            let params = grads.map { g in
                Parameter(name: "p", value: FloatBuffer(count: g.count), grad: FloatBuffer(g.map { Float($0) }))
            }
            let total = GradientClipping.clip(params, maxNorm: c.max_norm)
            #expect(abs(total - c.total_norm) <= 1e-6 * c.total_norm, "max_norm \(c.max_norm): \(total) vs \(c.total_norm)")
            for (p, want) in zip(params, c.grads) {
                for (i, w) in want.enumerated() { #expect(abs(Double(p.grad[i]) - w) <= 1e-6 * abs(w) + 1e-9) }
            }
        }
    }

    @Test("unknown names list the valid ones; inconsistent options are refused")
    func errors() {
        do { _ = try OptimizerKind(name: "adam8bit"); Issue.record("no error") } catch { #expect("\(error)".contains("adamw, lion, adafactor, sgd")) }
        do { _ = try LRSchedule(name: "polynomial", totalSteps: 3); Issue.record("no error") } catch { #expect("\(error)".contains("constant, linear, cosine")) }
        #expect(throws: TrainError.self) { try Adafactor([], lr: 1e-3) }
        #expect(throws: TrainError.self) { try SGD([], lr: 0.1, nesterov: true) }
        #expect(throws: TrainError.self) { try LRSchedule(name: "linear", totalSteps: 0) }
    }
}
