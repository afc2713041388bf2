import Foundation
import Testing
import WeftText

/// The `finetune` and `pretrain` built-ins through the engine: LoRA SFT and classification,
/// full fine-tuning, determinism, resume after a kill, a full disk while checkpointing,
/// and bad input.
@Suite("finetune stage")
struct FinetuneStageTests {
    static let llama = modelFixture("eval/models/llama")
    static let bert = modelFixture("eval/models/bert")
    static func data(_ name: String) -> String { modelFixture("train/data/" + name) }

    static func object(_ text: String?) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data((text ?? "").utf8))) as? [String: Any] ?? [:]
    }

    /// The values of a safetensors file holding one F32 tensor (the header's length, the
    /// header, then the data).
    static func soleF32Tensor(_ b: [UInt8]) -> [Float] {
        guard b.count >= 8 else { return [] }
        let n = b[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        return stride(from: 8 + n, to: b.count - 3, by: 4).map { Float(bitPattern: b[$0..<$0 + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
    }

    /// Loss column of a train_log.csv.
    static func losses(_ csv: String?) -> [Double] {
        (csv ?? "").split(separator: "\n").dropFirst().compactMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[2]) }
    }

    /// A LoRA SFT stage on the tiny Llama; `extra` lines ("key: value") override the defaults.
    static func sft(_ extra: String = "", output: String = "out/sft") -> String {
        var with: [(String, String)] = [("model", llama), ("train", data("sft_train.jsonl")), ("validation", data("sft_val.jsonl")),
                                        ("output", output), ("template", "none"), ("batch_size", "8"), ("lr", "0.005"), ("epochs", "4"), ("r", "8"),
                                        ("target_modules", "[all-linear]")]
        for line in extra.split(separator: "\n") {
            let kv = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if let k = with.firstIndex(where: { $0.0 == kv[0] }) { with[k].1 = kv[1] } else { with.append((kv[0], kv[1])) }
        }
        return "stages:\n  sft:\n    uses: finetune\n    cpus: 2\n    with:\n" + with.map { "      \($0.0): \($0.1)\n" }.joined()
    }

    /// Two evaluate stages: the base's and the base + out/sft adapter's perplexity on the training completions.
    static var perplexityStages: String {
        """

          base:
            uses: evaluate
            with: {model: \(llama), data: \(data("sft_train.jsonl")), output: eval-base, metrics: [perplexity]}
          tuned:
            uses: evaluate
            with: {model: \(llama), adapter: out/sft, data: \(data("sft_train.jsonl")), output: eval-tuned, metrics: [perplexity]}

        """
    }

    @Test("LoRA SFT: the loss falls, a PEFT adapter with metrics and log is written, the evaluate stage finds the training completions likelier; merge folds it in")
    func loraSFT() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", Self.sft() + Self.perplexityStages + """
              merge:
                uses: merge
                with: {model: \(Self.llama), adapter: out/sft, output: out/merged}
              merged:
                uses: evaluate
                with: {model: out/merged, data: \(Self.data("sft_train.jsonl")), output: eval-merged, metrics: [perplexity]}
            """)
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        let m = Self.object(ws.read("out/sft/metrics.json"))
        let losses = Self.losses(ws.read("out/sft/train_log.csv"))
        #expect(losses.count == 24 && m["steps"] as? Int == 24, "48 rows / 8 × 4 epochs: \(m)")
        let first: Double = losses.prefix(6).reduce(0, +), last: Double = losses.suffix(6).reduce(0, +)
        #expect(last < first * 0.95, "the last epoch's loss is below the first's: \(losses)")
        for key in ["train_loss", "eval_loss", "tokens_per_s", "peak_rss_mib", "trainable_params"] { #expect(m[key] != nil, "\(key) in \(m)") }
        let cfg = Self.object(ws.read("out/sft/adapter_config.json"))
        #expect(cfg["peft_type"] as? String == "LORA" && cfg["r"] as? Int == 8 && cfg["task_type"] as? String == "CAUSAL_LM", "\(cfg)")
        #expect(cfg["target_modules"] as? [String] == ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"] && cfg["base_model_name_or_path"] as? String == Self.llama, "\(cfg)")
        #expect(ws.files(under: "out/sft").allSatisfy { !$0.contains("checkpoint") }, "\(ws.files(under: "out/sft"))")
        let base = Self.object(ws.read("eval-base/metrics.json"))["perplexity"] as? Double ?? 0
        let tuned = Self.object(ws.read("eval-tuned/metrics.json"))["perplexity"] as? Double ?? .infinity
        #expect(tuned < base * 0.8, "the adapter makes the completions it learnt likelier: perplexity base \(base), tuned \(tuned)")
        let merged = Self.object(ws.read("eval-merged/metrics.json"))["perplexity"] as? Double ?? 0
        #expect(abs(merged - tuned) / tuned < 1e-5, "the merged model scores as base + adapter: \(merged) vs \(tuned)")
        #expect(Self.object(ws.read("out/merged/metrics.json"))["merged_modules"] as? Int == 14, "7 linear modules × 2 layers")
        let again = try ws.run("repro")
        #expect(again.ran.isEmpty, "\(again)")
    }

    @Test("prefix and prompt tuning: PEFT adapters whose virtual tokens lower the loss, read back by the evaluate stage", arguments: ["prefix", "prompt"])
    func virtualTokens(method: String) throws {
        let ws = try TestWorkspace()
        let extra = "method: \(method)\nnum_virtual_tokens: 8\nlr: 0.03" + (method == "prompt" ? "\nprompt_init_text: define the word" : "")
        try ws.write("pipelines/p.yaml", Self.sft(extra) + Self.perplexityStages)
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        let cfg = Self.object(ws.read("out/sft/adapter_config.json"))
        #expect(cfg["peft_type"] as? String == (method == "prefix" ? "PREFIX_TUNING" : "PROMPT_TUNING") && cfg["num_virtual_tokens"] as? Int == 8, "\(cfg)")
        if method == "prompt" { #expect(cfg["prompt_tuning_init"] as? String == "TEXT" && cfg["prompt_tuning_init_text"] as? String == "define the word", "\(cfg)") }
        let losses = Self.losses(ws.read("out/sft/train_log.csv"))
        let first: Double = losses.prefix(6).reduce(0, +), last: Double = losses.suffix(6).reduce(0, +)
        #expect(last < first, "\(losses)")
        let base = Self.object(ws.read("eval-base/metrics.json"))["perplexity"] as? Double ?? 0
        let tuned = Self.object(ws.read("eval-tuned/metrics.json"))["perplexity"] as? Double ?? .infinity
        #expect(tuned < base, "perplexity base \(base), tuned \(tuned)")
        let m = Self.object(ws.read("out/sft/metrics.json"))
        #expect(m["trainable_params"] as? Int == 8 * (method == "prefix" ? 2 * 2 * 16 : 32), "the table only: \(m)")
    }

    @Test("QLoRA: LoRA over an NF4 (or int8) base trains, reports the base's bytes per parameter; merge folds it into the dequantised weights and states the error", arguments: ["nf4", "int8"])
    func qlora(quantize: String) throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", Self.sft("method: qlora\nquantize: \(quantize)") + """

              merge:
                uses: merge
                with: {model: \(Self.llama), adapter: out/sft, output: out/merged, base_quantization: \(quantize)}
            """)
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        let m = Self.object(ws.read("out/sft/metrics.json"))
        let bpp = m["quantized_bytes_per_param"] as? Double ?? 9
        // NF4: 4 bits + double-quantised absmax ≈ 0.52; int8: 1 byte + a 4-byte absmax per row (rows of 32 here).
        #expect(quantize == "nf4" ? bpp < 0.6 : bpp <= 1.0 + 4.0 / 32, "\(m)")
        #expect(m["base_quantization"] as? String == quantize, "\(m)")
        let losses = Self.losses(ws.read("out/sft/train_log.csv"))
        let first: Double = losses.prefix(6).reduce(0, +), last: Double = losses.suffix(6).reduce(0, +)
        #expect(last < first * 0.95, "\(losses)")
        let merged = Self.object(ws.read("out/merged/metrics.json"))
        let err = merged["max_abs_error"] as? Double ?? -1
        #expect(err > 0 && err < 0.5 && merged["base_quantization"] as? String == quantize, "\(merged)")
        #expect(ws.exists("out/merged/model.safetensors"))
    }

    @Test("on a terminal, weft repro's live status line carries the training bar (step/total, loss, tokens/s, ETA)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func progressBar() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", Self.sft("max_steps: 12\nbatch_size: 4"))
        // util-linux `script` gives weft a pseudo-terminal.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-q", "-c", weftExecutable + " repro", ws.path("tty.log")]
        p.currentDirectoryURL = URL(fileURLWithPath: ws.root)
        p.environment = ProcessInfo.processInfo.environment.merging(["TERM": "xterm"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let screen = (ws.read("tty.log") ?? "").replacingOccurrences(of: "\r", with: "\n")
        let bars = screen.split(separator: "\n").filter { $0.contains("running: sft █") || $0.contains("running: sft ·") }
        #expect(bars.contains { $0.contains("/12 loss ") && $0.contains("tok/s ETA ") }, "\(screen.suffix(600))")
        #expect(!ws.files(under: ".weft/tmp").contains { $0.hasSuffix(".progress") }, "the progress file goes with the stage")
    }

    @Test("packing joins rows into max_length sequences (fewer, fuller batches) and trains")
    func packing() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", Self.sft("packing: true\nmax_length: 64\nbatch_size: 2"))
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        let m = Self.object(ws.read("out/sft/metrics.json"))
        let packed = m["packed_sequences"] as? Int ?? 0
        #expect(packed > 0 && packed < 32, "48 rows of ~25 tokens share 64-token sequences: \(m)")
        let losses = Self.losses(ws.read("out/sft/train_log.csv"))
        #expect(losses.count == 4 * ((packed + 1) / 2) && losses.last! < losses.first!, "\(losses)")
    }

    @Test("same inputs, seed and threads give byte-identical adapters; another seed does not")
    func determinism() throws {
        var bytes: [[UInt8]] = []
        for seed in [7, 7, 8] {
            let ws = try TestWorkspace()
            try ws.write("pipelines/p.yaml", Self.sft("seed: \(seed)\ndropout: 0.1\nmax_steps: 4"))
            let r = try ws.run("repro", timeout: 120)
            #expect(r.code == 0, "\(r)")
            bytes.append(ws.bytes("out/sft/adapter_model.safetensors") ?? [])
        }
        #expect(!bytes[0].isEmpty && bytes[0] == bytes[1])
        #expect(bytes[0] != bytes[2])
    }

    @Test("classification: LoRA + trained head on BERT lowers the validation loss; label_map.json; the evaluate stage classifies with the adapter")
    func classification() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", """
            stages:
              cls:
                uses: finetune
                cpus: 2
                with:
                  model: \(Self.bert)
                  task: classification
                  train: \(Self.data("cls_train.jsonl"))
                  validation: \(Self.data("cls_val.jsonl"))
                  output: out/cls
                  target_modules: [all-linear]
                  lr: 0.01
                  epochs: 8
                  batch_size: 16
                  eval_steps: 6
              eval:
                uses: evaluate
                with: {model: \(Self.bert), adapter: out/cls, data: \(Self.data("cls_val.jsonl")), output: eval-cls, metrics: [accuracy, f1]}
            """)
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        let labels = Self.object(ws.read("out/cls/label_map.json"))
        #expect(labels["labels"] as? [String] == ["definite", "indefinite", "other"], "\(labels)")
        let cfg = Self.object(ws.read("out/cls/adapter_config.json"))
        #expect(cfg["task_type"] as? String == "SEQ_CLS" && cfg["modules_to_save"] as? [String] == ["classifier"], "\(cfg)")
        let m = Self.object(ws.read("out/cls/metrics.json"))
        #expect(m["num_labels"] as? Int == 3 && m["eval_loss"] != nil, "\(m)")
        let evals = (ws.read("out/cls/train_log.csv") ?? "").split(separator: "\n").dropFirst().compactMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[7]) }
        #expect(evals.count == 8 && evals.min()! < evals[0] * 0.95, "validation loss falls below its first value: \(evals)")
        let e = Self.object(ws.read("eval-cls/metrics.json"))
        #expect((0...1).contains(e["accuracy"] as? Double ?? -1), "\(e)")
        let predicted = Set((ws.read("eval-cls/predictions.jsonl") ?? "").split(separator: "\n").compactMap { Self.object(String($0))["predicted"] as? String })
        #expect(!predicted.isEmpty && predicted.isSubset(of: ["definite", "indefinite", "other"]), "predictions use the adapter's label names: \(predicted)")
    }

    @Test("a trained head of another size than config.json's num_labels: evaluate predicts with the adapter's head, as model forward does")
    func headSize() throws {
        let ws = try TestWorkspace()
        // Two classes, while the base's config.json says three.
        let rows = try String(contentsOfFile: Self.data("cls_train.jsonl"), encoding: .utf8).split(separator: "\n").prefix(32).map { line -> String in
            let o = Self.object(String(line))
            return "{\"text\": \(jsonString(o["text"] as! String)), \"label\": \"\(o["label"] as! String == "indefinite" ? "yes" : "no")\"}\n"
        }
        try ws.write("two.jsonl", rows.joined())
        try ws.write("pipelines/p.yaml", """
            stages:
              cls:
                uses: finetune
                with: {model: \(Self.bert), task: classification, train: two.jsonl, output: out/cls, max_steps: 3, lr: 0.01}
              eval:
                uses: evaluate
                with: {model: \(Self.bert), adapter: out/cls, data: two.jsonl, output: eval, metrics: [accuracy]}
            """)
        let r = try ws.run("repro", timeout: 120)
        #expect(r.code == 0, "\(r)")
        let tokenizer = try Tokenizer(contentsOf: Self.bert + "/tokenizer.json").with(truncation: nil, padding: nil)
        let texts = rows.map { Self.object($0)["text"] as! String }
        let ids = texts.map { tokenizer.encodeIDs($0).map(Int.init) }
        let width = ids.map(\.count).max()!
        try ws.write("ids.json", "[" + ids.map { "[" + ($0 + [Int](repeating: 0, count: width - $0.count)).map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]")
        try ws.write("mask.json", "[" + ids.map { "[" + ([Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: width - $0.count)).map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]")
        let f = try ws.run("model", "forward", "--model", Self.bert, "--adapter", "out/cls", "--input-ids", "ids.json", "--attention-mask", "mask.json", "--out", "logits.safetensors")
        #expect(f.code == 0, "\(f)")
        let logits = Self.soleF32Tensor(ws.bytes("logits.safetensors") ?? [])
        let names = (Self.object(ws.read("out/cls/label_map.json"))["labels"] as? [String]) ?? []
        #expect(logits.count == rows.count * 2 && names == ["no", "yes"], "\(logits.count) \(names)")
        let predicted = (ws.read("eval/predictions.jsonl") ?? "").split(separator: "\n").map { Self.object(String($0))["predicted"] as? String ?? "" }
        let expected = (0..<rows.count).map { names[logits[2 * $0 + 1] > logits[2 * $0] ? 1 : 0] }
        #expect(predicted == expected)
    }

    @Test("full fine-tuning writes a model folder weft loads; classification writes id2label into its config")
    func full() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", Self.sft("method: full\nmax_steps: 3", output: "out/full") + """

              cls:
                uses: finetune
                with: {model: \(Self.bert), task: classification, method: full, train: \(Self.data("cls_train.jsonl")), output: out/cls, max_steps: 2}
            """)
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        for f in ["config.json", "model.safetensors", "tokenizer.json", "metrics.json"] { #expect(ws.exists("out/full/" + f), "\(f)") }
        let info = try ws.run("model", "info", "out/full")
        #expect(info.code == 0 && info.out.contains("llama"), "\(info)")
        let cfg = Self.object(ws.read("out/cls/config.json"))
        #expect((cfg["id2label"] as? [String: String])?["2"] == "other" && cfg["architectures"] as? [String] == ["BertForSequenceClassification"], "\(cfg)")
        let m = Self.object(ws.read("out/full/metrics.json"))
        #expect(m["trainable_params"] as? Int == m["total_params"] as? Int, "\(m)")
    }

    /// Kills every process of this workspace's stages (`weft exec-stage` children whose
    /// working directory is the workspace): what a kill -9 of the stage looks like.
    static func killStages(in root: String) -> Int {
        var killed = 0
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path == URL(fileURLWithPath: root).resolvingSymlinksInPath().path,
                  let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8), cmd.contains("exec-stage") else { continue }
            kill(Int32(pid)!, SIGKILL)
            killed += 1
        }
        return killed
    }

    @Test("killed mid-run, the next repro resumes from the last checkpoint and ends with the same weights; a full disk while checkpointing keeps the previous checkpoint")
    func resumeAfterKill() throws {
        let stage = Self.sft("max_steps: 30\nsave_steps: 5\ndropout: 0.1\nbatch_size: 2\nr: 16\ntarget_modules: [all-linear]")
        let reference = try TestWorkspace()
        try reference.write("pipelines/p.yaml", stage)
        #expect(try reference.run("repro", timeout: 300).code == 0)
        let want = try #require(reference.bytes("out/sft/adapter_model.safetensors"))

        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", stage)
        let weft = try ws.start(args: ["repro"])
        #expect(ws.waitFor("out/sft/checkpoint-5", timeout: 120))
        #expect(Self.killStages(in: ws.root) == 1)
        let killed = weft.wait(timeout: 30)
        #expect(killed.code != 0, "\(killed)")
        let checkpoints = ws.files(under: "out/sft").filter { $0.hasSuffix("trainer_state.json") }
        #expect(!checkpoints.isEmpty && !ws.exists("out/sft/adapter_model.safetensors"), "\(ws.files(under: "out/sft"))")

        // A file-size limit below a checkpoint's optimiser state stands in for a full disk:
        // the stage, run as the engine runs it (the command line its log shows) but under
        // `ulimit -f`, cannot write its next checkpoint; it fails and says so, and the
        // previous checkpoint stays as it was.
        let before = ws.files(under: "out/sft").filter { $0.contains("checkpoint-") }.sorted()
        let line = try #require(killed.out.split(separator: "\n").first { $0.contains("exec-stage finetune") })
        // The console shows the command without its manifest version.
        let args = String(line[line.range(of: "exec-stage")!.lowerBound...]).replacingOccurrences(of: "exec-stage finetune ", with: "exec-stage finetune --version 1 ")
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", "ulimit -f 100 && exec \"$0\" " + args, weftExecutable]
        sh.currentDirectoryURL = URL(fileURLWithPath: ws.root)
        let pipe = Pipe()
        sh.standardOutput = pipe
        sh.standardError = pipe
        try sh.run()
        let full = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sh.waitUntilExit()
        #expect(sh.terminationStatus != 0, "\(full)")
        #expect(full.contains("could not write the checkpoint") && full.contains("is intact"), "\(full)")
        #expect(full.contains("resuming from checkpoint-"), "\(full)")
        let after = ws.files(under: "out/sft").filter { $0.contains("checkpoint-") }.sorted()
        #expect(after == before, "the previous checkpoint is unchanged and nothing half-written is left:\n\(before)\n\(after)")

        let resumed = try ws.run("repro", timeout: 300)
        #expect(resumed.code == 0, "\(resumed)")
        #expect(resumed.out.contains("resuming from checkpoint-"), "\(resumed)")
        #expect(ws.bytes("out/sft/adapter_model.safetensors") == want, "a resumed run ends with the uninterrupted run's weights")
        #expect(Self.losses(ws.read("out/sft/train_log.csv")).count == 30, "the log covers every step")
    }

    static func failure(_ pipeline: String, files: [String: String] = [:]) throws -> RunResult {
        let ws = try TestWorkspace()
        for (k, v) in files { try ws.write(k, v) }
        try ws.write("pipelines/p.yaml", pipeline)
        return try ws.run("repro", timeout: 120)
    }

    static func stage(_ with: String) -> String {
        "stages:\n  ft:\n    uses: finetune\n    with: {output: out/ft, " + with + "}\n"
    }

    @Test("bad input: each gets a clear error naming what is wrong")
    func badInput() throws {
        let llama = Self.llama, train = Self.data("sft_train.jsonl")
        let cases: [(String, [String: String], [String])] = [
            (Self.stage("model: no/such/model, train: \(train)"), [:], ["no/such/model", "does not exist"]),
            (Self.stage("model: m, train: \(train)"), ["m/config.json": #"{"model_type": "gpt_neox"}"#], ["gpt_neox", "not supported", "llama"]),
            (Self.stage("model: \(llama), train: t.jsonl"), ["t.jsonl": "{\"prompt\": \"a\", \"completion\": \" b\"}\n{oops\n"], ["t.jsonl", "2"]),
            (Self.stage("model: \(llama), train: t.jsonl"), ["t.jsonl": "{\"prompt\": \"a\"}\n"], ["t.jsonl:1", "completion"]),
            (Self.stage("model: \(llama), train: t.jsonl, template: none"), ["t.jsonl": "{\"prompt\": \"a\", \"completion\": \"\"}\n"], ["t.jsonl:1", "empty"]),
            (Self.stage("model: \(llama), train: t.jsonl, max_length: 4"), ["t.jsonl": "{\"prompt\": \"a long prompt that is many tokens\", \"completion\": \" b\"}\n"],
             ["t.jsonl:1", "max_length 4", "prompt"]),
            (Self.stage("model: \(llama), train: \(train), r: 0"), [:], ["rank", "at least 1"]),
            (Self.stage("model: \(llama), train: \(train), optimizer: adam"), [:], ["adam", "adamw", "lion", "adafactor", "sgd"]),
            (Self.stage("model: \(llama), train: \(train), schedule: step"), [:], ["step", "constant", "linear", "cosine"]),
            (Self.stage("model: \(Self.bert), task: classification, train: c.jsonl, validation: v.jsonl"),
             ["c.jsonl": "{\"text\": \"a b\", \"label\": \"x\"}\n{\"text\": \"c d\", \"label\": \"y\"}\n", "v.jsonl": "{\"text\": \"e\", \"label\": \"z\"}\n"],
             ["v.jsonl:1", "'z'", "not among the training labels"]),
            (Self.stage("model: \(Self.bert), task: classification, train: c.jsonl"), ["c.jsonl": "{\"text\": \"a b\"}\n"], ["c.jsonl:1", "label"]),
            (Self.stage("model: \(Self.bert), train: \(train)"), [:], ["encoder", "task: classification"]),
            (Self.stage("model: \(llama), train: \(train), method: prefix, packing: true"), [:], ["packing", "prefix"]),
        ]
        for (pipeline, files, needles) in cases {
            let r = try Self.failure(pipeline, files: files)
            #expect(r.code != 0, "\(pipeline)\n\(r)")
            for n in needles { #expect(r.all.contains(n), "'\(n)' missing for:\n\(pipeline)\n\(r.all)") }
        }
    }
}
