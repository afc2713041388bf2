import Foundation
import WeftCore
import WeftText

/// `uses: dedup` — drops exact duplicates (128-bit hash of the normalised text) and
/// near duplicates (MinHash + LSH), keeping the first occurrence. Writes `data.jsonl`
/// (kept rows, unchanged, in input order), `clusters.jsonl` (each kept row with its
/// duplicates, for inspection) and `metrics.json` into the `output` folder.
public enum DedupStage: BuiltinStage {
    public static let name = "dedup"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        var o = Deduplicator.Options()
        o.normalize = try ctx.bool("normalize")
        o.near = try ctx.bool("near")
        o.shingleSize = try ctx.int("shingle_size")
        o.shingleUnit = try ctx.choice("shingle_unit", as: Deduplicator.ShingleUnit.self)
        o.numPerm = try ctx.int("num_perm")
        let bands = try ctx.int("bands"), rows = try ctx.int("rows")
        if bands > 0 || rows > 0 { o.bands = bands; o.rows = rows }
        o.threshold = try ctx.double("threshold")
        o.seed = UInt64(truncatingIfNeeded: try ctx.int("seed"))
        do { try o.validate() } catch let e as TextError {
            if case let .config(key, message, hint) = e { throw TextError.config(key: "with." + key, message: message, hint: hint) }
            throw e
        }
        let out = try ctx.string("output")
        let tmp = try TextStageSupport.temporaryFolder(for: out)
        let kept = try AtomicWriter(path: tmp + "/data.jsonl")
        let clusters = try AtomicWriter(path: tmp + "/clusters.jsonl")
        var reader = try TextStageSupport.reader(ctx)
        let s = try Deduplicator.run(
            input: &reader, reopen: { try TextStageSupport.reader(ctx) }, textField: try ctx.string("text_field"), options: o,
            threads: try ctx.threads(), keptWriter: kept, clustersWriter: clusters)
        try kept.commit()
        try clusters.commit()
        let metrics: [String: Any] = [
            "rows_in": s.rowsIn, "rows_out": s.kept, "exact_duplicates": s.exactDuplicates, "near_duplicates": s.nearDuplicates,
            "clusters": s.clusters, "duplicate_rate": s.rowsIn > 0 ? Double(s.rowsIn - s.kept) / Double(s.rowsIn) : 0,
            "bands": s.bands, "rows_per_band": s.rows, "invalid_utf8_lines": s.invalidUTF8Lines,
        ]
        try TextStageSupport.writeJSON(metrics, to: tmp + "/metrics.json")
        try TextStageSupport.replaceFolder(out, with: tmp)
        ctx.log("dedup: kept \(s.kept) of \(s.rowsIn) rows; \(s.exactDuplicates) exact and \(s.nearDuplicates) near duplicates in \(s.clusters) clusters"
            + (o.near ? " (LSH \(s.bands) bands × \(s.rows) rows)" : ""))
        TextStageSupport.logThroughput(ctx, "dedup", rows: s.rowsIn, bytes: s.bytesIn, since: start)
    }
}
