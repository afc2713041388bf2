import ArgumentParser
import Foundation
import WeftCore
import WeftModels
import WeftTensor
import WeftTrain
#if canImport(Glibc)
import Glibc
#endif

/// The benchmark model shapes (the same as ../shared/bench/torch's), random weights.
enum BenchShape: String, CaseIterable, ExpressibleByArgument {
    case llamaTiny = "llama-tiny", smol135m = "smol-135m"

    var config: LlamaConfig {
        switch self {
        case .llamaTiny: return LlamaConfig(vocabSize: 8192, hidden: 256, intermediate: 688, layers: 4, heads: 8, kvHeads: 4)
        case .smol135m: return LlamaConfig(vocabSize: 49152, hidden: 576, intermediate: 1536, layers: 30, heads: 9, kvHeads: 3, tiedEmbeddings: true)
        }
    }
    /// PyTorch side's batch and sequence length.
    var defaults: (batch: Int, seq: Int) {
        switch self {
        case .llamaTiny: return (8, 256)
        case .smol135m: return (4, 256)
        }
    }
}

func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

extension Bench {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "LoRA training throughput on a model shape (random weights), as ../shared/bench/torch measures PyTorch.")
        @Option(help: "llama-tiny | smol-135m") var shape: BenchShape
        @Option(help: "lora") var method: String = "lora"
        @Option var batch: Int?
        @Option var seq: Int?
        @Option var rank: Int = 8
        @Option(help: "Timed steps (after 2 warm-up steps).") var steps: Int = 5
        @Option var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        @Flag var json = false
        func run() throws {
            guarded {
                guard method == "lora" else { throw WeftError.usage(message: "--method \(method): only lora is available in this build (full fine-tuning arrives with the fine-tuning stages)") }
                try loadBLAS(threads: threads)
                let b = batch ?? shape.defaults.batch, t = seq ?? shape.defaults.seq
                let c = shape.config
                let model = try modelCall { try LlamaModel(config: c, seed: 0) }
                let targets = LoRATargets(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
                try modelCall { _ = try model.addLoRA(targets: targets, rank: rank, alpha: Double(2 * rank), seed: 1) }
                // B starts at zero in PEFT too; give it values so every gradient is exercised.
                for l in model.linears { if let lora = l.lora { for i in 0..<lora.b.count { lora.b[i] = 0.01 } } }
                let opt = AdamW(model.loraParameters, lr: 2e-4, weightDecay: 0.01)
                var rng = SplitMix(2)
                let batches = (0..<4).map { _ in (0..<b).map { _ in (0..<t).map { _ in Int.random(in: 0..<c.vocabSize, using: &rng) } } }
                var times: [Double] = []
                var losses: [Double] = []
                for step in 0..<(2 + steps) {
                    let ids = batches[step % batches.count]
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let out = try modelCall { try model.forward(ids: ids, mask: nil, labels: ids, backward: true) }
                    opt.update()
                    opt.zeroGrad()
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    losses.append(out.loss ?? .nan)
                    if step >= 2 { times.append(dt) }
                }
                let med = times.sorted()[times.count / 2]
                let tps = Double(b * t) / med
                let frozen = model.linears.reduce(0) { $0 + $1.inFeatures * $1.outFeatures }
                let trainable = model.loraParameters.reduce(0) { $0 + $1.value.count }
                let flopsPerToken = 4.0 * Double(frozen) + 6.0 * Double(trainable) + 12.0 * Double(c.layers * t * c.hidden)
                let gflops = flopsPerToken * tps / 1e9
                let result: [(String, Value)] = [
                    ("shape", .string(shape.rawValue)), ("method", .string(method)), ("batch", .int(b)), ("seq", .int(t)), ("rank", .int(rank)),
                    ("threads", .int(BLAS.threads)), ("blas_core", .string(BLAS.coreName)), ("timed_steps", .int(steps)),
                    ("step_ms", .double((med * 1e4).rounded() / 10)), ("tokens_per_s", .double(tps.rounded())),
                    ("achieved_gflops", .double((gflops * 10).rounded() / 10)), ("flops_per_token", .double(flopsPerToken)),
                    ("peak_rss_mib", .double(peakRSSMiB().rounded())), ("loss_first", .double(losses.first ?? .nan)), ("loss_last", .double(losses.last ?? .nan)),
                ]
                if json { print(Value.dict(result).orderedJSON) } else { for (k, v) in result { print("\(k): \(v.display)") } }
                return 0
            }
        }
    }
}
