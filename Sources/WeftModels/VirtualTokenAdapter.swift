// Shapes: P virtual tokens, C hidden, L layers, W = kv heads · head dim, V vocab.
import Foundation
import WeftTensor

extension CausalLM {
    /// The model as a host of virtual tokens, or an error naming the architecture.
    func virtualHost() throws -> any VirtualTokenHost {
        guard let h = self as? any VirtualTokenHost else { throw ModelError("\(type(of: self)) does not support prompt or prefix tuning") }
        return h
    }

    /// Adds P trainable input embeddings in front of every sequence (PEFT's prompt tuning) and
    /// freezes every base weight. `initTokens` (the init text's token ids as the tokenizer gives
    /// them, special tokens included) initialise the rows from the token embeddings, cycled and
    /// truncated to P as PEFT's `prompt_tuning_init: TEXT` does; without them the rows are N(0, 1)
    /// as PEFT's `RANDOM` (torch.nn.Embedding's default), drawn from a SplitMix64 stream seeded
    /// with `seed` (Box–Muller). Replaces virtual tokens the model already had.
    public func addPromptTuning(virtualTokens p: Int, initTokens: [Int]? = nil, seed: UInt64) throws {
        let h = try virtualHost()
        guard p >= 1 else { throw ModelError("prompt tuning needs at least 1 virtual token, got \(p)") }
        let c = h.virtualTokenShape.hidden
        var values: [Float]
        if let ids = initTokens {
            guard !ids.isEmpty else { throw ModelError("prompt tuning: the init text has no tokens; give a non-empty text or use random init") }
            if let bad = ids.first(where: { !(0..<vocabSize).contains($0) }) {
                throw ModelError("prompt tuning: init token \(bad) is outside the vocabulary (0..<\(vocabSize)); was the text tokenized with this model's tokenizer?")
            }
            values = []
            values.reserveCapacity(p * c)
            let e = h.tokenEmbedding
            for i in 0..<p { values += UnsafeBufferPointer(start: e.ptr + ids[i % ids.count] * c, count: c) }
        } else {
            var rng = SplitMix(seed)
            values = (0..<(p * c)).map { _ in rng.normal() }
        }
        setTrainable { _ in false }
        h.promptLearning = VirtualTokens(method: .prompt, count: p, width: c, values: values)
    }

    /// Adds P trainable keys and values in front of every layer's attention (PEFT's prefix tuning
    /// with `prefix_projection: false`) and freezes every base weight. The table [P, L·2·W] starts
    /// N(0, 1) as PEFT's (torch.nn.Embedding's default), from a SplitMix64 stream seeded with
    /// `seed`. Prefix keys are used as stored (no rotary embedding is applied to them).
    public func addPrefixTuning(virtualTokens p: Int, seed: UInt64) throws {
        let h = try virtualHost()
        guard p >= 1 else { throw ModelError("prefix tuning needs at least 1 virtual token, got \(p)") }
        let s = h.virtualTokenShape
        let width = s.layers * 2 * s.kvWidth
        var rng = SplitMix(seed)
        setTrainable { _ in false }
        h.promptLearning = VirtualTokens(method: .prefix, count: p, width: width, values: (0..<(p * width)).map { _ in rng.normal() })
    }

    /// The model's virtual tokens (prompt or prefix tuning), if any.
    public var virtualTokens: VirtualTokens? { (self as? any VirtualTokenHost)?.promptLearning }

    /// The trainable virtual-token table [P, width] (with its `grad`), if any: what an optimiser steps.
    public var virtualTokenParameters: FloatBuffer? { virtualTokens?.table }

    /// Drops the model's virtual tokens: it runs as the base model again.
    public func removeVirtualTokens() { (self as? any VirtualTokenHost)?.promptLearning = nil }

