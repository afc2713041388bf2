import Foundation
import WeftTensor

/// Errors loading or running a model: each names the file, tensor or module and what to do.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A Llama-family model's `config.json` (Llama 2/3, TinyLlama, SmolLM, Mistral, Qwen2).
public struct LlamaConfig: Sendable {
    public var modelType: String
    public var vocabSize: Int
    public var hidden: Int
    public var intermediate: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var rmsEps: Float
    public var ropeTheta: Double
    public var tiedEmbeddings: Bool
    /// q/k/v projections carry biases (Qwen2, or `attention_bias: true`).
    public var attentionBias: Bool

    public static let supportedTypes = ["llama", "mistral", "qwen2"]

    /// Reads `DIR/config.json`.
    public static func load(directory: String) throws -> LlamaConfig {
        let path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError("\(directory): no config.json — not a Hugging Face model folder (expected config.json and model.safetensors)")
        }
        guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError("\(path): not a JSON object")
        }
        let type = j["model_type"] as? String ?? "?"
        guard supportedTypes.contains(type) else {
            throw ModelError("\(path): model_type '\(type)' is not supported here; supported: \(supportedTypes.joined(separator: ", "))")
        }
        func int(_ k: String) throws -> Int {
            guard let v = j[k] as? Int else { throw ModelError("\(path): '\(k)' missing or not an integer") }
            return v
        }
        let hidden = try int("hidden_size"), heads = try int("num_attention_heads")
        let rope = j["rope_parameters"] as? [String: Any]
        if let scaling = (j["rope_scaling"] as? [String: Any]) ?? rope.flatMap({ ($0["rope_type"] as? String) == "default" ? nil : $0 }) {
            throw ModelError("\(path): rope scaling '\(scaling["rope_type"] ?? scaling["type"] ?? "?")' is not supported yet; only the default RoPE")
        }
        let c = LlamaConfig(
            modelType: type, vocabSize: try int("vocab_size"), hidden: hidden, intermediate: try int("intermediate_size"),
            layers: try int("num_hidden_layers"), heads: heads, kvHeads: j["num_key_value_heads"] as? Int ?? heads,
            headDim: j["head_dim"] as? Int ?? hidden / heads,
            rmsEps: Float(j["rms_norm_eps"] as? Double ?? 1e-6),
            ropeTheta: (rope?["rope_theta"] as? Double) ?? (j["rope_theta"] as? Double) ?? 10000,
            tiedEmbeddings: j["tie_word_embeddings"] as? Bool ?? false,
            attentionBias: type == "qwen2" || (j["attention_bias"] as? Bool ?? false))
        guard c.heads % c.kvHeads == 0 else { throw ModelError("\(path): num_attention_heads \(c.heads) is not a multiple of num_key_value_heads \(c.kvHeads)") }
        return c
    }
}
