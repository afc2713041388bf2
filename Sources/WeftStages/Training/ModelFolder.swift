import Foundation
import WeftText

/// Reading and writing the files of a Hugging Face model folder around the weights:
/// `config.json`, tokenizer files, a classifier's label map.
enum ModelFolder {
    /// `config.json` of a model folder, or an error saying what is missing.
    static func config(_ dir: String) throws -> [String: Any] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw TextError.io(path: dir, message: "the base model folder does not exist", hint: "give a Hugging Face model folder (config.json, model.safetensors, tokenizer.json), e.g. the output of a pretrain stage")
        }
        let path = dir + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.io(path: path, message: "no config.json: not a Hugging Face model folder", hint: "a model folder holds config.json, model.safetensors and tokenizer.json")
        }
        guard let j = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TextError.io(path: path, message: "not a JSON object", hint: "")
        }
        return j
    }

    /// Writes the base's `config.json` for a fine-tuned copy; for a classifier, with its
    /// labels as `id2label`/`label2id` and the sequence-classification architecture.
    static func writeConfig(_ base: [String: Any], labels: [String]?, to dir: String) throws {
        var c = base
        if let labels {
            c["id2label"] = Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0), $1) })
            c["label2id"] = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            c["architectures"] = ["BertForSequenceClassification"]
            c["problem_type"] = "single_label_classification"
        }
        c["torch_dtype"] = "float32"
        try TextStageSupport.writeJSON(c, to: dir + "/config.json")
    }

    /// Files a loader needs besides the weights, copied as they are; `tokenizer` (a
    /// tokenizer.json given separately) becomes the folder's `tokenizer.json`.
    static func copyTokenizerFiles(from dir: String, tokenizer: String, to out: String) throws {
        let fm = FileManager.default
        for name in ["tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "merges.txt", "vocab.json", "generation_config.json"] {
            let src = dir + "/" + name
            if let data = fm.contents(atPath: src) { try AtomicWriter.write(out + "/" + name, [UInt8](data)) }
        }
        guard let tok = fm.contents(atPath: tokenizer) else { throw TextError.io(path: tokenizer, message: "cannot read", hint: "") }
        try AtomicWriter.write(out + "/tokenizer.json", [UInt8](tok))
    }

    /// `label_map.json`: the classes in id order, so predictions map back to the labels the
    /// data used (integers stay integers).
    static func writeLabelMap(_ labels: [String], integers: Bool, to path: String) throws {
        let values: [Any] = integers ? labels.map { Int($0)! } : labels
        try TextStageSupport.writeJSON(["labels": values, "id2label": Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0), $1) })], to: path)
    }

    /// The class names of a classifier adapter written by `finetune` (`label_map.json`'s
    /// `id2label`), nil when the folder has none.
    static func adapterLabels(_ adapterDir: String) -> [String: String]? {
        guard let d = FileManager.default.contents(atPath: adapterDir + "/label_map.json"),
              let map = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { return nil }
        return map["id2label"] as? [String: String]
    }

    /// A path as seen from the project root (`WEFT_ROOT`, set by the engine); as given when
    /// it lies outside the project or no root is known.
    static func projectRelative(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let abs = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd + "/")).standardizedFileURL.path
        guard let root = ProcessInfo.processInfo.environment["WEFT_ROOT"].map({ URL(fileURLWithPath: $0).standardizedFileURL.path }) else { return path }
        if abs == root { return "." }
        return abs.hasPrefix(root + "/") ? String(abs.dropFirst(root.count + 1)) : path
    }
}
