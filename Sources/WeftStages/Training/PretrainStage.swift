import Foundation
import WeftCore
import WeftModels
import WeftTensor
import WeftText
import WeftTrain

/// `uses: pretrain` — trains a Llama-architecture model from scratch (seeded normal
/// initialisation, std 0.02) on a token dataset, so a causal base model exists offline, and
/// writes it as a Hugging Face model folder transformers loads (`LlamaForCausalLM`).
public enum PretrainStage: BuiltinStage {
    public static let name = "pretrain"

    public static func run(_ ctx: StageContext) throws {
        let dataPath = try ctx.string("data"), output = try ctx.string("output"), tokPath = try ctx.string("tokenizer")
        let validationPath = try ctx.optionalString("validation")
        let settings = try TrainingSettings(ctx)
        let tokenizer = try Tokenizer(contentsOf: tokPath).with(truncation: nil, padding: nil)
        let context = try ctx.int("context")
        guard context >= 8 else { throw TextError.config(key: "context", message: "must be at least 8 tokens, got \(context)", hint: "") }
        let shape = try modelConfig(ctx, vocab: tokenizer.vocabSize)
        let eos = ["<|endoftext|>", "</s>", "<eos>", "[SEP]"].lazy.compactMap { tokenizer.id(for: $0) }.first.map(Int.init)
        if eos == nil { ctx.log("note: the tokenizer has no end-of-text token (<|endoftext|>, </s>, <eos>); rows are joined without a separator") }
        let train = try blocks(dataPath, tokenizer: tokenizer, tokPath: tokPath, eos: eos, context: context, ctx: ctx)
        let validation = try validationPath.map { try blocks($0, tokenizer: tokenizer, tokPath: tokPath, eos: eos, context: context, ctx: ctx) }

        let fingerprint = try TrainingRun.fingerprint(ctx, inputs: [dataPath, tokPath] + (validationPath.map { [$0] } ?? []))
        try TrainingRun.prepare(output: output)
        let model = try LlamaModel(config: shape, seed: settings.trainer.seed)
        model.gradientCheckpointing = settings.gradientCheckpointing
        model.setTrainable { _ in true }
        let parameters = model.trainableParameters
        let params = parameters.reduce(0) { $0 + $1.value.count }
        ctx.log("pretrain: Llama \(shape.layers) layers × \(shape.hidden) (\(shape.heads) heads, \(shape.kvHeads) kv), vocabulary \(shape.vocabSize), "
                + "\(params) parameters; \(train.count) blocks of \(context) tokens")
        let run = TrainingRun(ctx: ctx, output: output, fingerprint: fingerprint, settings: settings)
        let (result, logs) = try run.run(.causal(model), parameters: parameters, train: train, validation: validation)

        try writeConfig(shape, context: context, eos: eos, to: output)
        try model.saveWeights(directory: output)
        try AtomicWriter.write(output + "/tokenizer.json", [UInt8](try Data(contentsOf: URL(fileURLWithPath: tokPath))))
        var extra: [(String, Any)] = [("parameters", params), ("train_blocks", train.count), ("context", context)]
        if let validation {
            extra.append(("validation_blocks", validation.count))
            if let e = result.finalEvalLoss { extra.append(("eval_perplexity", exp(e))) }
        }
        try run.writeReports(result, logs: logs, extra: extra)
        ctx.log(String(format: "pretrain: %d steps, train loss %.4f%@, %.0f tokens/s", result.steps, result.finalLoss,
                       result.finalEvalLoss.map { String(format: ", eval loss %.4f (perplexity %.1f)", $0, exp($0)) } ?? "", result.tokensPerSecond))
    }

