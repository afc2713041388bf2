import Foundation
import WeftCore
import WeftModels
import WeftTensor
import WeftText
import WeftTrain

/// The optimiser, schedule and loop settings shared by `finetune` and `pretrain`, read
/// from a stage's `with:`.
struct TrainingSettings {
    var optimizer: OptimizerSettings
    var schedule: String
    var warmupSteps: Int
    var warmupRatio: Double?
    var trainer = TrainerConfig()
    var keepCheckpoints: Int
    var gradientCheckpointing: Bool

    init(_ ctx: StageContext) throws {
        optimizer = OptimizerSettings(kind: try OptimizerKind(name: try ctx.string("optimizer")), lr: try ctx.double("lr"),
                                      weightDecay: try ctx.double("weight_decay"),
                                      momentum: ctx.with["momentum"] == nil ? 0.9 : try ctx.double("momentum"))
        schedule = try ctx.string("schedule")
        warmupSteps = try ctx.int("warmup_steps")
        let ratio = try ctx.double("warmup_ratio")
        warmupRatio = ratio > 0 ? ratio : nil
        func positive(_ key: String, min: Int = 1) throws -> Int {
            let v = try ctx.int(key)
            guard v >= min else { throw TextError.config(key: key, message: "must be at least \(min), got \(v)", hint: "") }
            return v
        }
        trainer.batchSize = try positive("batch_size")
        trainer.gradientAccumulation = try positive("gradient_accumulation")
        trainer.epochs = try positive("epochs")
        trainer.maxSteps = try positive("max_steps", min: 0)
        trainer.maxGradNorm = try ctx.double("max_grad_norm")
        guard trainer.maxGradNorm >= 0 else { throw TextError.config(key: "max_grad_norm", message: "must be ≥ 0", hint: "0 turns clipping off") }
        trainer.evalEvery = try positive("eval_steps", min: 0)
        trainer.patience = try positive("patience", min: 0)
        trainer.saveSteps = try positive("save_steps", min: 0)
        trainer.seed = UInt64(truncatingIfNeeded: try ctx.int("seed"))
        keepCheckpoints = try positive("keep_checkpoints", min: 0)
        gradientCheckpointing = try ctx.bool("gradient_checkpointing")
        // Load OpenBLAS now: it sets the thread count from OPENBLAS_NUM_THREADS (the stage's
        // cpus), which `threads` then overrides, and the log reports the real value.
        try BLAS.load()
        let threads = try positive("threads", min: 0)
        if threads > 0 { BLAS.threads = threads }
    }
}

/// One training run of a stage: checkpoints in the (persisted) output folder, resume from
/// the newest one that matches this run's fingerprint, progress on the console, and the
/// training log.
struct TrainingRun {
    let ctx: StageContext
    let output: String
    let fingerprint: String
    let settings: TrainingSettings

