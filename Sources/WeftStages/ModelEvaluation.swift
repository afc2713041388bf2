import Foundation
import WeftEval
import WeftModels
import WeftText

/// The `evaluate` stage's model mode: a Hugging Face model folder (optionally with a PEFT
/// LoRA adapter) generates, classifies or scores a dataset, and the predictions go
/// through the same `Evaluator` as a predictions file.
struct ModelEvaluation {
    let modelDir: String
    let model: AnyModel
    let tokenizer: Tokenizer
    let config: [String: Any]
    /// Positions the model can attend over (from config.json; 0 = unlimited).
    let contextLength: Int
    var log: @Sendable (String) -> Void

    init(model dir: String, adapter: String?, tokenizer tokPath: String?, log: @escaping @Sendable (String) -> Void) throws {
        modelDir = dir
        model = try AnyModel.load(directory: dir, adapter: adapter)
        let tp = tokPath ?? dir + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: tp) else {
            throw TextError.io(path: tp, message: "no tokenizer.json for the model", hint: "put tokenizer.json in the model folder or set 'tokenizer'")
        }
        // Evaluation rows are encoded whole: the file's own truncation and padding are off.
        tokenizer = try Tokenizer(contentsOf: tp).with(truncation: nil, padding: nil)
        let data = FileManager.default.contents(atPath: dir + "/config.json") ?? Data()
        var config = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        // A classifier adapter from `finetune` names its classes in label_map.json.
        if let adapter, let names = ModelFolder.adapterLabels(adapter) { config["id2label"] = names }
        self.config = config
        contextLength = (config["max_position_embeddings"] as? Int) ?? (config["n_positions"] as? Int) ?? 0
        self.log = log
    }

    /// Token ids that end a generation: the config's `eos_token_id` (one or a list, also
    /// from generation_config.json), the chat template's `<|im_end|>` when present, and
    /// `extra` (a model chat template's end-of-turn token, e.g. `<|eot_id|>`).
    func stopTokens(extra: [String] = []) -> Set<Int> {
        var out = Set<Int>()
        var sources = [config]
        if let d = FileManager.default.contents(atPath: modelDir + "/generation_config.json"),
           let g = try? JSONSerialization.jsonObject(with: d) as? [String: Any] { sources.append(g) }
        for s in sources {
            if let e = s["eos_token_id"] as? Int { out.insert(e) }
            if let l = s["eos_token_id"] as? [Int] { out.formUnion(l) }
        }
        for t in ["<|im_end|>", "<|endoftext|>", "</s>"] + extra { if let id = tokenizer.id(for: t) { out.insert(Int(id)) } }
        return out
    }

    /// Generates a continuation of every prompt, in batches, greedy or sampled. Prompts a
    /// model chat template rendered carry their own BOS: pass `addSpecialTokens: false`.
    func generate(prompts: [String], config g: GenerationConfig, batchSize: Int, addSpecialTokens: Bool = true, stopStrings: [String] = []) throws -> [String] {
        guard case .causal(let lm) = model else {
            throw TextError.config(key: "task", message: "generation needs a causal language model, and \(modelDir) is a BERT encoder", hint: "use task: classify")
        }
        var g = g
        g.stopTokens = stopTokens(extra: stopStrings)
        let limit = contextLength > 0 ? contextLength - g.maxNewTokens : Int.max
        guard limit > 0 else {
            throw TextError.config(key: "max_new_tokens", message: "\(g.maxNewTokens) leaves no room for a prompt in the model's \(contextLength) positions", hint: "lower max_new_tokens")
        }
        var out: [String] = []
        var start = 0
        while start < prompts.count {
            let end = min(start + batchSize, prompts.count)
            let ids = prompts[start..<end].map { p -> [Int] in
                var ids = tokenizer.encodeIDs(p, addSpecialTokens: addSpecialTokens).map(Int.init)
                if ids.isEmpty, let bos = (config["bos_token_id"] as? Int) { ids = [bos] }
                return ids.count > limit ? Array(ids.suffix(limit)) : ids  // keep the end of an over-long prompt
            }
            if let i = ids.firstIndex(where: \.isEmpty) {
                throw TextError.data(path: modelDir, line: 0, message: "prompt \(start + i + 1) encodes to no tokens and the model config has no bos_token_id", hint: "give every row a non-empty prompt")
            }
            let new = try lm.generate(prompts: ids, config: g)
            for row in new {
                let kept = row.prefix { !g.stopTokens.contains($0) }
                out.append(tokenizer.decode(kept.map { UInt32($0) }, skipSpecialTokens: true))
            }
            log("evaluate: generated \(end) / \(prompts.count)")
            start = end
        }
        return out
    }

    /// Predicted class of every text: the classification head's argmax, named by the
    /// config's `id2label` (integers when `asIntegers` or when the names are LABEL_k).
    func classify(texts: [String], asIntegers: Bool, batchSize: Int, maxLength: Int) throws -> [ClassLabel] {
        guard case .bert(let bert) = model, bert.classifier != nil else {
            throw TextError.config(key: "task", message: "classification needs a model with a classification head (BertForSequenceClassification), and \(modelDir) has none", hint: "fine-tune one with task: classification")
        }
        let names = (config["id2label"] as? [String: Any]).map { d in
            Dictionary(uniqueKeysWithValues: d.compactMap { k, v in Int(k).map { ($0, "\(v)") } })
        } ?? [:]
        let length = min(maxLength > 0 ? maxLength : Int.max, contextLength > 0 ? contextLength : Int.max)
        var out: [ClassLabel] = []
        var start = 0
        while start < texts.count {
            let end = min(start + batchSize, texts.count)
            let encoded = texts[start..<end].map { t -> [Int] in
                let ids = tokenizer.encodeIDs(t, addSpecialTokens: true).map(Int.init)
                return ids.count > length ? Array(ids.prefix(length)) : ids
            }
            let width = max(1, encoded.map(\.count).max() ?? 1)
            let pad = (config["pad_token_id"] as? Int) ?? 0
            let ids = encoded.map { $0 + [Int](repeating: pad, count: width - $0.count) }
            let mask = encoded.map { [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: width - $0.count) }
            let logits = try bert.forward(ids: ids, mask: mask).logits!
            let labels = bert.classifier!.outFeatures  // the head's size (an adapter's head may differ from config.json's num_labels)
            for r in 0..<encoded.count {
                var best = 0
                for j in 1..<labels where logits[r * labels + j] > logits[r * labels + best] { best = j }
                if asIntegers || names.isEmpty || names[best] == "LABEL_\(best)" { out.append(.int(best)) } else { out.append(.string(names[best] ?? "LABEL_\(best)")) }
            }
            start = end
        }
        return out
    }

    /// Summed NLL of `sequences` (ids with a 0/1 loss mask each): every token after the
    /// first whose mask is 1 is scored given the tokens before it. Sequences longer than the
    /// context are cut into consecutive windows of `window` tokens.
    func nll(sequences: [(ids: [Int], mask: [UInt8], bytes: Int)], window: Int, perRow: inout [(Double, Int)]) throws -> Perplexity {
        guard case .causal(let lm) = model else {
            throw TextError.config(key: "metrics", message: "perplexity needs a causal language model, and \(modelDir) is a BERT encoder", hint: "")
        }
        let w = window > 0 ? window : (contextLength > 0 ? contextLength : 1024)
        var pieces: [(ids: [Int], labels: [Int], row: Int)] = []
        for (r, s) in sequences.enumerated() {
            var start = 0
            repeat {
                let end = min(start + w, s.ids.count)
                let ids = Array(s.ids[start..<end])
                let labels = (start..<end).map { s.mask[$0] != 0 ? s.ids[$0] : -100 }
                pieces.append((ids, labels, r))
                start = end
            } while start < s.ids.count
        }
        var nllPerRow = [Double](repeating: 0, count: sequences.count)
        var tokensPerRow = [Int](repeating: 0, count: sequences.count)
        // One forward per window: its loss is the mean over its labelled tokens, which times
        // their count gives the window's NLL sum exactly (no padding enters the sum).
        for piece in pieces where piece.ids.count >= 2 {
            let out = try lm.forward(ids: [piece.ids], mask: nil, labels: [piece.labels], backward: false)
            if let loss = out.loss, out.labelledTokens > 0 {
                nllPerRow[piece.row] += loss * Double(out.labelledTokens)
                tokensPerRow[piece.row] += out.labelledTokens
            }
        }
        perRow = zip(nllPerRow, tokensPerRow).map { ($0, $1) }
        var p = Perplexity()
        for (r, s) in sequences.enumerated() { p.add(nll: nllPerRow[r], tokens: tokensPerRow[r], bytes: s.bytes) }
        return p
    }
}
