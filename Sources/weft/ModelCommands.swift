import ArgumentParser
import Foundation
import WeftCore
import WeftModels
import WeftTensor

/// Reads a JSON array of equal-length integer rows (ids, masks, token types, labels).
func readIntRows(_ path: String, what: String) throws -> [[Int]] {
    guard let data = FileManager.default.contents(atPath: path) else { throw WeftError.usage(message: "\(what) file '\(path)' cannot be read") }
    guard let rows = (try? JSONSerialization.jsonObject(with: data)) as? [[Int]] else {
        throw WeftError.usage(message: "\(path): \(what) must be a JSON array of arrays of integers, e.g. [[1, 2, 3], [4, 5, 6]]")
    }
    return rows
}

/// Model errors become user errors (the CLI prints them the same way).
func modelCall<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as ModelError { throw WeftError.usage(message: e.description) } catch let e as TensorError {
        throw WeftError.usage(message: e.description)
    }
}

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Inspect and run Hugging Face model folders natively.",
                                                    subcommands: [Info.self, Forward.self])

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Architecture, parameter count, dtype, layers, vocabulary.")
        @Argument var directory: String
        @Flag var json = false
        func run() throws {
            guarded {
                let i = try modelCall { try ModelInfo.read(directory: directory) }
                let rows: [(String, Value)] = [("architecture", .string(i.architecture)), ("model_type", .string(i.modelType)),
                                               ("parameters", .int(i.parameters)), ("dtype", .string(i.dtypes.joined(separator: ", "))),
                                               ("layers", .int(i.layers)), ("hidden", .int(i.hidden)), ("vocab", .int(i.vocab)),
                                               ("safetensors_files", .int(i.files))]
                if json { print(Value.dict(rows).orderedJSON) } else {
                    for (k, v) in rows { print(k.padding(toLength: 18, withPad: " ", startingAt: 0) + v.display) }
                }
                return 0
            }
        }
    }

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Logits (and the loss, with labels) of a batch, written as safetensors.")
        @Option var model: String
        @Option(help: "A PEFT LoRA adapter folder.") var adapter: String?
        @Option(help: "JSON array of equal-length arrays of token ids.") var inputIds: String
        @Option(help: "Same shape; 0 = padding.") var attentionMask: String?
        @Option(help: "Same shape (BERT).") var tokenTypeIds: String?
        @Option(help: "Causal LMs: same shape as the ids, -100 ignored. Classification: one label per row ([[2], [0]] or [2, 0]).") var labels: String?
        @Option(help: "Output .safetensors (tensor 'logits').") var out: String
        @Option(help: "BLAS threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        func run() throws {
            guarded {
                try loadBLAS(threads: threads)
                let ids = try readIntRows(inputIds, what: "--input-ids")
                let mask = try attentionMask.map { try readIntRows($0, what: "--attention-mask") }
                let types = try tokenTypeIds.map { try readIntRows($0, what: "--token-type-ids") }
                let m = try modelCall { try AnyModel.load(directory: model, adapter: adapter) }
                var logits: FloatBuffer
                var shape: [Int]
                var loss: Double?
                switch m {
                case .causal(let lm):
                    let lab = try labels.map { try readIntRows($0, what: "--labels") }
                    let o = try modelCall { try lm.forward(ids: ids, mask: mask, labels: lab, backward: false) }
                    logits = o.logits
                    shape = [ids.count, ids[0].count, lm.vocabSize]
                    loss = o.loss
                case .bert(let bm):
                    guard bm.classifier != nil else {
                        throw WeftError.usage(message: "\(model) has no classification head (classifier.weight); model forward writes classification logits for BERT")
                    }
                    var lab: [Int]?
                    if let labels {
                        let data = FileManager.default.contents(atPath: labels) ?? Data()
                        let any = try? JSONSerialization.jsonObject(with: data)
                        lab = (any as? [Int]) ?? (any as? [[Int]])?.compactMap(\.first)
                        guard let l = lab, l.count == ids.count else {
                            throw WeftError.usage(message: "\(labels): classification labels must be one class per row, e.g. [2, 0] or [[2], [0]]")
                        }
                        lab = l
                    }
                    let o = try modelCall { try bm.forward(ids: ids, mask: mask, tokenTypes: types, labels: lab) }
                    logits = o.logits!
                    shape = [ids.count, bm.classifier!.outFeatures]
                    loss = o.loss
                }
                let t = try modelCall { try SafetensorsTensor(name: "logits", try Tensor(shape: shape, data: logits.array)) }
                try modelCall { try Safetensors.write([t], to: out) }
                if let loss { print(Value.dict([("loss", .double(loss))]).orderedJSON) }
                return 0
            }
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate tokens with a KV cache (Llama family, GPT-2).")
    @Option var model: String
    @Option(help: "A PEFT LoRA adapter folder.") var adapter: String?
    @Option(help: "Text prompt (needs the model's tokenizer.json).") var prompt: String?
    @Option(help: "JSON array of prompts as token ids, e.g. [[1, 2, 3]] (or one flat array).") var promptIds: String?
    @Option var maxNewTokens: Int = 32
    @Option(help: "0 = greedy.") var temperature: Float = 0
    @Option var topK: Int = 0
    @Option var topP: Float = 1
    @Option var repetitionPenalty: Float = 1
    @Option(help: "Token ids that end a row (repeatable).") var stopToken: [Int] = []
    @Option var seed: UInt64 = 0
    @Option(help: "BLAS threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    func run() throws {
        guarded {
            guard (prompt == nil) != (promptIds == nil) else { throw WeftError.usage(message: "give --prompt TEXT or --prompt-ids JSON (one of them)") }
            if prompt != nil {
                throw WeftError.usage(message: "--prompt needs a tokenizer, which this build does not have yet (tokenizer.json support arrives with the text stages)\n  hint: pass token ids with --prompt-ids '[[1, 2, 3]]'")
            }
            guard maxNewTokens >= 1, temperature >= 0, topK >= 0, topP > 0, topP <= 1, repetitionPenalty > 0 else {
                throw WeftError.usage(message: "need --max-new-tokens ≥ 1, --temperature ≥ 0, --top-k ≥ 0, 0 < --top-p ≤ 1, --repetition-penalty > 0")
            }
            let raw = FileManager.default.contents(atPath: promptIds!).flatMap { try? JSONSerialization.jsonObject(with: $0) }
                ?? (try? JSONSerialization.jsonObject(with: Data(promptIds!.utf8)))
            guard let prompts = (raw as? [[Int]]) ?? (raw as? [Int]).map({ [$0] }) else {
                throw WeftError.usage(message: "--prompt-ids must be a JSON file or text holding [[ids...], ...] or [ids...]")
            }
            try loadBLAS(threads: threads)
            guard case .causal(let lm) = try modelCall({ try AnyModel.load(directory: model, adapter: adapter) }) else {
                throw WeftError.usage(message: "\(model) is an encoder (BERT): it does not generate text")
            }
            var g = GenerationConfig()
            g.maxNewTokens = maxNewTokens
            g.temperature = temperature
            g.topK = topK
            g.topP = topP
            g.repetitionPenalty = repetitionPenalty
            g.stopTokens = Set(stopToken)
            g.seed = seed
            let out = try modelCall { try lm.generate(prompts: prompts, config: g) }
            print(Value.list(out.map { .list($0.map { .int($0) }) }).orderedJSON)
            return 0
        }
    }
}
