import Foundation
import WeftCore
import WeftEval
import WeftModels
import WeftText

/// `uses: evaluate` — scores predictions with sacreBLEU / rouge-score / scikit-learn-exact
/// metrics (`weft evaluate` runs the same code), or first lets a model generate, classify
/// or score a dataset; adds bootstrap intervals, and summarises cross-validation folds.
/// Writes `metrics.json`, `predictions.jsonl` and (classification) `confusion.json` into
/// the `output` folder, which is complete or absent.
public enum EvaluateStage: BuiltinStage {
    public static let name = "evaluate"

    /// The classification metrics of always predicting the most frequent true label (ties:
    /// the label seen first), as `baseline_<metric>` entries: the floor a classifier has to beat.
    static func majorityBaseline(_ set: PredictionSet, options: EvalOptions) throws -> [(String, EvalJSON)] {
        guard set.hasLabels else {
            throw TextError.config(key: "baseline", message: "the majority-class baseline needs classification labels", hint: "use it with classification metrics")
        }
        var counts: [Int32: Int] = [:]
        var first: [Int32] = []
        for c in set.truthCodes {
            if counts[c] == nil { first.append(c) }
            counts[c, default: 0] += 1
        }
        let top = first.max { counts[$0]! < counts[$1]! || (counts[$0]! == counts[$1]! && first.firstIndex(of: $0)! > first.firstIndex(of: $1)!) }!
        let truths = (0..<set.count).map { set.label(at: $0) }
        var baseline = set
        baseline.setLabels(truths: truths, predictions: [ClassLabel](repeating: set.labelTable[Int(top)], count: set.count))
        var opts = options
        opts.metrics.removeAll { !$0.isClassification }
        opts.bootstrap = nil
        return try Evaluator.run(baseline, options: opts, perExample: false).flat.map { ("baseline_" + $0.0, $0.1) }
    }

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        let output = try ctx.string("output")
        let threads = try ctx.threads()
        let zero: String
        switch ctx.with["zero_division"] {
        case .int(let i)?: zero = String(i)
        default: zero = try ctx.string("zero_division")
        }
        var options = try EvalOptions(
            metrics: try ctx.strings("metrics"), tokenize: try ctx.with["tokenize"]?.interpolationText ?? "13a", smooth: try ctx.string("smooth"),
            smoothValue: ctx.with["smooth_value"] == .null ? nil : try ctx.double("smooth_value"), lowercase: try ctx.bool("lowercase"),
            rougeStemmer: try ctx.bool("rouge_stemmer"), zeroDivision: zero, labels: try ctx.strings("labels"), nBoot: try ctx.int("n_boot"),
            confidence: try ctx.double("confidence"), seed: UInt64(truncatingIfNeeded: try ctx.int("seed")), threads: threads)
        if ctx.with["rouge_bootstrap_seed"] != .null { options.rougeAggregatorSeed = UInt32(truncatingIfNeeded: try ctx.int("rouge_bootstrap_seed")) }
        var fields = PredictionSet.Fields()
        fields.prediction = try ctx.string("prediction_field")
        fields.reference = try ctx.string("reference_field")
        fields.references = try ctx.string("references_field")
        fields.label = try ctx.string("label_field")

