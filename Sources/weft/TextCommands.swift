import ArgumentParser
import Foundation
import WeftText

/// `weft tokenize`: encode text with a tokenizer.json and print ids and tokens.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with a tokenizer.json (ids and tokens, as Hugging Face tokenizers gives them).")

    @Option(help: "The tokenizer.json to use.") var tokenizer: String
    @Option(help: "Text to encode.") var text: String?
    @Option(help: "A text file: every line is encoded (without its newline).") var input: String?
    @Flag(help: "One JSON object per input line: {\"ids\":[...],\"tokens\":[...]}.") var json = false
    @Flag(help: "Only a throughput summary as JSON (lines, bytes, tokens, seconds, MB/s, peak RSS).") var stats = false
    @Flag(help: "Leave out the post-processor's special tokens.") var noSpecialTokens = false
    @Option(help: "Threads for --stats (0 = all cores).") var threads = 0

    func run() throws {
        guarded {
            guard (text == nil) != (input == nil) else {
                throw ValidationError("give exactly one of --text or --input")
            }
            // The file's own truncation and padding apply, as `Tokenizer.from_file(...).encode` does.
            let tok = try Tokenizer(contentsOf: tokenizer)
            var lines: [String]
            if let text {
                lines = [text]
            } else {
                guard let data = FileManager.default.contents(atPath: input!) else {
                    throw TextError.io(path: input!, message: "cannot read", hint: "check the path")
                }
                var s = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if s.last == "" { s.removeLast() }
                lines = s
            }
            let special = !noSpecialTokens
            if stats {
                let bytes = lines.reduce(0) { $0 + $1.utf8.count }
                let t0 = Date()
                let ids = tok.encodeBatch(lines, threads: threads > 0 ? threads : ParallelMap.defaultThreads, addSpecialTokens: special)
                let seconds = Date().timeIntervalSince(t0)
                let count = ids.reduce(0) { $0 + $1.count }
                let out: [String: Any] = ["lines": lines.count, "bytes": bytes, "tokens": count, "seconds": seconds,
                                          "mb_per_s": Double(bytes) / 1e6 / seconds, "peak_rss_mb": ProcessMemory.peakMiB()]
                print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
                return 0
            }
            var out: [UInt8] = []
            for line in lines {
                let e = tok.encode(line, addSpecialTokens: special)
                if json {
                    out.append(contentsOf: #"{"ids":["#.utf8)
                    out.append(contentsOf: e.ids.map(String.init).joined(separator: ",").utf8)
                    out.append(contentsOf: #"],"tokens":["#.utf8)
                    for (i, t) in e.tokens.enumerated() {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        JSONBytes.appendString(t, to: &out)
                    }
                    out.append(contentsOf: "]}\n".utf8)
                } else {
                    out.append(contentsOf: ("ids:    " + e.ids.map(String.init).joined(separator: " ") + "\n").utf8)
                    out.append(contentsOf: ("tokens: " + e.tokens.joined(separator: " ") + "\n").utf8)
                }
                if out.count > 1 << 20 { FileHandle.standardOutput.write(Data(out)); out.removeAll(keepingCapacity: true) }
            }
            FileHandle.standardOutput.write(Data(out))
            return 0
        }
    }
}
