import Foundation
import WeftCore
import WeftEval
import WeftModels
import WeftText

/// The `evaluate` stage's model mode: reads `data`, lets the model generate, classify or
/// score it, and returns the rows as a `PredictionSet` (plus per-row inputs and the
/// likelihood metrics) for the shared `Evaluator`.
struct ModelRun {
    let ctx: StageContext
    let model: String
    let data: String
    let options: EvalOptions
    let fields: PredictionSet.Fields

    enum Task: String { case auto, generate, classify, score }

    func run() throws -> (PredictionSet, [[(String, EvalJSON)]], [(String, EvalJSON)]) {
        let eval = try ModelEvaluation(model: model, adapter: try ctx.optionalString("adapter"), tokenizer: try ctx.optionalString("tokenizer"), log: ctx.log)
        var task = try ctx.choice("task", as: Task.self)
        if task == .auto {
            if case .bert = eval.model { task = .classify } else if options.metrics.allSatisfy(\.needsModel) { task = .score } else { task = .generate }
        }
        // template: model reads the chat template beside the tokenizer (the model folder's by default).
        var renderer = try SFTRenderer(template: try ctx.choice("template", as: SFTRenderer.Template.self), trainOnInputs: false,
                                       textField: try ctx.string("text_field"), tokenizerPath: try ctx.optionalString("tokenizer") ?? model + "/tokenizer.json")
        renderer.pairFormat = try TextStageSupport.pairFormat(ctx)
        var rows = try TextStageSupport.allRows(data, textField: try ctx.string("text_field"), threads: options.threads, purpose: "evaluate")
        // `limit`: N rows spread evenly through the file (row ⌊i·count/N⌋), so a file ordered
        // by label still gives every part of it.
        let limit = try ctx.int("limit")
        if limit > 0 && rows.count > limit { rows = (0..<limit).map { rows[$0 * rows.count / limit] } }
        var set = PredictionSet(path: data)
        set.lines = rows.map(\.line)
        var columns: [[(String, EvalJSON)]] = rows.map { [("line", .int($0.line))] }
        var flat: [(String, EvalJSON)] = []
        let batchSize = max(1, try ctx.int("batch_size"))

        switch task {
        case .classify:
            let textField = try ctx.string("text_field")
            var texts: [String] = [], truths: [ClassLabel] = []
            for row in rows {
                texts.append(try TextStageSupport.text(row, textField, path: data))
                truths.append(try Self.label(row, fields.label, path: data))
            }
            let predicted = try eval.classify(texts: texts, asIntegers: truths.first?.isInt ?? false, batchSize: batchSize,
                                              maxLength: try ctx.int("max_length"))
            set.setLabels(truths: truths, predictions: predicted)
            for i in rows.indices {
                columns[i] += [("text", .string(texts[i])), ("predicted", Evaluator.labelJSON(predicted[i])), ("label", Evaluator.labelJSON(truths[i]))]
            }
        case .generate:
            var prompts: [String] = []
            for row in rows {
                let (prompt, reference) = try renderer.generationPrompt(row, path: data)
                prompts.append(prompt)
                if row.has(fields.references) || row.has(fields.reference) {
                    set.references.append(try PredictionSet.references(of: row, fields: fields, path: data))
                } else if let reference {
                    set.references.append([reference])
                } else if options.metrics.contains(where: \.isText) {
                    throw TextError.data(path: data, line: row.line, message: "row has no reference to score the generation against",
                                         hint: "give '\(fields.reference)', '\(fields.references)', a 'completion' or a final assistant message")
                } else {
                    set.references.append([])
                }
            }
            var g = GenerationConfig()
            g.maxNewTokens = try ctx.int("max_new_tokens")
            g.temperature = Float(try ctx.double("temperature"))
            g.topK = try ctx.int("top_k")
            g.topP = Float(try ctx.double("top_p"))
            g.repetitionPenalty = Float(try ctx.double("repetition_penalty"))
            guard g.repetitionPenalty > 0 else { throw TextError.config(key: "repetition_penalty", message: "must be > 0 (1 = off)", hint: "") }
            g.seed = UInt64(truncatingIfNeeded: try ctx.int("seed"))
            // A model template renders its own BOS (as apply_chat_template + encode without special tokens).
            let chat = renderer.chatTemplate
            set.predictions = try eval.generate(prompts: prompts, config: g, batchSize: batchSize, addSpecialTokens: chat == nil,
                                                stopStrings: chat?.specialTokens["eos_token"].map { [$0] } ?? [])
            for i in rows.indices {
                columns[i] += [("prompt", .string(prompts[i])), ("prediction", .string(set.predictions[i])),
                               ("references", .array(set.references[i].map { .string($0) }))]
            }
        case .score:
            break
        case .auto:
            preconditionFailure("resolved above")
        }

        if options.metrics.contains(where: \.needsModel) {
            var sequences: [(ids: [Int], mask: [UInt8], bytes: Int)] = []
            for row in rows {
                let (_, segments) = try renderer.segments(row, path: data)
                var ids: [Int] = [], mask: [UInt8] = [], bytes = 0
                for (k, (text, learn)) in segments.enumerated() {
                    // A plain text gets the tokenizer's special tokens (BOS) as a model sees it.
                    let part = eval.tokenizer.encodeIDs(text, addSpecialTokens: segments.count == 1 && k == 0).map(Int.init)
                    ids += part
                    mask += [UInt8](repeating: learn ? 1 : 0, count: part.count)
                    if learn { bytes += text.utf8.count }
                }
                sequences.append((ids, mask, bytes))
            }
            var perRow: [(Double, Int)] = []
            let p = try eval.nll(sequences: sequences, window: try ctx.int("max_length"), perRow: &perRow)
            for i in rows.indices {
                columns[i] += [("nll", .number(perRow[i].0)), ("scored_tokens", .int(perRow[i].1))]
            }
            for m in options.metrics where m.needsModel {
                flat.append((m.description, .number(m == .perplexity ? try p.perplexity() : try p.bitsPerByte())))
            }
            flat += [("scored_tokens", .int(p.tokens)), ("mean_nll", .number(p.meanNLL))]
        }
        return (set, columns, flat)
    }

    /// A true label as a class label: strings stay strings, integers integers.
    static func label(_ row: Row, _ key: String, path: String) throws -> ClassLabel {
        switch row.kind(key) {
        case .string?: return .string(row.string(key)!)
        case .number?:
            if let i = Int(row.scalarText(key) ?? "") { return .int(i) }
            throw TextError.data(path: path, line: row.line, message: "'\(key)' is \(row.scalarText(key) ?? "?"), not an integer", hint: "class labels must be strings or integers")
        case nil:
            throw TextError.data(path: path, line: row.line, message: "row has no field '\(key)' (fields: \(row.keys.joined(separator: ", ")))", hint: "set label_field")
        case let k?:
            throw TextError.data(path: path, line: row.line, message: "'\(key)' is \(k.rawValue), not a label", hint: "class labels must be strings or integers")
        }
    }
}
