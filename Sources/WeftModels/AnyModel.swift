import Foundation
import WeftTensor

/// A model folder loaded as whichever supported architecture its `config.json` names.
public enum AnyModel {
    case causal(any CausalLM)
    case bert(BertModel)

    /// Architectures by `model_type`.
    public static let supported = ["llama", "mistral", "qwen2", "gpt2", "bert"]

    public static func load(directory: String) throws -> AnyModel {
        let type = try modelType(directory: directory)
        switch type {
        case "llama", "mistral", "qwen2": return .causal(try LlamaModel(directory: directory))
        case "gpt2": return .causal(try GPT2Model(directory: directory))
        case "bert": return .bert(try BertModel(directory: directory))
        default:
            throw ModelError("\(directory)/config.json: model_type '\(type)' is not supported; supported: \(supported.joined(separator: ", "))")
        }
    }

    /// Loads a model folder with a PEFT adapter folder applied. A BERT base gets the
    /// classification head the adapter saves (`modules_to_save`), sized from its tensor,
    /// since the base checkpoint (a bare encoder) has none; causal models take LoRA,
    /// prompt- or prefix-tuning adapters.
    public static func load(directory: String, adapter: String?) throws -> AnyModel {
        guard let adapter else { return try load(directory: directory) }
        if try modelType(directory: directory) == "bert" {
            let path = adapter + "/adapter_model.safetensors"
            let file: SafetensorsFile
            do { file = try SafetensorsFile(path: path) } catch { throw ModelError("\(adapter): no readable adapter_model.safetensors (\(error))") }
            let head = file.names.first { $0.hasSuffix("classifier.weight") }
            let labels = try head.map { try file.entry($0).shape[0] }
            let bert = try BertModel(directory: directory, numLabels: labels)
            try bert.loadAdapter(directory: adapter)
            return .bert(bert)
        }
        let m = try load(directory: directory)
        if case .causal(let lm) = m { try lm.loadAnyAdapter(directory: adapter) }
        return m
    }

    static func modelType(directory: String) throws -> String {
        let path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError("\(directory): no config.json — not a Hugging Face model folder (expected config.json and model.safetensors)")
        }
        guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw ModelError("\(path): not a JSON object") }
        return j["model_type"] as? String ?? "?"
    }

    public var linearModel: LinearModel {
        switch self {
        case .causal(let m): return m
        case .bert(let m): return m
        }
    }
}

/// What `weft model info` prints about a model folder.
public struct ModelInfo: Sendable {
    public var architecture: String
    public var modelType: String
    public var parameters: Int
    public var dtypes: [String]
    public var layers: Int
    public var hidden: Int
    public var vocab: Int
    public var files: Int

    public static func read(directory: String) throws -> ModelInfo {
        let type = try AnyModel.modelType(directory: directory)
        let path = directory + "/config.json"
        let j = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) as? [String: Any] ?? [:]
        guard AnyModel.supported.contains(type) else {
            throw ModelError("\(path): model_type '\(type)' is not supported; supported: \(AnyModel.supported.joined(separator: ", "))")
        }
        let ck: SafetensorsCheckpoint
        do { ck = try SafetensorsCheckpoint(directory: directory) } catch { throw ModelError("\(error)") }
        var params = 0
        var dtypes = Set<String>()
        for n in ck.names {
            let e = try ck.entry(n)
            guard e.dtype.isFloat else { continue }
            params += e.count
            dtypes.insert(e.dtype.rawValue)
        }
        let arch = (j["architectures"] as? [String])?.first ?? type
        let layers = j["num_hidden_layers"] as? Int ?? j["n_layer"] as? Int ?? 0
        let hidden = j["hidden_size"] as? Int ?? j["n_embd"] as? Int ?? 0
        let files = Set(try ck.names.map { try ck.file(for: $0).path }).count
        return ModelInfo(architecture: arch, modelType: type, parameters: params, dtypes: dtypes.sorted(), layers: layers, hidden: hidden,
                         vocab: j["vocab_size"] as? Int ?? 0, files: files)
    }
}
