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
    /// Per-pair inverse frequencies after any `rope_scaling` (linear, llama3).
    public var ropeInvFreq: [Double]
    public var tiedEmbeddings: Bool
    /// q/k/v projections carry biases (Qwen2, or `attention_bias: true`).
    public var attentionBias: Bool

    public static let supportedTypes = ["llama", "mistral", "qwen2"]

    /// A configuration given in code (benchmark shapes, `pretrain`).
    public init(modelType: String = "llama", vocabSize: Int, hidden: Int, intermediate: Int, layers: Int, heads: Int, kvHeads: Int,
                headDim: Int? = nil, rmsEps: Float = 1e-5, ropeTheta: Double = 10000, tiedEmbeddings: Bool = false, attentionBias: Bool = false) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hidden = hidden
        self.intermediate = intermediate
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        let d = headDim ?? hidden / heads
        self.headDim = d
        self.rmsEps = rmsEps
        self.ropeTheta = ropeTheta
        ropeInvFreq = (0..<(d / 2)).map { 1 / pow(ropeTheta, Double(2 * $0) / Double(d)) }
        self.tiedEmbeddings = tiedEmbeddings
        self.attentionBias = attentionBias
    }

    /// RoPE inverse frequencies 1/θ^(2i/D), rescaled as transformers' `linear` and `llama3`
    /// rope types define (reference: transformers `modeling_rope_utils`).
    static func ropeFrequencies(_ rope: [String: Any], theta: Double, headDim: Int, path: String) throws -> [Double] {
        let base = (0..<(headDim / 2)).map { 1 / pow(theta, Double(2 * $0) / Double(headDim)) }
        let type = (rope["rope_type"] as? String) ?? (rope["type"] as? String) ?? "default"
        func num(_ k: String) throws -> Double {
            guard let v = (rope[k] as? Double) ?? (rope[k] as? Int).map(Double.init) else {
                throw ModelError("\(path): rope type '\(type)' needs '\(k)'")
            }
            return v
        }
        switch type {
        case "default":
            return base
        case "linear":
            let f = try num("factor")
            return base.map { $0 / f }
        case "llama3":
            let f = try num("factor"), low = try num("low_freq_factor"), high = try num("high_freq_factor")
            let old = try num("original_max_position_embeddings")
            let lowWavelen = old / low, highWavelen = old / high
            return base.map { inv in
                let wavelen = 2 * Double.pi / inv
                if wavelen < highWavelen { return inv }
                if wavelen > lowWavelen { return inv / f }
                let smooth = (old / wavelen - low) / (high - low)
                return (1 - smooth) * inv / f + smooth * inv
            }
        default:
            throw ModelError("\(path): rope type '\(type)' is not supported; supported: default, linear, llama3")
        }
    }

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
        // transformers ≥ 5 writes `rope_parameters` (theta and scaling together); older configs
        // have `rope_theta` and `rope_scaling`.
        let rope = (j["rope_parameters"] as? [String: Any]) ?? (j["rope_scaling"] as? [String: Any]) ?? [:]
        let theta = (rope["rope_theta"] as? Double) ?? (j["rope_theta"] as? Double) ?? 10000
        let headDim = j["head_dim"] as? Int ?? hidden / heads
        let invFreq = try Self.ropeFrequencies(rope, theta: theta, headDim: headDim, path: path)
        var c = LlamaConfig(
            modelType: type, vocabSize: try int("vocab_size"), hidden: hidden, intermediate: try int("intermediate_size"),
            layers: try int("num_hidden_layers"), heads: heads, kvHeads: j["num_key_value_heads"] as? Int ?? heads,
            headDim: headDim,
            rmsEps: Float(j["rms_norm_eps"] as? Double ?? 1e-6),
            ropeTheta: theta,
            tiedEmbeddings: j["tie_word_embeddings"] as? Bool ?? false,
            attentionBias: type == "qwen2" || (j["attention_bias"] as? Bool ?? false))
        c.ropeInvFreq = invFreq
        guard c.heads % c.kvHeads == 0 else { throw ModelError("\(path): num_attention_heads \(c.heads) is not a multiple of num_key_value_heads \(c.kvHeads)") }
        return c
    }
}
