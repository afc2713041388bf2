import Foundation
import WeftCore
import WeftModels
import WeftText

/// `uses: merge` — folds a LoRA adapter into its base model's weights (W += scale·B·A, what
/// PEFT's `merge_and_unload` computes) and writes a full model folder; a classifier adapter's
/// saved head and label names go into the merged model.
public enum MergeStage: BuiltinStage {
    public static let name = "merge"

    public static func run(_ ctx: StageContext) throws {
        let modelDir = try ctx.string("model"), adapterDir = try ctx.string("adapter"), output = try ctx.string("output")
        let config = try ModelFolder.config(modelDir)
        let adapterConfig = adapterDir + "/adapter_config.json"
        guard let data = FileManager.default.contents(atPath: adapterConfig),
              let a = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextError.io(path: adapterConfig, message: "no readable adapter_config.json: not a PEFT adapter folder", hint: "give the output folder of a finetune stage with method lora")
        }
        guard (a["peft_type"] as? String ?? "LORA") == "LORA" else {
            throw TextError.config(key: "adapter", message: "\(adapterDir) is a \(a["peft_type"] ?? "?") adapter; only LoRA folds into the weights",
                                   hint: "prompt and prefix tuning stay adapters (load them with the base model)")
        }
        let model = try AnyModel.load(directory: modelDir, adapter: adapterDir).linearModel
        // A QLoRA adapter was trained against the dequantised base: merge into those weights.
        var report: QuantizationReport? = nil
        switch try ctx.string("base_quantization") {
        case "nf4": report = try model.quantizeBase(.nf4(blocksize: 64, doubleQuant: true))
        case "int8": report = try model.quantizeBase(.int8)
        default: break
        }
        let merged = model.linears.filter { $0.lora != nil }
        for l in merged { l.merge() }
        model.dequantizeBase()
        let tmp = try TextStageSupport.temporaryFolder(for: output)
        do {
            let labels = ModelFolder.adapterLabels(adapterDir).map { names in (0..<names.count).map { names[String($0)] ?? "LABEL_\($0)" } }
            try ModelFolder.writeConfig(config, labels: labels, to: tmp)
            try model.saveWeights(directory: tmp)
            let tok = modelDir + "/tokenizer.json"
            if FileManager.default.fileExists(atPath: tok) { try ModelFolder.copyTokenizerFiles(from: modelDir, tokenizer: tok, to: tmp) }
            var metrics: [String: Any] = ["merged_modules": merged.count, "parameters": model.fullWeights().reduce(0) { $0 + $1.buffer.count }]
            if let report {
                // What storing the base quantised changed: the merged weights are dequant(W) + scale·B·A.
                metrics["base_quantization"] = try ctx.string("base_quantization")
                metrics["max_abs_error"] = Double(report.maxAbsError)
                ctx.log("merge: the \(report.parameters) quantised base parameters differ from the original by at most \(report.maxAbsError)")
            }
            try TextStageSupport.writeJSON(metrics, to: tmp + "/metrics.json")
            try TextStageSupport.replaceFolder(output, with: tmp)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        ctx.log("merge: \(merged.count) LoRA modules folded into \(modelDir) → \(output)")
    }
}
