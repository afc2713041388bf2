import Foundation
import WeftCore
import WeftModels
import WeftTensor
import WeftText
import WeftTrain

/// `uses: finetune` — fine-tunes a Hugging Face model folder natively: LoRA (PEFT's
/// layout), or every weight (`full`), for causal-LM SFT (`prompt`/`completion`, chat
/// `messages` or `text` rows) or sequence classification (`text`/`label` rows, BERT).
/// Writes a PEFT adapter (or a full model folder), `label_map.json` for classification,
/// `metrics.json` and `train_log.csv`; with `save_steps` it checkpoints into the persisted
/// output folder and an interrupted run resumes from the newest checkpoint.
public enum FinetuneStage: BuiltinStage {
    public static let name = "finetune"

    enum Method: String { case lora, qlora, prefix, prompt, full }
    enum Task: String { case causalLM = "causal-lm", classification }

    /// LoRA targets PEFT chooses when none are given, by `model_type`.
    static let defaultTargets: [String: [String]] = [
        "llama": ["q_proj", "v_proj"], "mistral": ["q_proj", "v_proj"], "qwen2": ["q_proj", "v_proj"], "gpt2": ["c_attn"], "bert": ["query", "value"],
    ]

    public static func run(_ ctx: StageContext) throws {
        let modelDir = try ctx.string("model"), output = try ctx.string("output"), trainPath = try ctx.string("train")
        let validationPath = try ctx.optionalString("validation")
        let method = try ctx.choice("method", as: Method.self), task = try ctx.choice("task", as: Task.self)
        let settings = try TrainingSettings(ctx)
        let seed = settings.trainer.seed
        let config = try ModelFolder.config(modelDir)
        let modelType = config["model_type"] as? String ?? "?"
        guard AnyModel.supported.contains(modelType) else {
            throw TextError.config(key: "model", message: "\(modelDir)/config.json: model_type '\(modelType)' is not supported",
                                   hint: "supported architectures: " + AnyModel.supported.joined(separator: ", "))
        }
        let tokPath = try ctx.optionalString("tokenizer") ?? modelDir + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: tokPath) else {
            throw TextError.io(path: tokPath, message: "no tokenizer.json for the model", hint: "put tokenizer.json in the model folder or set 'tokenizer'")
        }
        let tokenizer = try Tokenizer(contentsOf: tokPath).with(truncation: nil, padding: nil)
        let maxLength = try ctx.int("max_length")
        guard maxLength >= 2 else { throw TextError.config(key: "max_length", message: "must be at least 2, got \(maxLength)", hint: "") }
        let threads = BLAS.threads
        let textField = try ctx.string("text_field")
        let trainRows = try TrainingData.rows(trainPath, textField: textField, threads: threads)
        let validationRows = try validationPath.map { try TrainingData.rows($0, textField: textField, threads: threads) }

        let fingerprint = try TrainingRun.fingerprint(ctx, inputs: [modelDir, trainPath, tokPath] + (validationPath.map { [$0] } ?? []))
        try TrainingRun.prepare(output: output)
        let run = TrainingRun(ctx: ctx, output: output, fingerprint: fingerprint, settings: settings)

