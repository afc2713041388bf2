import Foundation
import WeftCore
import WeftText

/// `uses: bpe-train` — byte-level BPE (GPT-2 pre-tokenisation, byte-to-unicode
/// mapping) trained on a text file (one document per line) or a JSONL text field;
/// writes a `tokenizer.json` that Hugging Face `tokenizers` loads, with the same
/// merges its `BpeTrainer` learns from the same corpus and settings.
public enum BPETrainStage: BuiltinStage {
    public static let name = "bpe-train"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        let input = try ctx.string("input")
        let alphabet = try ctx.string("initial_alphabet")
        let options = BPETrainer.Options(
            vocabSize: try ctx.int("vocab_size"), minFrequency: try ctx.int("min_frequency"),
            specialTokens: try ctx.strings("special_tokens"), initialAlphabetBytes: alphabet == "bytes", threads: try ctx.threads())
        var trainer: BPETrainer
        do { trainer = try BPETrainer(options: options) } catch let e as TextError {
            if case let .config(key, message, hint) = e { throw TextError.config(key: "with." + key, message: message, hint: hint) }
            throw e
        }
        let policy = try ctx.choice("on_invalid_utf8", as: RowReader.InvalidUTF8.self)
        let formatName = try ctx.string("format")
        let lower = input.lowercased()
        let format: RowReader.Format =
            formatName != "auto" ? RowReader.Format(rawValue: formatName)!
            : lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") ? .jsonl : lower.hasSuffix(".csv") ? .csv : .text
        var sequences = 0
        var bytes = 0
        if format == .text {
            let stats = try trainer.add(file: input, invalidUTF8: policy)
            sequences = stats.lines
            bytes = stats.bytes
            if stats.invalidUTF8Lines > 0 { ctx.log("bpe-train: \(stats.invalidUTF8Lines) lines had invalid UTF-8 (replaced with U+FFFD)") }
            if sequences == 0 {
                throw TextError.data(path: input, line: 0, message: "the file is empty", hint: "train on a non-empty corpus")
            }
        } else {
            // JSONL/CSV rows: each row's text field is one training sequence.
            var reader = try RowReader(path: input, options: .init(format: format, textField: try ctx.string("text_field"), invalidUTF8: policy))
            let field = try ctx.string("text_field")
            while let batch = try reader.nextBatch() {
                trainer.add(sequences: try batch.map { try TextStageSupport.text($0, field, path: input) })
                sequences += batch.count
            }
            bytes = reader.bytesRead
        }
        let model = try trainer.train()
        try model.write(to: try ctx.string("output"))
        ctx.log("bpe-train: \(sequences) sequences, \(trainer.counter.distinctWords) distinct words, vocabulary \(model.tokens.count) (\(model.merges.count) merges)")
        TextStageSupport.logThroughput(ctx, "bpe-train", rows: sequences, bytes: bytes, since: start)
    }
}
