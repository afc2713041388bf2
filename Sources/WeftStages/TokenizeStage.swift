import Foundation
import WeftCore
import WeftText

/// `uses: tokenize` — encodes a dataset with any supported `tokenizer.json` into the
/// compact token file training reads (`format: bin`, see `TokenFile`) or into JSONL
/// `{"ids":[...]}` rows in input order for inspection (`format: jsonl`). SFT rows
/// (`prompt`/`completion` or `messages`) are rendered with the chat template and get a
/// loss mask that leaves out prompt tokens unless `train_on_inputs`.
public enum TokenizeStage: BuiltinStage {
    public static let name = "tokenize"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        // `tokenizer` is a tokenizer.json or a folder holding it (then the folder, with the
        // tokenizer_config.json that template: model reads, is the tracked dependency).
        var isDir: ObjCBool = false
        let given = try ctx.string("tokenizer")
        let tokPath = FileManager.default.fileExists(atPath: given, isDirectory: &isDir) && isDir.boolValue ? given + "/tokenizer.json" : given
        // Datasets are never padded; truncation is this stage's max_length.
        let tokenizer = try Tokenizer(contentsOf: tokPath).with(truncation: nil, padding: nil)
        let renderer = try SFTRenderer(template: try ctx.choice("template", as: SFTRenderer.Template.self),
                                       trainOnInputs: try ctx.bool("train_on_inputs"), textField: try ctx.string("text_field"), tokenizerPath: tokPath)
        let addSpecial = try ctx.bool("add_special_tokens")
        let maxLength = try ctx.int("max_length")
        let format = try ctx.string("format")
        let output = try ctx.string("output")
        var reader = try TextStageSupport.reader(ctx, formatKey: "input_format")
        let inputPath = reader.path
        let binary = format == "bin" ? try TokenFile.Writer(path: output, vocabSize: tokenizer.vocabSize, withMask: true) : nil
        let jsonl = format == "jsonl" ? try AtomicWriter(path: output) : nil
        var kinds: [String: Int] = [:]
        var truncated = 0
        var tokens = 0, rows = 0, lossTokens = 0
        var line: [UInt8] = []
        while let batch = try reader.nextBatch() {
            let (encoded, _) = ParallelMap.map(batch, threads: try ctx.threads(), state: { () }) { row, _ -> Result<(SFTRenderer.Kind, [UInt32], [UInt8]), any Error> in
                Result {
                    let (kind, segments) = try renderer.segments(row, path: inputPath)
                    if kind == .plain {
                        let ids = tokenizer.encodeIDs(segments[0].0, addSpecialTokens: addSpecial)
                        return (kind, ids, [UInt8](repeating: 1, count: ids.count))
                    }
                    var ids: [UInt32] = [], mask: [UInt8] = []
                    for (text, learn) in segments {
                        let part = tokenizer.encodeIDs(text, addSpecialTokens: false)
                        ids += part
                        mask += [UInt8](repeating: learn ? 1 : 0, count: part.count)
                    }
                    return (kind, ids, mask)
                }
            }
            for r in encoded {
                var (kind, ids, mask) = try r.get()
                if maxLength > 0, ids.count > maxLength {
                    ids.removeLast(ids.count - maxLength)
                    mask.removeLast(mask.count - maxLength)
                    truncated += 1
                }
                kinds[kind.rawValue, default: 0] += 1
                rows += 1
                tokens += ids.count
                lossTokens += mask.reduce(0) { $0 + Int($1) }
                if let binary { try binary.append(ids, mask: mask) }
                if let jsonl {
                    line.removeAll(keepingCapacity: true)
                    line.append(contentsOf: #"{"ids":["#.utf8)
                    for (i, id) in ids.enumerated() {
                        if i > 0 { line.append(UInt8(ascii: ",")) }
                        line.append(contentsOf: String(id).utf8)
                    }
                    line.append(contentsOf: "]}\n".utf8)
                    try jsonl.write(line)
                }
            }
        }
        var meta: [String: Any] = [
            "tokenizer": (tokPath as NSString).lastPathComponent, "tokenizer_sha256": try ContentHash.ofFile(tokPath),
            "vocab_size": tokenizer.vocabSize, "template": renderer.template.rawValue, "train_on_inputs": renderer.trainOnInputs,
            "add_special_tokens": addSpecial, "max_length": maxLength, "row_kinds": kinds, "loss_tokens": lossTokens,
        ]
        if let chat = renderer.chatTemplate {
            meta["chat_template"] = (chat.path as NSString).lastPathComponent
            meta["chat_template_sha256"] = try ContentHash.ofFile(chat.path)
        }
        try binary?.finish(metadata: meta)
        try jsonl?.commit()
        ctx.log("tokenize: \(rows) rows → \(tokens) tokens (\(lossTokens) in the loss)" + (truncated > 0 ? ", \(truncated) truncated to \(maxLength)" : "")
            + "; rows: " + kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        TextStageSupport.logThroughput(ctx, "tokenize", rows: rows, bytes: reader.bytesRead, since: start)
    }
}