    /// Writes the virtual tokens as a PEFT adapter folder (`adapter_config.json` with PEFT's
    /// fields for PROMPT_TUNING or PREFIX_TUNING, and `adapter_model.safetensors` holding
    /// `prompt_embeddings` [P, width]) that `peft.PeftModel.from_pretrained` and
    /// `loadVirtualTokenAdapter` read. `initText`/`tokenizer` record a text initialisation
    /// (`prompt_tuning_init: TEXT`) for prompt tuning. Both files are written atomically.
    public func saveVirtualTokenAdapter(directory: String, baseModel: String, initText: String? = nil, tokenizer: String? = nil) throws {
        let h = try virtualHost()
        guard let vt = h.promptLearning else { throw ModelError("the model has no prompt or prefix tuning tokens to save") }
        let s = h.virtualTokenShape
        var config: [String: Any] = [
            "auto_mapping": NSNull(), "base_model_name_or_path": baseModel, "inference_mode": true, "modules_to_save": NSNull(),
            "num_layers": s.layers, "num_transformer_submodules": 1, "num_virtual_tokens": vt.count, "revision": NSNull(),
            "task_type": "CAUSAL_LM",
        ]
        switch vt.method {
        case .prompt:
            config["peft_type"] = "PROMPT_TUNING"
            config["token_dim"] = s.hidden
            config["num_attention_heads"] = s.heads
            config["prompt_tuning_init"] = initText == nil ? "RANDOM" : "TEXT"
            config["prompt_tuning_init_text"] = initText ?? NSNull()
            config["tokenizer_name_or_path"] = initText == nil ? NSNull() : (tokenizer ?? baseModel) as Any
            config["tokenizer_kwargs"] = NSNull()
        case .prefix:
            // PEFT sizes the prefix by the key/value heads (grouped-query attention, peft #1901).
            config["peft_type"] = "PREFIX_TUNING"
            config["token_dim"] = s.kvWidth
            config["num_attention_heads"] = s.kvHeads
            config["encoder_hidden_size"] = s.kvWidth
            config["prefix_projection"] = false
            config["init_weights"] = NSNull()
        }
        let tensor = try SafetensorsTensor(name: "prompt_embeddings", Tensor(shape: [vt.count, vt.width], data: vt.table.array))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try Safetensors.write([tensor], metadata: ["format": "pt"], to: directory + "/adapter_model.safetensors")
        try Safetensors.writeAtomically(Array(json) + [0x0A], to: directory + "/adapter_config.json")
    }

    /// Loads a PEFT PROMPT_TUNING or PREFIX_TUNING adapter folder for causal LM (the virtual
    /// tokens replace any the model had; the table is trainable). Returns the method.
    @discardableResult
    public func loadVirtualTokenAdapter(directory: String) throws -> VirtualTokenMethod {
        let h = try virtualHost()
        let cfgPath = directory + "/adapter_config.json"
        let j = try readAdapterConfig(directory: directory)
        let method: VirtualTokenMethod
        switch j["peft_type"] as? String {
        case "PROMPT_TUNING": method = .prompt
        case "PREFIX_TUNING": method = .prefix
        case let other: throw ModelError("\(cfgPath): peft_type \(other ?? "(missing)") is neither PROMPT_TUNING nor PREFIX_TUNING")
        }
        if let task = j["task_type"] as? String, task != "CAUSAL_LM" {
            throw ModelError("\(cfgPath): task_type \(task) — prompt and prefix tuning are supported for CAUSAL_LM only")
        }
        guard let p = j["num_virtual_tokens"] as? Int, p >= 1 else { throw ModelError("\(cfgPath): 'num_virtual_tokens' missing or not a positive integer") }
        if let subs = j["num_transformer_submodules"] as? Int, subs != 1 {
            throw ModelError("\(cfgPath): num_transformer_submodules \(subs) (encoder-decoder) is not supported; causal LMs have 1")
        }
        let s = h.virtualTokenShape
        var width = s.hidden
        if method == .prefix {
            if j["prefix_projection"] as? Bool == true {
                throw ModelError("\(cfgPath): prefix_projection true (an MLP over the prefix) is not supported; train with prefix_projection false")
            }
            width = s.layers * 2 * s.kvWidth
            if let l = j["num_layers"] as? Int, l != s.layers { throw ModelError("\(cfgPath): num_layers \(l), the model has \(s.layers) (is the adapter for another base model?)") }
        }
        let wantDim = method == .prefix ? s.kvWidth : s.hidden
        if let d = j["token_dim"] as? Int, d != wantDim {
            throw ModelError("\(cfgPath): token_dim \(d), this model needs \(wantDim) (is the adapter for another base model?)")
        }
        let path = directory + "/adapter_model.safetensors"
        let values: [Float]
        do {
            let file = try SafetensorsFile(path: path)
            guard file.entries["prompt_embeddings"] != nil else { throw ModelError("\(path): no tensor 'prompt_embeddings' (holds \(file.names.prefix(3).joined(separator: ", ")))") }
            values = try file.tensor("prompt_embeddings", expect: [p, width]).data
        } catch let e as ModelError { throw e } catch { throw ModelError("\(error)") }
        h.promptLearning = VirtualTokens(method: method, count: p, width: width, values: values)
        return method
    }

    /// Loads any PEFT adapter folder this model supports: prompt or prefix tuning through
    /// `loadVirtualTokenAdapter`, LoRA through `loadAdapter`. Returns what it adapted.
    @discardableResult
    public func loadAnyAdapter(directory: String) throws -> [String] {
        switch try readAdapterConfig(directory: directory)["peft_type"] as? String {
        case "PROMPT_TUNING", "PREFIX_TUNING": return ["virtual tokens (\(try loadVirtualTokenAdapter(directory: directory).rawValue) tuning)"]
        default: return try loadAdapter(directory: directory)
        }
    }
}

/// An adapter folder's `adapter_config.json` as a JSON object.
func readAdapterConfig(directory: String) throws -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: directory + "/adapter_config.json"),
          let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw ModelError("\(directory): no readable adapter_config.json — not a PEFT adapter folder")
    }
    return j
}
