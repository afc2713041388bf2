import Foundation
import WeftTensor

/// What a PEFT LoRA adapter's `adapter_config.json` says: PEFT's field names are written at
/// the boundary only.
public struct AdapterConfig: Sendable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    public var rslora: Bool
    public var targetModules: [String]
    /// The base model folder as the user names it (PEFT's `base_model_name_or_path`).
    public var baseModel: String
    /// `CAUSAL_LM` or `SEQ_CLS`.
    public var taskType: String
    /// Base modules trained whole and saved with the adapter (e.g. a classifier head).
    public var modulesToSave: [String]

    public init(rank: Int, alpha: Double, dropout: Double = 0, rslora: Bool = false, targetModules: [String], baseModel: String,
                taskType: String = "CAUSAL_LM", modulesToSave: [String] = []) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.rslora = rslora
        self.targetModules = targetModules
        self.baseModel = baseModel
        self.taskType = taskType
        self.modulesToSave = modulesToSave
    }
}

extension LinearModel {
    /// Writes the model's LoRA matrices (and the `modulesToSave` weights) as a PEFT adapter
    /// folder — `adapter_config.json` and `adapter_model.safetensors` with PEFT's key names
    /// (`base_model.model.<module>.lora_A.weight`, and `base_model.model.<module>.weight` for
    /// saved modules) — which `peft.PeftModel.from_pretrained` and `loadAdapter` read. Both
    /// files are written atomically.
    public func saveAdapter(directory: String, config c: AdapterConfig) throws {
        var tensors: [SafetensorsTensor] = []
        for l in linears {
            guard let lora = l.lora else { continue }
            guard lora.rank == c.rank else { throw ModelError("module \(l.name) has LoRA rank \(lora.rank), the adapter config says \(c.rank)") }
            let base = "base_model.model." + externalName(l.name)
            tensors.append(try SafetensorsTensor(name: base + ".lora_A.weight", Tensor(shape: [lora.rank, l.inFeatures], data: lora.a.array)))
            tensors.append(try SafetensorsTensor(name: base + ".lora_B.weight", Tensor(shape: [l.outFeatures, lora.rank], data: lora.b.array)))
        }
        for module in c.modulesToSave {
            let owned = weights.filter { $0.name == module || $0.name.hasPrefix(module + ".") }
            guard !owned.isEmpty else { throw ModelError("modules_to_save '\(module)' names no weight of this model") }
            for w in owned {
                tensors.append(try SafetensorsTensor(name: "base_model.model." + externalName(w.name), Tensor(shape: w.shape, data: w.checkpointValues)))
            }
        }
        guard !tensors.isEmpty else { throw ModelError("the model has no LoRA layers or saved modules to write as an adapter") }
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": c.taskType, "r": c.rank, "lora_alpha": c.alpha, "lora_dropout": c.dropout,
            "use_rslora": c.rslora, "target_modules": c.targetModules, "base_model_name_or_path": c.baseModel,
            "modules_to_save": c.modulesToSave.isEmpty ? NSNull() : c.modulesToSave as Any, "bias": "none",
            "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true, "use_dora": false,
            "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](), "layers_to_transform": NSNull(), "layers_pattern": NSNull(),
            "revision": NSNull(),
        ]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try Safetensors.write(tensors, metadata: ["format": "pt"], to: directory + "/adapter_model.safetensors")
        try Safetensors.writeAtomically(Array(json) + [0x0A], to: directory + "/adapter_config.json")
    }
}
