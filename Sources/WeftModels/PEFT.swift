import Foundation
import WeftTensor

/// Which linear layers get LoRA, as PEFT's `target_modules` names them: a module matches a
/// target equal to its name or to its last components (`q_proj` matches
/// `model.layers.0.self_attn.q_proj`); `all-linear` is every linear layer but the output head.
public struct LoRATargets: Sendable {
    public var names: [String]

    public init(_ names: [String]) { self.names = names }

    public func matches(_ module: String) -> Bool {
        names.contains { t in
            if t == "all-linear" { return module != "lm_head" }
            return module == t || module.hasSuffix("." + t)
        }
    }
}

extension LinearModel {
    /// Puts a fresh LoRA on every matching layer, initialised as PEFT does: A uniform in
    /// ±1/√I (Kaiming-uniform with a = √5), B zero, from `seed`. Returns the modules chosen;
    /// throws listing the module names when nothing matches.
    @discardableResult
    public func addLoRA(targets: LoRATargets, rank: Int, alpha: Double, rslora: Bool = false, dropout: Double = 0,
                        seed: UInt64) throws -> [String] {
        guard rank >= 1 else { throw ModelError("LoRA rank must be at least 1, got \(rank)") }
        guard (0..<1).contains(dropout) else { throw ModelError("LoRA dropout must be in [0, 1), got \(dropout)") }
        let chosen = linears.filter { targets.matches($0.name) }
        guard !chosen.isEmpty else { throw noMatch(targets) }
        var rng = SplitMix(seed)
        for l in chosen {
            let lora = LoRA(rank: rank, alpha: alpha, rslora: rslora, inFeatures: l.inFeatures, outFeatures: l.outFeatures,
                            dropout: Float(dropout), seed: rng.next())
            let bound = 1 / Float(l.inFeatures).squareRoot()
            for i in 0..<lora.a.count { lora.a[i] = (rng.unit() * 2 - 1) * bound }
            l.lora = lora
        }
        return chosen.map(\.name)
    }

    func noMatch(_ targets: LoRATargets) -> ModelError {
        let names = linears.map(\.name)
        let short = Array(Set(names.map { String($0.split(separator: ".").last ?? "") })).sorted()
        return ModelError("LoRA target_modules \(targets.names) match no module of this model; linear modules are named "
                          + short.joined(separator: ", ") + " (e.g. \(names.first ?? ""))")
    }

    /// Loads a PEFT LoRA adapter folder (`adapter_config.json` + `adapter_model.safetensors`),
    /// including `modules_to_save` copies, which replace the base's weights. Returns the
    /// modules it adapts and the weights it replaced.
    @discardableResult
    public func loadAdapter(directory: String) throws -> [String] {
        let cfgPath = directory + "/adapter_config.json"
        guard let data = FileManager.default.contents(atPath: cfgPath),
              let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError("\(directory): no readable adapter_config.json — not a PEFT adapter folder")
        }
        guard (j["peft_type"] as? String ?? "LORA") == "LORA" else { throw ModelError("\(cfgPath): peft_type \(j["peft_type"] ?? "?") is not LORA") }
        guard let r = j["r"] as? Int, let alpha = (j["lora_alpha"] as? Double) ?? (j["lora_alpha"] as? Int).map(Double.init) else {
            throw ModelError("\(cfgPath): needs 'r' and 'lora_alpha'")
        }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let p = j[key] as? [String: Any], !p.isEmpty { throw ModelError("\(cfgPath): per-module '\(key)' is not supported yet") }
        }
        let rslora = j["use_rslora"] as? Bool ?? false
        let dropout = Float((j["lora_dropout"] as? Double) ?? 0)
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: directory + "/adapter_model.safetensors") } catch { throw ModelError("\(error)") }
        var used = Set<String>()
        var adapted: [String] = []
        for l in linears {
            // PEFT names modules as the task model does; a bare-checkpoint name is accepted too.
            guard let base = ["base_model.model." + externalName(l.name), "base_model.model." + l.name]
                .first(where: { file.entries[$0 + ".lora_A.weight"] != nil }) else { continue }
            let lora = LoRA(rank: r, alpha: alpha, rslora: rslora, inFeatures: l.inFeatures, outFeatures: l.outFeatures, dropout: dropout)
            do {
                lora.a.ptr.update(from: try file.tensor(base + ".lora_A.weight", expect: [r, l.inFeatures]).data, count: lora.a.count)
                lora.b.ptr.update(from: try file.tensor(base + ".lora_B.weight", expect: [l.outFeatures, r]).data, count: lora.b.count)
            } catch { throw ModelError("\(error)") }
            used.formUnion([base + ".lora_A.weight", base + ".lora_B.weight"])
            l.lora = lora
            adapted.append(l.name)
        }
        // modules_to_save (e.g. a classification head): full copies of base weights, saved under
        // the base module's name; they replace the base's values.
        let byName = Dictionary(weights.flatMap { w in [("base_model.model." + externalName(w.name), w.name), ("base_model.model." + w.name, w.name)] },
                                uniquingKeysWith: { a, _ in a })
        var replaced: [String] = []
        for name in file.names where !used.contains(name) {
            guard let target = byName[name] else { continue }
            do { try assignWeight(target, try file.tensor(name), file: directory + "/adapter_model.safetensors") } catch let e as ModelError { throw e } catch { throw ModelError("\(error)") }
            used.insert(name)
            replaced.append(target)
        }
        let unknown = file.names.filter { !used.contains($0) }
        if !unknown.isEmpty {
            throw ModelError("\(directory)/adapter_model.safetensors: tensors this model has no module for: \(unknown.prefix(5).joined(separator: ", "))"
                             + (unknown.count > 5 ? " and \(unknown.count - 5) more" : "") + " (is the adapter for another base model?)")
        }
        if adapted.isEmpty && replaced.isEmpty { throw ModelError("\(directory): the adapter holds no LoRA weights") }
        return adapted + replaced
    }
}
