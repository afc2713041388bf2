import Foundation
import WeftEval
import WeftText
import WeftTrain

/// Training rows read from JSONL and turned into token sequences with loss masks (causal
/// LM) or class ids (classification), with errors that name the file and line.
enum TrainingData {
    /// Every row of a training data file.
    static func rows(_ path: String, textField: String, threads: Int) throws -> [Row] {
        try TextStageSupport.allRows(path, textField: textField, threads: threads, purpose: "train on")
    }

    /// Causal-LM examples: each row rendered by `renderer` into segments, tokenised segment
    /// by segment (the first with the tokenizer's special tokens, e.g. BOS, as generation
    /// sees a prompt, unless the model's own chat template renders them), the end-of-sequence token appended to a completion when the template
    /// has no end-of-turn marker of its own, then cut to `maxLength`.
    static func causal(_ rows: [Row], path: String, tokenizer: Tokenizer, renderer: SFTRenderer, eos: Int?, maxLength: Int,
                       threads: Int) throws -> [TrainingExample] {
        let encoded = ParallelMap.map(rows, threads: threads, state: { () }) { row, _ -> Result<TrainingExample, any Error> in
            Result {
                let (kind, segments) = try renderer.segments(row, path: path)
                if kind == .pair, let c = row.string("completion"), c.isEmpty {
                    throw TextError.data(path: path, line: row.line, message: "the completion is empty: nothing to learn", hint: "remove the row or give it a completion")
                }
                var ids: [Int] = [], mask: [UInt8] = []
                for (k, (text, learn)) in segments.enumerated() {
                    // A model's own template writes its BOS text itself.
                    let part = tokenizer.encodeIDs(text, addSpecialTokens: k == 0 && renderer.template != .model).map(Int.init)
                    ids += part
                    mask += [UInt8](repeating: learn ? 1 : 0, count: part.count)
                }
                if kind == .pair, renderer.template == .none, let eos {
                    ids.append(eos)
                    mask.append(1)
                }
                let prompt = mask.firstIndex(of: 1) ?? ids.count
                if ids.count > maxLength {
                    ids.removeLast(ids.count - maxLength)
                    mask.removeLast(mask.count - maxLength)
                }
                let x = TrainingExample(ids: ids, mask: mask)
                if x.targets == 0 {
                    if prompt >= maxLength && kind != .plain {
                        throw TextError.data(path: path, line: row.line, message: "the prompt is \(prompt) tokens, so max_length \(maxLength) leaves no completion token to learn",
                                             hint: "raise max_length or shorten the prompt")
                    }
                    throw TextError.data(path: path, line: row.line, message: "the row has no token to learn (\(ids.count) tokens, none in the loss)",
                                         hint: kind == .plain ? "a text row needs at least two tokens" : "give the row a non-empty completion or assistant message")
                }
                return x
            }
        }.0
        return try encoded.map { try $0.get() }
    }

    /// The label of every row, as the text it is written with ("3" or "noun.animal") and
    /// whether it was a JSON number (parsed as the evaluate stage parses true labels).
    static func labels(_ rows: [Row], path: String, field: String) throws -> [(String, Bool)] {
        try rows.map { row in
            let label = try ModelRun.label(row, field, path: path)
            return (label.description, label.isInt)
        }
    }

    /// The label set of the training rows: integers in numeric order, strings in byte
    /// order; integer and string labels in one file are an error.
    static func labelSet(_ labels: [(String, Bool)], rows: [Row], path: String) throws -> [String] {
        if let i = labels.indices.first(where: { labels[$0].1 != labels[0].1 }) {
            throw TextError.data(path: path, line: rows[i].line, message: "label \(labels[i].0) is \(labels[i].1 ? "an integer" : "a string") but the first row's is \(labels[0].1 ? "an integer" : "a string")",
                                 hint: "write every label the same way")
        }
        let distinct = Set(labels.map(\.0))
        if labels.first?.1 == true { return distinct.sorted { Int($0)! < Int($1)! } }
        return distinct.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Classification examples: the text with the tokenizer's special tokens, cut to
    /// `maxLength`, and its label's index in `labelSet`.
    static func classification(_ rows: [Row], path: String, tokenizer: Tokenizer, textField: String, labelField: String,
                               labelSet: [String], maxLength: Int, threads: Int) throws -> [TrainingExample] {
        let labels = try Self.labels(rows, path: path, field: labelField)
        let index = Dictionary(uniqueKeysWithValues: labelSet.enumerated().map { ($1, $0) })
        var out: [TrainingExample] = []
        let texts = try rows.map { try TextStageSupport.text($0, textField, path: path) }
        let ids = tokenizer.encodeBatch(texts, threads: threads, addSpecialTokens: true)
        for (i, row) in rows.enumerated() {
            guard let y = index[labels[i].0] else {
                throw TextError.data(path: path, line: row.line, message: "label '\(labels[i].0)' is not among the training labels (\(labelSet.count): \(labelSet.prefix(8).joined(separator: ", "))\(labelSet.count > 8 ? ", …" : ""))",
                                     hint: "every validation label must occur in the training data")
            }
            var x = ids[i].map(Int.init)
            if x.count > maxLength { x.removeLast(x.count - maxLength) }
            out.append(TrainingExample(ids: x, label: y))
        }
        return out
    }
}