        var extra: [(String, Any)] = [("method", method.rawValue), ("task", task.rawValue), ("train_examples", trainRows.count)]
        let objective: TrainingObjective
        let train: [TrainingExample], validation: [TrainingExample]?
        var labelSet: [String] = [], integerLabels = false
        switch task {
        case .causalLM:
            guard case .causal(let lm) = try AnyModel.load(directory: modelDir) else {
                throw TextError.config(key: "task", message: "\(modelDir) is a \(modelType) encoder, not a causal language model", hint: "use task: classification for BERT models")
            }
            guard tokenizer.vocabSize <= lm.vocabSize else {
                throw TextError.config(key: "tokenizer", message: "\(tokPath) has \(tokenizer.vocabSize) tokens but the model's vocabulary is \(lm.vocabSize)", hint: "use the tokenizer the model was trained with")
            }
            var renderer = try SFTRenderer(template: try ctx.choice("template", as: SFTRenderer.Template.self), trainOnInputs: try ctx.bool("train_on_inputs"),
                                           textField: textField, tokenizerPath: tokPath)
            renderer.pairFormat = try TextStageSupport.pairFormat(ctx)
            let eos = (config["eos_token_id"] as? Int) ?? (config["eos_token_id"] as? [Int])?.first
            let rows = try TrainingData.causal(trainRows, path: trainPath, tokenizer: tokenizer, renderer: renderer, eos: eos, maxLength: maxLength, threads: threads)
            if try ctx.bool("packing") {
                guard method != .prefix && method != .prompt else {
                    throw TextError.config(key: "packing", message: "packing is not available with \(method.rawValue) tuning", hint: "use lora, qlora or full, or turn packing off")
                }
                train = TrainingExample.pack(rows, maxLength: maxLength)
                ctx.log("packing: \(rows.count) rows into \(train.count) sequences of at most \(maxLength) tokens")
                extra.append(("packed_sequences", train.count))
            } else {
                train = rows
            }
            validation = try validationRows.map { try TrainingData.causal($0, path: validationPath!, tokenizer: tokenizer, renderer: renderer, eos: eos, maxLength: maxLength, threads: threads) }
            objective = .causal(lm)
        case .classification:
            if try ctx.bool("packing") {
                throw TextError.config(key: "packing", message: "packing is for causal-lm SFT", hint: "turn packing off for classification")
            }
            guard modelType == "bert" else {
                throw TextError.config(key: "task", message: "classification fine-tunes BERT encoders, and \(modelDir) is model_type '\(modelType)'", hint: "use a BERT model folder, or task: causal-lm")
            }
            let labels = try TrainingData.labels(trainRows, path: trainPath, field: try ctx.string("label_field"))
            labelSet = try TrainingData.labelSet(labels, rows: trainRows, path: trainPath)
            integerLabels = labels.first?.1 ?? false
            guard labelSet.count >= 2 else {
                throw TextError.data(path: trainPath, line: 0, message: "the training rows have \(labelSet.count) distinct label(s)", hint: "classification needs at least two classes")
            }
            let bert = try BertModel(directory: modelDir, numLabels: labelSet.count, seed: seed)
            let length = min(maxLength, bert.config.positions)
            train = try TrainingData.classification(trainRows, path: trainPath, tokenizer: tokenizer, textField: textField, labelField: try ctx.string("label_field"),
                                                    labelSet: labelSet, maxLength: length, threads: threads)
            validation = try validationRows.map {
                try TrainingData.classification($0, path: validationPath!, tokenizer: tokenizer, textField: textField, labelField: try ctx.string("label_field"),
                                                labelSet: labelSet, maxLength: length, threads: threads)
            }
            objective = .classification(bert)
            extra.append(("num_labels", labelSet.count))
        }
        if let validation { extra.append(("validation_examples", validation.count)) }

