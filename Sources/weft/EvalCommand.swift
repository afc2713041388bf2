import ArgumentParser
import Foundation
import WeftEval
import WeftText

/// `weft evaluate`: scores a predictions JSONL with the `evaluate` stage's code and prints
/// the results (a table, or `--json` in the documented shapes).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score predictions: accuracy/P/R/F1 (scikit-learn), BLEU and chrF (sacreBLEU), ROUGE (rouge-score), exact match and token F1 (SQuAD).",
        discussion: """
            Rows carry "prediction" and "reference" (a string) or "references" (a list of strings), or "prediction" and "label" for \
            classification (strings or integers). --json prints one object keyed by metric name; --per-example writes one JSON line \
            per input row with the sentence-level values.
            """)

    @Option(help: "The predictions JSONL.") var predictions: String
    @Option(help: "Comma-separated metrics: \(Metric.names.filter { $0 != "perplexity" && $0 != "bits_per_byte" }.joined(separator: ", ")).")
    var metrics: String
    @Option(help: "References in their own file (one per line, or JSONL rows) when the rows lack them.") var references: String?
    @Option(help: "Write one JSON line per row with its sentence-level values.") var perExample: String?
    @Option(help: "BLEU tokenizer: 13a, none, intl, char.") var tokenize = "13a"
    @Option(help: "BLEU smoothing: exp, floor, add-k, none.") var smooth = "exp"
    @Option(help: "Value for floor / add-k smoothing (sacreBLEU's defaults 0.1 / 1).") var smoothValue: Double?
    @Flag(help: "Lowercase BLEU and chrF input.") var lowercase = false
    @Flag(help: "rouge-score's Porter stemmer (tokens longer than 3 characters).") var rougeStemmer = false
    @Option(help: "Also report rouge-score's BootstrapAggregator low/mid/high as after np.random.seed(SEED).") var rougeBootstrap: UInt32?
    @Option(help: "scikit-learn's zero_division: warn, 0, 1, nan.") var zeroDivision = "warn"
    @Option(help: "Comma-separated labels to report, in order (scikit-learn's labels).") var labels: String?
    @Option(help: "Bootstrap resamples for confidence intervals (0 = none).") var nBoot = 0
    @Option(help: "Confidence level of the intervals.") var confidence = 0.95
    @Option(help: "Seed of the bootstrap.") var seed: UInt64 = 0
    @Option(help: "Threads (0 = all cores).") var threads = 0
    @Flag(help: "Print one JSON object keyed by metric name.") var json = false

    func run() throws {
        guarded {
            let t = threads > 0 ? threads : ParallelMap.defaultThreads
            var options = try EvalOptions(
                metrics: [metrics], tokenize: tokenize, smooth: smooth, smoothValue: smoothValue, lowercase: lowercase, rougeStemmer: rougeStemmer,
                zeroDivision: zeroDivision, labels: labels.map { $0.split(separator: ",").map(String.init) } ?? [], nBoot: nBoot,
                confidence: confidence, seed: seed, threads: t)
            options.rougeAggregatorSeed = rougeBootstrap
            let set = try PredictionSet.read(path: predictions, referencesPath: references, text: options.metrics.contains(where: \.isText),
                                             classification: options.metrics.contains(where: \.isClassification), threads: t)
            let result = try Evaluator.run(set, options: options, perExample: perExample != nil)
            for w in result.warnings { FileHandle.standardError.write(Data(("warning: " + w + "\n").utf8)) }
            if let path = perExample {
                let writer = try AtomicWriter(path: path)
                for row in result.perExample { try writer.write(Array((EvalJSON.object(row).compact + "\n").utf8)) }
                try writer.commit()
            }
            if json {
                var out = result.summary
                if !result.rougeAggregate.isEmpty { out.append(("rouge_bootstrap", .object(result.rougeAggregate))) }
                if !result.intervals.isEmpty {
                    out.append(("confidence_intervals", .object(result.intervals.map { ($0.0, .numbers([$0.1, $0.2])) })))
                }
                print(EvalJSON.object(out).compact)
                return 0
            }
            print(Self.table(result, rows: set.count))
            return 0
        }
    }

    /// A readable summary: one line per value, intervals beside their metric.
    static func table(_ r: EvalResult, rows: Int) -> String {
        var lines = ["rows: \(rows)"]
        let ci = Dictionary(r.intervals.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { a, _ in a })
        for (k, v) in r.summary {
            let interval = ci[k].map { "  [\(fmt($0.0)), \(fmt($0.1))]" } ?? ""
            switch v {
            case .number(let d): lines.append("\(k): \(fmt(d))\(interval)")
            case .object:
                if k == "confusion", let c = r.classification {
                    lines.append("confusion (rows true, columns predicted; labels \(c.labels.map(\.description).joined(separator: ", "))):")
                    lines += c.confusion.map { "  " + $0.map(String.init).joined(separator: " ") }
                } else if let s = v["score"], case .number(let d) = s {
                    var line = "\(k): \(fmt(d))\(interval)"
                    if case .array(let p)? = v["precisions"] { line += "  (" + p.map { if case .number(let x) = $0 { return fmt(x) }; return "" }.joined(separator: "/") + ", bp " + (v["bp"].map(\.compact) ?? "") + ")" }
                    lines.append(line)
                } else {
                    let parts = ["precision", "recall", "fmeasure", "micro", "macro", "weighted"].compactMap { key -> String? in
                        guard case .number(let d)? = v[key] else { return nil }
                        return "\(key) \(fmt(d))"
                    }
                    lines.append("\(k): " + parts.joined(separator: ", ") + interval)
                }
            default: lines.append("\(k): \(v.compact)")
            }
        }
        if let c = r.classification { lines.append(c.table()) }
        return lines.joined(separator: "\n")
    }

    static func fmt(_ d: Double) -> String { d.isFinite ? String(format: "%.4f", d) : "nan" }
}
