/// A trained byte-level BPE model: the vocabulary (tokens by id) and the ordered merges,
/// written as the `tokenizer.json` that `tokenizers` 0.23.3 saves for the same training.
public struct TrainedBPE: Sendable, Equatable {
    /// One merge rule: two tokens (byte-level strings) joined into one.
    public struct Merge: Sendable, Equatable, Hashable {
        public var left: String
        public var right: String
        public init(left: String, right: String) {
            self.left = left
            self.right = right
        }
    }

    /// Token strings by id: special tokens as given, the others in GPT-2's byte-level
    /// spelling (`Ġ` for a space byte, and so on).
    public var tokens: [String]
    /// Merge rules, highest priority first.
    public var merges: [Merge]
    /// Distinct special tokens, in the order given.
    public var specialTokens: [String]
    /// Merges the trainer performed, counting a pair merged twice twice (equals
    /// `merges.count` except in the rare case `BPEMerger` step 4 describes).
    public var mergesPerformed: Int

    /// A model from its parts.
    public init(tokens: [String], merges: [Merge], specialTokens: [String], mergesPerformed: Int? = nil) {
        self.tokens = tokens
        self.merges = merges
        self.specialTokens = specialTokens
        self.mergesPerformed = mergesPerformed ?? merges.count
    }

    /// Token string → id.
    public var vocabulary: [String: Int] {
        var v: [String: Int] = [:]
        v.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() { v[t] = i }
        return v
    }

    /// The `tokenizer.json` text, byte for byte as `tokenizers` 0.23.3 `Tokenizer.save`
    /// writes it for `Tokenizer(models.BPE())` with `pre_tokenizer =
    /// ByteLevel(add_prefix_space=False, use_regex=True)`, `decoder = ByteLevel()` and the
    /// special tokens added as special added tokens (serde_json's pretty printer: two-space
    /// indent, vocabulary in id order, merges as two-element arrays, no final newline).
    public func tokenizerJSON() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + tokens.count * 24 + merges.count * 40)
        func put(_ s: StaticString) { out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
        func putInt(_ v: Int) {
            let start = out.count
            var x = v
            repeat {
                out.append(UInt8(ascii: "0") + UInt8(x % 10))
                x /= 10
            } while x > 0
            out[start..<out.count].reverse()
        }
        put("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
        for (i, s) in specialTokens.enumerated() {
            put(i == 0 ? "\n" : ",\n")
            put("    {\n      \"id\": ")
            putInt(tokens.firstIndex(of: s) ?? 0)
            put(",\n      \"content\": ")
            Self.putJSONString(s, &out)
            put(",\n      \"single_word\": false,\n      \"lstrip\": false,\n      \"rstrip\": false,\n")
            put("      \"normalized\": false,\n      \"special\": true\n    }")
        }
        put(specialTokens.isEmpty ? "],\n" : "\n  ],\n")
        put("  \"normalizer\": null,\n")
        put("  \"pre_tokenizer\": {\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": false,\n")
        put("    \"trim_offsets\": true,\n    \"use_regex\": true\n  },\n")
        put("  \"post_processor\": null,\n")
        put("  \"decoder\": {\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": true,\n")
        put("    \"trim_offsets\": true,\n    \"use_regex\": true\n  },\n")
        put("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n")
        put("    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n")
        put("    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n")
        put("    \"vocab\": {")
        for (i, t) in tokens.enumerated() {
            put(i == 0 ? "\n      " : ",\n      ")
            Self.putJSONString(t, &out)
            put(": ")
            putInt(i)
        }
        put(tokens.isEmpty ? "},\n" : "\n    },\n")
        put("    \"merges\": [")
        for (i, m) in merges.enumerated() {
            put(i == 0 ? "\n      [\n        " : ",\n      [\n        ")
            Self.putJSONString(m.left, &out)
            put(",\n        ")
            Self.putJSONString(m.right, &out)
            put("\n      ]")
        }
        put(merges.isEmpty ? "]\n  }\n}" : "\n    ]\n  }\n}")
        return out
    }

    /// Writes `tokenizerJSON()` to `path` atomically (never a half-written file).
    public func write(to path: String) throws {
        try AtomicWriter.write(path, tokenizerJSON())
    }

    /// Appends `s` as a JSON string the way serde_json escapes it: `"` and `\`, the
    /// short escapes \b \t \n \f \r, other control characters as lower-case \u00XX;
    /// everything else (DEL and non-ASCII included) as raw UTF-8.
    static func putJSONString(_ s: String, _ out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
