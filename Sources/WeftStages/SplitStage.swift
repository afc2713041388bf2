import Foundation
import WeftCore
import WeftText

/// `uses: split` — train/validation/test (or K folds) by ratios, stratified by label
/// when the rows have one, seeded. Writes `train.jsonl`, `validation.jsonl`,
/// `test.jsonl` (or `fold_K/train.jsonl`, `fold_K/validation.jsonl`) and `metrics.json`
/// into the `output` folder.
public enum SplitStage: BuiltinStage {
    public static let name = "split"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        let out = try ctx.string("output")
        var o = Splitter.Options()
        o.validation = try ctx.double("validation")
        o.test = try ctx.double("test")
        o.kfold = try ctx.int("kfold")
        o.seed = UInt64(truncatingIfNeeded: try ctx.int("seed"))
        o.labelField = try ctx.bool("stratify") ? try ctx.string("label_field") : nil
        var splitter = try Splitter(options: o)

        // Pass 1: labels.
        var reader = try TextStageSupport.reader(ctx)
        while let batch = try reader.nextBatch() { for row in batch { splitter.count(row) } }
        splitter.assign()

        // Pass 2: rows to their files, in input order.
        let tmp = try TextStageSupport.temporaryFolder(for: out)
        var writers: [String: AtomicWriter] = [:]
        func writer(_ rel: String) throws -> AtomicWriter {
            if let w = writers[rel] { return w }
            let w = try AtomicWriter(path: tmp + "/" + rel)
            writers[rel] = w
            return w
        }
        var counts: [String: Int] = [:]
        reader = try TextStageSupport.reader(ctx)
        var index = 0
        while let batch = try reader.nextBatch() {
            for row in batch {
                let part = splitter.part(of: index)
                index += 1
                switch part {
                case .train: try writer("train.jsonl").write(row: row); counts["train", default: 0] += 1
                case .validation: try writer("validation.jsonl").write(row: row); counts["validation", default: 0] += 1
                case .test: try writer("test.jsonl").write(row: row); counts["test", default: 0] += 1
                case .fold(let f):
                    for k in 0..<o.kfold {
                        try writer("fold_\(k)/" + (k == f ? "validation.jsonl" : "train.jsonl")).write(row: row)
                    }
                    counts["fold_\(f)", default: 0] += 1
                }
            }
        }
        // Every declared file exists, even when a part came out empty.
        let expected = o.kfold > 1
            ? (0..<o.kfold).flatMap { ["fold_\($0)/train.jsonl", "fold_\($0)/validation.jsonl"] } + (o.test > 0 ? ["test.jsonl"] : [])
            : ["train.jsonl"] + (o.validation > 0 ? ["validation.jsonl"] : []) + (o.test > 0 ? ["test.jsonl"] : [])
        for rel in expected { _ = try writer(rel) }
        for w in writers.values { try w.commit() }
        var metrics: [String: Any] = ["rows": index, "parts": counts, "seed": Int(truncatingIfNeeded: o.seed)]
        if o.labelField != nil { metrics["labels"] = Dictionary(uniqueKeysWithValues: splitter.labelCounts) }
        try TextStageSupport.writeJSON(metrics, to: tmp + "/metrics.json")
        try TextStageSupport.replaceFolder(out, with: tmp)
        ctx.log("split: " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        TextStageSupport.logThroughput(ctx, "split", rows: index, bytes: reader.bytesRead * 2, since: start)
    }
}
