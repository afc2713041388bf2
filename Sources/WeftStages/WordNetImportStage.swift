import Foundation
import WeftCore
import WeftText

/// `uses: wordnet-import` — turns WordNet 3.0 (Debian's wordnet-base) into the offline
/// corpus: `definitions.jsonl`, `supersense.jsonl`, `corpus.txt` and `metrics.json`
/// (synset counts per type, rows, labels) in the `output` folder.
public enum WordNetImportStage: BuiltinStage {
    public static let name = "wordnet-import"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        let out = try ctx.string("output")
        let wordnet = try WordTransforms.wordnet(at: try ctx.string("wordnet"))
        let tmp = try TextStageSupport.temporaryFolder(for: out)
        let s = try WordNetImport.run(wordnet: wordnet, into: tmp)
        let metrics: [String: Any] = [
            "synsets": s.synsets, "synsets_by_type": s.synsetsByType, "definition_rows": s.definitionRows,
            "supersense_rows": s.synsets, "skipped_without_gloss": s.skippedWithoutGloss,
            "labels": Dictionary(uniqueKeysWithValues: s.labels.map { ($0.label, $0.count) }),
            "files": Dictionary(uniqueKeysWithValues: s.files.map { ($0.name, ["lines": $0.lines, "bytes": $0.bytes]) }),
        ]
        try TextStageSupport.writeJSON(metrics, to: tmp + "/metrics.json")
        try TextStageSupport.replaceFolder(out, with: tmp)
        ctx.log("wordnet-import: \(s.synsets) synsets (" + s.synsetsByType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            + "), \(s.definitionRows) definition rows, \(s.labels.count) supersense labels")
        TextStageSupport.logThroughput(ctx, "wordnet-import", rows: s.synsets, bytes: s.files.reduce(0) { $0 + $1.bytes }, since: start)
    }
}