    /// Makes the output folder ready: everything but matching checkpoints goes, so nothing
    /// from an earlier run can be mistaken for this run's result.
    static func prepare(output: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: output, isDirectory: &isDir), !isDir.boolValue {
            throw TextError.io(path: output, message: "exists and is not a folder", hint: "the output is a folder; remove the file or choose another path")
        }
        try fm.createDirectory(atPath: output, withIntermediateDirectories: true)
        for n in try fm.contentsOfDirectory(atPath: output) where !n.hasPrefix("checkpoint-") {
            try fm.removeItem(atPath: output + "/" + n)
        }
    }

    /// A fingerprint of the run: the stage's settings (less those that cannot change the
    /// trained weights) and the content of every input file.
    static func fingerprint(_ ctx: StageContext, inputs: [String]) throws -> String {
        var with = ctx.with
        if case .dict(var entries) = with {
            entries.removeAll { ["save_steps", "keep_checkpoints"].contains($0.0) }
            with = .dict(entries)
        }
        var text = "weft-train-1\n" + with.canonicalJSON + "\n"
        for input in inputs {
            for file in try files(input) { text += file + " " + (try ContentHash.ofFile(file)) + "\n" }
        }
        return ContentHash.of(text)
    }

    static func files(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        guard isDir.boolValue else { return [path] }
        return try FileManager.default.contentsOfDirectory(atPath: path).sorted().flatMap { try files(path + "/" + $0) }
    }

    /// Trains, resuming when a matching checkpoint exists. Returns the result and the log of
    /// every step (a resumed run's earlier steps included).
    func run(_ objective: TrainingObjective, parameters: [Parameter], train: [TrainingExample], validation: [TrainingExample]?) throws
        -> (TrainResult, [StepLog]) {
        let optimizer = try settings.optimizer.make(parameters)
        let total = Trainer.totalSteps(examples: train.count, config: settings.trainer)
        let schedule = try LRSchedule(name: settings.schedule, warmupSteps: settings.warmupSteps, warmupRatio: settings.warmupRatio, totalSteps: total)
        let trainer = try Trainer(objective: objective, parameters: parameters, optimizer: optimizer, schedule: schedule, config: settings.trainer)
        let checkpoints = TrainingCheckpoint(directory: output, fingerprint: fingerprint)
        var logs: [StepLog] = []
        let resumed = checkpoints.restoreLatest(parameters: parameters, optimizer: optimizer, model: objective.model, log: ctx.log)
        if let resumed {
            logs = Self.readLog(resumed.path + "/train_log.csv")
            ctx.log("resuming from \((resumed.path as NSString).lastPathComponent) (step \(resumed.state.step) of \(total))")
        } else {
            checkpoints.removeAll()
        }
        let trainable = parameters.reduce(0) { $0 + $1.value.count }
        ctx.log("training: \(train.count) examples, \(total) steps of \(settings.trainer.batchSize)×\(settings.trainer.gradientAccumulation), "
                + "\(trainable) trainable parameters, \(settings.optimizer.kind.rawValue) lr \(settings.optimizer.lr), \(settings.schedule) schedule, \(BLAS.threads) threads")
        var progress = Progress(total: total, start: resumed?.state.step ?? 0, log: ctx.log)
        let result = try trainer.train(train, validation: validation, resume: resumed?.state, onStep: { s in
            logs.append(s)
            progress.step(s)
        }, onCheckpoint: { state in
            try checkpoints.save(state: state, parameters: parameters, optimizer: optimizer, model: objective.model,
                                 keep: max(1, settings.keepCheckpoints), extra: ["train_log.csv": Array(Self.csv(logs).utf8)])
            progress.note("checkpoint-\(state.step) saved")
        })
        progress.finish()
        if settings.keepCheckpoints == 0 { checkpoints.removeAll() }
        return (result, logs)
    }

    /// The training log as CSV: one row per optimiser step.
    static func csv(_ logs: [StepLog]) -> String {
        var out = "step,epoch,loss,lr,grad_norm,tokens,tokens_per_s,eval_loss\n"
        for l in logs {
            let tps = l.seconds > 0 ? Double(l.tokens) / l.seconds : 0
            out += "\(l.step),\(l.epoch),\(fmt(l.loss)),\(fmt(l.lr)),\(fmt(l.gradNorm)),\(l.tokens),\(String(format: "%.1f", tps)),\(l.evalLoss.map(fmt) ?? "")\n"
        }
        return out
    }

    static func fmt(_ x: Double) -> String { String(format: "%.6g", x) }

    /// Rows of a log written by `csv` (a checkpoint's), back as step logs.
    static func readLog(_ path: String) -> [StepLog] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst(1).compactMap { (line: Substring) -> StepLog? in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let step = Int(f[0]), let epoch = Int(f[1]), let loss = Double(f[2]), let lr = Double(f[3]),
                  let gn = Double(f[4]), let tokens = Int(f[5]), let tps = Double(f[6]) else { return nil }
            return StepLog(step: step, epoch: epoch, loss: loss, lr: lr, gradNorm: gn, tokens: tokens,
                           seconds: tps > 0 ? Double(tokens) / tps : 0, evalLoss: Double(f[7]))
        }
    }

    /// Writes `train_log.csv` and `metrics.json` into the output folder.
    func writeReports(_ result: TrainResult, logs: [StepLog], extra: [(String, Any)]) throws {
        try AtomicWriter.write(output + "/train_log.csv", Array(Self.csv(logs).utf8))
        var m: [(String, Any)] = [("train_loss", result.finalLoss), ("steps", result.steps), ("tokens_per_s", (result.tokensPerSecond * 10).rounded() / 10),
                                  ("peak_rss_mib", (ProcessMemory.peakMiB() * 10).rounded() / 10), ("stopped_early", result.stoppedEarly)]
        if let e = result.finalEvalLoss { m.append(("eval_loss", e)) }
        if let b = result.bestEvalLoss { m.append(("best_eval_loss", b)) }
        if let s = result.bestStep { m.append(("best_step", s)) }
        m += extra
        try TextStageSupport.writeJSON(Dictionary(m, uniquingKeysWith: { a, _ in a }), to: output + "/metrics.json")
    }
}