        let folds = try ctx.strings("folds")
        let predictions = try ctx.optionalString("predictions")
        let model = try ctx.optionalString("model")
        let given = [!folds.isEmpty, predictions != nil, model != nil].filter { $0 }.count
        guard given == 1 else {
            throw TextError.config(key: "with", message: given == 0 ? "nothing to evaluate" : "give only one of predictions, model or folds",
                                   hint: "predictions: FILE.jsonl scores predictions; model + data lets the model predict; folds: [...] summarises cross-validation")
        }
        let tmp = try TextStageSupport.temporaryFolder(for: output)
        var moved = false
        defer { if !moved { try? FileManager.default.removeItem(atPath: tmp) } }  // no half-built folder is left behind
        var summary: [(String, EvalJSON)]
        if !folds.isEmpty {
            options.bootstrap = nil
            summary = try crossValidation(folds, options: options, fields: fields, references: try ctx.optionalString("references"), ctx: ctx)
        } else {
            var set: PredictionSet
            var extra: [[(String, EvalJSON)]]
            var modelFlat: [(String, EvalJSON)] = []
            if let predictions {
                set = try PredictionSet.read(path: predictions, referencesPath: try ctx.optionalString("references"), fields: fields,
                                             text: options.metrics.contains(where: \.isText), classification: options.metrics.contains(where: \.isClassification),
                                             threads: threads)
                extra = inputColumns(set, options)
            } else {
                guard let data = try ctx.optionalString("data") else {
                    throw TextError.config(key: "data", message: "model mode needs 'data', the rows the model is evaluated on", hint: "")
                }
                (set, extra, modelFlat) = try ModelRun(ctx: ctx, model: model!, data: data, options: options, fields: fields).run()
            }
            options.metrics.removeAll(where: \.needsModel)
            let result = options.metrics.isEmpty ? EvalResult() : try Evaluator.run(set, options: options, perExample: true)
            for w in result.warnings { ctx.log("evaluate: warning: " + w) }
            summary = (result.flat.isEmpty ? [("rows", .int(set.count))] : result.flat) + modelFlat
            if try ctx.string("baseline") == "majority" { summary += try majorityBaseline(set, options: options) }
            // predictions.jsonl: the inputs of each row, then its per-example values.
            let writer = try AtomicWriter(path: tmp + "/predictions.jsonl")
            for i in 0..<set.count {
                let values = i < result.perExample.count ? result.perExample[i] : []
                try writer.write(Array((EvalJSON.object(extra[i] + values).compact + "\n").utf8))
            }
            try writer.commit()
            if let c = result.classification {
                let rows = EvalJSON.array((0..<set.count).map { i in
                    .object([("actual", Evaluator.labelJSON(set.label(at: i))), ("predicted", Evaluator.labelJSON(set.predictedLabel(at: i)))])
                })
                try AtomicWriter.write(tmp + "/confusion.json", Array((rows.pretty + "\n").utf8))
                ctx.log(c.table())
            }
        }
        try AtomicWriter.write(tmp + "/metrics.json", Array((EvalJSON.object(summary).pretty + "\n").utf8))
        try TextStageSupport.replaceFolder(output, with: tmp)
        moved = true
        for (k, v) in summary where !k.hasSuffix("_signature") {
            if case .object = v { continue }
            ctx.log("evaluate: \(k) = \(v.compact)")
        }
        ctx.log(String(format: "evaluate: done in %.2f s, peak RSS %.0f MB", Date().timeIntervalSince(start), ProcessMemory.peakMiB()))
    }

    /// The inputs shown next to each row's values in predictions.jsonl.
    static func inputColumns(_ set: PredictionSet, _ o: EvalOptions) -> [[(String, EvalJSON)]] {
        (0..<set.count).map { i in
            var row: [(String, EvalJSON)] = [("line", .int(set.lines[i]))]
            if !set.predictions.isEmpty {
                row.append(("prediction", .string(set.predictions[i])))
                row.append(("references", .array(set.references[i].map { .string($0) })))
            }
            if set.hasLabels {
                row.append(("predicted", Evaluator.labelJSON(set.predictedLabel(at: i))))
                row.append(("label", Evaluator.labelJSON(set.label(at: i))))
            }
            return row
        }
    }

    /// Scores every fold alone, then each numeric metric's mean and population std.
    static func crossValidation(_ folds: [String], options: EvalOptions, fields: PredictionSet.Fields, references: String?,
                                ctx: StageContext) throws -> [(String, EvalJSON)] {
        var perFold: [[(String, Double)]] = []
        var detail: [(String, EvalJSON)] = []
        for (k, path) in folds.enumerated() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw TextError.io(path: path, message: "fold \(k) does not exist", hint: "list one predictions JSONL, evaluate output folder or metrics .json per fold")
            }
            var flat: [(String, EvalJSON)]
            if !isDir.boolValue && path.hasSuffix(".json") {
                flat = try metricsFile(path)
            } else {
                let file = isDir.boolValue ? path + "/predictions.jsonl" : path
                let set = try PredictionSet.read(path: file, referencesPath: references, fields: fields,
                                                 text: options.metrics.contains(where: \.isText),
                                                 classification: options.metrics.contains(where: \.isClassification), threads: options.threads)
                flat = try Evaluator.run(set, options: options, perExample: false).flat
            }
            let numbers = flat.compactMap { (k, v) -> (String, Double)? in
                switch v {
                case .number(let d): return (k, d)
                case .int(let i): return k == "rows" ? nil : (k, Double(i))
                default: return nil
                }
            }
            perFold.append(numbers)
            detail.append(("fold_\(k)", .object(numbers.map { ($0.0, .number($0.1)) })))
            ctx.log("evaluate: fold \(k): " + numbers.prefix(6).map { "\($0.0) \(EvalJSON.format($0.1))" }.joined(separator: ", "))
        }
        var out: [(String, EvalJSON)] = [("folds", .int(folds.count))]
        for (k, s) in try CrossValidation.aggregate(perFold) {
            out.append((k, .number(s.mean)))
            out.append((k + "_std", .number(s.std)))
        }
        out.append(("per_fold", .object(detail)))
        return out
    }

    /// A metrics .json file's top-level numbers.
    static func metricsFile(_ path: String) throws -> [(String, EvalJSON)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.io(path: path, message: "cannot read the fold's metrics file", hint: "check the path")
        }
        guard case .dict(let d) = try DocumentLoader.parse(String(decoding: data, as: UTF8.self), file: path).value else {
            throw TextError.io(path: path, message: "not a JSON object of metrics", hint: "give a metrics .json written by evaluate, or its predictions")
        }
        return d.compactMap { k, v in
            switch v {
            case .int(let i): return (k, .number(Double(i)))
            case .double(let x): return (k, .number(x))
            default: return nil
            }
        }
    }
}