    /// The model's shape from the stage's settings, checked.
    static func modelConfig(_ ctx: StageContext, vocab: Int) throws -> LlamaConfig {
        let hidden = try ctx.int("hidden_size"), layers = try ctx.int("layers"), heads = try ctx.int("heads")
        let kv = try ctx.int("kv_heads") > 0 ? try ctx.int("kv_heads") : heads
        guard hidden >= 8, layers >= 1, heads >= 1 else { throw TextError.config(key: "hidden_size", message: "hidden_size ≥ 8, layers ≥ 1 and heads ≥ 1 are needed", hint: "") }
        guard hidden % heads == 0, (hidden / heads) % 2 == 0 else {
            throw TextError.config(key: "heads", message: "hidden_size \(hidden) must split into \(heads) heads of an even size (RoPE rotates pairs)", hint: "e.g. hidden_size 128 with 4 heads")
        }
        guard heads % kv == 0 else { throw TextError.config(key: "kv_heads", message: "heads \(heads) is not a multiple of kv_heads \(kv)", hint: "") }
        let given = try ctx.int("intermediate_size")
        let intermediate = given > 0 ? given : (8 * hidden / 3 + 31) / 32 * 32
        return LlamaConfig(vocabSize: vocab, hidden: hidden, intermediate: intermediate, layers: layers, heads: heads, kvHeads: kv,
                           rmsEps: 1e-6, ropeTheta: try ctx.double("rope_theta"), tiedEmbeddings: try ctx.bool("tie_embeddings"))
    }

    /// Training blocks: every row's tokens followed by the end-of-text token, concatenated
    /// and cut into blocks of `context` tokens (a last block shorter than half is dropped,
    /// as `group_texts` in transformers' examples drops the remainder).
    static func blocks(_ path: String, tokenizer: Tokenizer, tokPath: String, eos: Int?, context: Int, ctx: StageContext) throws -> [TrainingExample] {
        var rows: [[Int]] = []
        if (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 8)).map({ [UInt8]($0 ?? Data()) == Array("WEFTTOK\0".utf8) }) == true {
            let file = try TokenFile.read(path)
            if let sha = file.metadata["tokenizer_sha256"], sha != (try ContentHash.ofFile(tokPath)) {
                throw TextError.data(path: path, line: 0, message: "the token file was made with another tokenizer than \(tokPath)", hint: "tokenize the data with the same tokenizer.json")
            }
            rows = file.rows.map { $0.map(Int.init) }
        } else {
            let lines = try TrainingData.rows(path, textField: try ctx.string("text_field"), threads: BLAS.threads)
            let texts = try lines.map { try TextStageSupport.text($0, try ctx.string("text_field"), path: path) }
            rows = tokenizer.encodeBatch(texts, threads: BLAS.threads, addSpecialTokens: false).map { $0.map(Int.init) }
        }
        var stream: [Int] = []
        for r in rows where !r.isEmpty {
            stream += r
            if let eos, r.last != eos { stream.append(eos) }
        }
        if let bad = stream.first(where: { $0 >= tokenizer.vocabSize }) {
            throw TextError.data(path: path, line: 0, message: "token id \(bad) is outside the tokenizer's \(tokenizer.vocabSize) ids", hint: "tokenize the data with the same tokenizer.json")
        }
        var out: [TrainingExample] = []
        var start = 0
        while start < stream.count {
            let end = min(start + context, stream.count)
            if end - start >= max(2, context / 2) { out.append(TrainingExample(ids: Array(stream[start..<end]))) }
            start = end
        }
        guard !out.isEmpty else {
            throw TextError.data(path: path, line: 0, message: "\(stream.count) tokens make no block of \(context)", hint: "give more data or a smaller context")
        }
        return out
    }

    /// `config.json` (LlamaForCausalLM, as transformers 5 writes one) and
    /// `generation_config.json`.
    static func writeConfig(_ c: LlamaConfig, context: Int, eos: Int?, to dir: String) throws {
        var j: [String: Any] = [
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": c.vocabSize, "hidden_size": c.hidden,
            "intermediate_size": c.intermediate, "num_hidden_layers": c.layers, "num_attention_heads": c.heads,
            "num_key_value_heads": c.kvHeads, "head_dim": c.headDim, "max_position_embeddings": context, "rms_norm_eps": Double(c.rmsEps),
            "rope_theta": c.ropeTheta, "rope_parameters": ["rope_theta": c.ropeTheta, "rope_type": "default"],
            "tie_word_embeddings": c.tiedEmbeddings, "hidden_act": "silu", "attention_bias": false, "mlp_bias": false,
            "attention_dropout": 0.0, "initializer_range": 0.02, "torch_dtype": "float32", "use_cache": true,
        ]
        var g: [String: Any] = [:]
        if let eos {
            for k in ["bos_token_id", "eos_token_id"] { j[k] = eos; g[k] = eos }
        }
        try TextStageSupport.writeJSON(j, to: dir + "/config.json")
        try TextStageSupport.writeJSON(g, to: dir + "/generation_config.json")
    }
}