/// Training progress: a bar (step/total, loss, tokens/s, ETA) redrawn in place when the
/// stage's output is a terminal, or handed to the engine's live status line through
/// `WEFT_PROGRESS_FILE` (set by `weft repro` on a terminal); besides, a plain line about every
/// 5% of the run or 30 seconds for the log.
struct Progress {
    let total: Int
    let start: Int
    let log: @Sendable (String) -> Void
    let terminal = isatty(STDOUT_FILENO) == 1
    let progressFile = ProcessInfo.processInfo.environment["WEFT_PROGRESS_FILE"]
    var lastBar = Date.distantPast
    let began = Date()
    var lastLine = Date.distantPast
    var lastStep = 0
    var tokens = 0

    init(total: Int, start: Int, log: @escaping @Sendable (String) -> Void) {
        self.total = total
        self.start = start
        self.log = log
        lastStep = start
    }

    mutating func step(_ s: StepLog) {
        tokens += s.tokens
        let elapsed = Date().timeIntervalSince(began)
        let rate = elapsed > 0 ? Double(tokens) / elapsed : 0
        let perStep = Double(s.step - start) > 0 ? elapsed / Double(s.step - start) : 0
        let eta = Int(perStep * Double(total - s.step))
        let etaText = String(format: "%d:%02d", eta / 60, eta % 60)
        let evalText = s.evalLoss.map { String(format: " eval %.4f", $0) } ?? ""
        let width = 20, filled = total > 0 ? width * s.step / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = String(format: "%@ %d/%d loss %.4f%@ %.0f tok/s ETA %@", bar, s.step, total, s.loss, evalText, rate, etaText)
        if terminal {
            FileHandle.standardOutput.write(Data(("\r" + text + " ").utf8))
            if s.evalLoss != nil { FileHandle.standardOutput.write(Data("\n".utf8)) }
            return
        }
        if let progressFile, s.step == total || Date().timeIntervalSince(lastBar) >= 0.2 {
            // Written whole and renamed, so the engine never reads half a line.
            let tmp = progressFile + ".tmp"
            if FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) { _ = rename(tmp, progressFile) }
            lastBar = Date()
        }
        let every = max(1, total / 20)
        if s.step == total || s.evalLoss != nil || s.step - lastStep >= every || Date().timeIntervalSince(lastLine) >= 30 {
            log(String(format: "step %d/%d loss %.4f%@ lr %.3g grad_norm %.3g %.0f tok/s ETA %@", s.step, total, s.loss, evalText, s.lr, s.gradNorm, rate, etaText))
            lastLine = Date()
            lastStep = s.step
        }
    }

    func note(_ text: String) {
        if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
        log(text)
    }

    func finish() { if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) } }
}