        let model = objective.model
        model.gradientCheckpointing = settings.gradientCheckpointing
        let totalParams = model.weights.reduce(0) { $0 + $1.buffer.count }
        // The classification head (and a pooler the checkpoint lacks) trains whole and is
        // saved with the adapter, as PEFT's modules_to_save.
        var modulesToSave: [String] = []
        if case .classification(let bert) = objective, method != .full {
            modulesToSave = ["classifier"]
            if let pooler = bert.pooler, !(try SafetensorsCheckpoint(directory: modelDir).names.contains { $0.hasSuffix("pooler.dense.weight") }) {
                modulesToSave.append(String(pooler.name.dropLast(".dense".count)))
            }
            model.setTrainable { name in modulesToSave.contains { name == $0 || name.hasPrefix($0 + ".") } }
        }
        var targets: [String] = [], adapterTargets: [String] = []
        let r = try ctx.int("r"), alpha = try ctx.double("alpha"), dropout = try ctx.double("dropout"), rslora = try ctx.bool("rslora")
        switch method {
        case .lora, .qlora:
            if method == .qlora {
                let q: BaseQuantization = try ctx.string("quantize") == "int8" ? .int8 : .nf4(blocksize: 64, doubleQuant: true)
                let report = try model.quantizeBase(q)
                let memory = model.baseMemory()
                ctx.log(String(format: "QLoRA base: %d layers, %d parameters as %@ (%.3f bytes/parameter; base resident %.1f MiB)",
                               report.layers.count, report.parameters, q.name, report.bytesPerParameter,
                               Double(memory.fp32Bytes + memory.quantizedBytes) / 1_048_576))
                extra += [("base_quantization", q.name), ("quantized_params", report.parameters),
                          ("quantized_bytes_per_param", report.bytesPerParameter), ("base_resident_mib", Double(memory.fp32Bytes + memory.quantizedBytes) / 1_048_576)]
            }
            guard r >= 1 else { throw TextError.config(key: "r", message: "the LoRA rank must be at least 1, got \(r)", hint: "typical ranks are 4 to 64") }
            let given = try ctx.strings("target_modules")
            targets = given.isEmpty ? defaultTargets[modelType] ?? ["all-linear"] : given
            let chosen = try model.addLoRA(targets: LoRATargets(targets), rank: r, alpha: alpha, rslora: rslora, dropout: dropout, seed: seed)
            // The adapter names the modules it adapts, as PEFT saves a resolved `all-linear`
            // (PEFT accepts that value only as a string, never inside a list).
            adapterTargets = Set(chosen.map { String($0.split(separator: ".").last ?? "") }).sorted()
            ctx.log("LoRA r=\(r) alpha=\(alpha)\(rslora ? " (rsLoRA)" : "") on \(chosen.count) modules (\(targets.joined(separator: ", ")))")
        case .full:
            model.setTrainable { _ in true }
        case .prefix, .prompt:
            guard case .causal(let lm) = objective else {
                throw TextError.config(key: "method", message: "\(method.rawValue) tuning is for causal language models (task: causal-lm)", hint: "use lora or full for classification")
            }
            let p = try ctx.int("num_virtual_tokens")
            guard p >= 1 else { throw TextError.config(key: "num_virtual_tokens", message: "must be at least 1, got \(p)", hint: "typical values are 8 to 32") }
            if method == .prefix {
                try lm.addPrefixTuning(virtualTokens: p, seed: seed)
            } else {
                // peft initialises from the init text's ids with the tokenizer's special tokens.
                let text = try ctx.string("prompt_init_text")
                try lm.addPromptTuning(virtualTokens: p, initTokens: text.isEmpty ? nil : tokenizer.encodeIDs(text, addSpecialTokens: true).map(Int.init), seed: seed)
            }
            ctx.log("\(method.rawValue) tuning with \(p) virtual tokens")
        }
        var parameters = model.trainableParameters
        if case .causal(let lm) = objective, let vt = lm.virtualTokens {
            parameters.append(Parameter(name: "prompt_embeddings", value: vt.table, grad: vt.table.grad!, shape: [vt.count, vt.width]))
        }
        let trainable = parameters.reduce(0) { $0 + $1.value.count }
        extra += [("trainable_params", trainable), ("total_params", totalParams)]

        let (result, logs) = try run.run(objective, parameters: parameters, train: train, validation: validation)

        // The result, each file written atomically into the (already emptied) output folder.
        switch method {
        case .full:
            if case .classification = objective {
                try ModelFolder.writeConfig(config, labels: labelSet, to: output)
            } else {
                try ModelFolder.writeConfig(config, labels: nil, to: output)
            }
            try model.saveWeights(directory: output)
            try ModelFolder.copyTokenizerFiles(from: modelDir, tokenizer: tokPath, to: output)
        case .prefix, .prompt:
            guard case .causal(let lm) = objective else { break }
            let text = try ctx.string("prompt_init_text")
            try lm.saveVirtualTokenAdapter(directory: output, baseModel: ModelFolder.projectRelative(modelDir),
                                           initText: method == .prompt && !text.isEmpty ? text : nil, tokenizer: ModelFolder.projectRelative(tokPath))
        case .lora, .qlora:
            let adapter = AdapterConfig(rank: r, alpha: alpha, dropout: dropout, rslora: rslora, targetModules: adapterTargets,
                                        baseModel: ModelFolder.projectRelative(modelDir),
                                        taskType: task == .classification ? "SEQ_CLS" : "CAUSAL_LM", modulesToSave: modulesToSave)
            try model.saveAdapter(directory: output, config: adapter)
        }
        if task == .classification { try ModelFolder.writeLabelMap(labelSet, integers: integerLabels, to: output + "/label_map.json") }
        try run.writeReports(result, logs: logs, extra: extra)
        ctx.log(String(format: "finetune: %d steps, train loss %.4f%@, %.0f tokens/s, peak RSS %.0f MiB", result.steps, result.finalLoss,
                       result.finalEvalLoss.map { String(format: ", eval loss %.4f", $0) } ?? "", result.tokensPerSecond, ProcessMemory.peakMiB()))
    }
}
