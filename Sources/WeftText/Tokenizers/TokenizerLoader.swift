/// Reads a tokenizer.json document into a `TokenizerCore`.
///
/// Field names and defaults follow the reference's serde definitions (tokenizers 0.23.3);
/// every refusal names the field and what to do.
struct TokenizerLoader {
    let path: String

    struct Loaded {
        var core: TokenizerCore
        var truncation: Tokenizer.Truncation?
        var padding: Tokenizer.Padding?
    }

    func load(_ bytes: [UInt8]) throws -> Loaded {
        let root: JSONNode
        switch Result(catching: { () throws(JSONTreeParser.Failure) -> JSONNode in try JSONTreeParser.parse(bytes) }) {
        case .success(let r):
            root = r
        case .failure(let e):
            throw TextError.data(path: path, line: e.line, message: "invalid JSON at column \(e.column): \(e.message)",
                                 hint: "the file must be a Hugging Face tokenizer.json")
        }
        guard case .object = root else {
            throw bad("the top level", "must be a JSON object", "the file must be a Hugging Face tokenizer.json")
        }
        if let v = root["version"], !v.isNull, v.stringValue != "1.0" {
            throw bad("version", "is \(describe(v)); only \"1.0\" exists", "re-save the tokenizer with a current `tokenizers`")
        }
        let normalizer = try root["normalizer"].flatMap { $0.isNull ? nil : try readNormalizer($0, "normalizer") }
        guard let modelNode = root["model"], !modelNode.isNull else {
            throw bad("model", "is missing", "a tokenizer.json needs a model (BPE or WordPiece)")
        }
        var steps: [PreTokenizerStep] = []
        if let p = root["pre_tokenizer"], !p.isNull { try readPreTokenizer(p, "pre_tokenizer", into: &steps) }
        let (model, vocabSize) = try readModel(modelNode)
        var modelTakesRaw = false
        if case .bpe = model { modelTakesRaw = true }
        let pipeline = root["pre_tokenizer"].map { $0.isNull } == false
            ? PreTokenizerPipeline(steps: steps, modelTakesRawBytes: modelTakesRaw) : nil
        let post = try root["post_processor"].flatMap { $0.isNull ? nil : try readPostProcessor($0, "post_processor") }
        let decoder = try root["decoder"].flatMap { $0.isNull ? nil : try readDecoder($0, "decoder") }
        let added = try readAddedTokens(root["added_tokens"], model: model, vocabSize: vocabSize, normalizer: normalizer)
        let core = TokenizerCore(normalizer: normalizer, preTokenizer: pipeline, model: model, postProcessor: post,
                                 decoder: decoder, added: added, modelVocabSize: vocabSize)
        return Loaded(core: core, truncation: try readTruncation(root["truncation"]), padding: try readPadding(root["padding"]))
    }

    // MARK: - Errors and field access

    func bad(_ key: String, _ message: String, _ hint: String) -> TextError {
        .data(path: path, line: 0, message: "\(key) \(message)", hint: hint)
    }

    func describe(_ v: JSONNode) -> String {
        if let s = v.stringValue { return "\"\(s)\"" }
        return v.kindName
    }

    func typeName(_ node: JSONNode, _ key: String) throws -> String {
        guard case .object = node else { throw bad(key, "must be an object, not \(node.kindName)", "see the tokenizers documentation") }
        guard let t = node["type"]?.stringValue else { throw bad("\(key).type", "is missing", "every component names its \"type\"") }
        return t
    }

    func string(_ node: JSONNode, _ field: String, _ key: String, default d: String? = nil) throws -> String {
        guard let v = node[field], !v.isNull else {
            if let d { return d }
            throw bad("\(key).\(field)", "is missing", "add the field")
        }
        guard let s = v.stringValue else { throw bad("\(key).\(field)", "must be a string, not \(v.kindName)", "fix the field") }
        return s
    }

    func optionalString(_ node: JSONNode, _ field: String, _ key: String) throws -> String? {
        guard let v = node[field], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw bad("\(key).\(field)", "must be a string or null, not \(v.kindName)", "fix the field") }
        return s
    }

    func bool(_ node: JSONNode, _ field: String, _ key: String, default d: Bool) throws -> Bool {
        guard let v = node[field], !v.isNull else { return d }
        guard let b = v.boolValue else { throw bad("\(key).\(field)", "must be true or false, not \(v.kindName)", "fix the field") }
        return b
    }

    func uint(_ node: JSONNode, _ field: String, _ key: String, default d: UInt32? = nil) throws -> UInt32 {
        guard let v = node[field], !v.isNull else {
            if let d { return d }
            throw bad("\(key).\(field)", "is missing", "add the field")
        }
        guard let n = v.uint32Value else { throw bad("\(key).\(field)", "must be a non-negative integer", "fix the field") }
        return n
    }

    func array(_ node: JSONNode, _ field: String, _ key: String) throws -> [JSONNode] {
        guard let v = node[field], let a = v.arrayValue else { throw bad("\(key).\(field)", "must be an array", "fix the field") }
        return a
    }

    func pattern(_ node: JSONNode, _ key: String) throws -> TextPattern {
        guard let p = node["pattern"], let members = p.objectValue, members.count == 1 else {
            throw bad("\(key).pattern", "must be {\"String\": ...} or {\"Regex\": ...}", "fix the pattern")
        }
        guard let text = members[0].value.stringValue else { throw bad("\(key).pattern", "must hold a string", "fix the pattern") }
        switch members[0].key {
        case "String": return .literal(Array(text.utf8))
        case "Regex":
            do { return .regex(try RegexPattern(text)) } catch {
                throw bad("\(key).pattern", "is not a regular expression this library can compile: \(text)",
                          "use a simpler pattern")
            }
        default:
            throw bad("\(key).pattern", "has kind \"\(members[0].key)\"; expected String or Regex", "fix the pattern")
        }
    }

    func behavior(_ node: JSONNode, _ key: String, default d: SplitBehavior? = nil) throws -> SplitBehavior {
        guard let v = node["behavior"], !v.isNull else {
            if let d { return d }
            throw bad("\(key).behavior", "is missing", "use Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous")
        }
        guard let s = v.stringValue, let b = SplitBehavior(s) else {
            throw bad("\(key).behavior", "is \(describe(v))", "use Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous")
        }
        return b
    }

    func unsupported(_ kind: String, _ name: String, _ supported: [String]) -> TextError {
        .unsupported(path: path, what: "\(kind) '\(name)'", supported: supported)
    }

    func vocabulary(_ node: JSONNode, _ key: String) throws -> [([UInt8], UInt32)] {
        guard let members = node["vocab"]?.objectValue else {
            throw bad("\(key).vocab", "must be an object of token → id", "fix the model")
        }
        var out: [([UInt8], UInt32)] = []
        out.reserveCapacity(members.count)
        for m in members {
            guard let id = m.value.uint32Value else {
                throw bad("\(key).vocab[\"\(m.key)\"]", "must be a non-negative integer id", "fix the vocabulary")
            }
            out.append((Array(m.key.utf8), id))
        }
        return out
    }

    func readModel(_ node: JSONNode) throws -> (TokenModel, Int) {
        let key = "model"
        guard case .object = node else { throw bad(key, "must be an object", "fix the model") }
        var t = node["type"]?.stringValue
        if t == nil { t = node["merges"] != nil ? "BPE" : (node["max_input_chars_per_word"] != nil ? "WordPiece" : nil) }
        guard let type = t else { throw bad("model.type", "is missing", "name the model type (BPE or WordPiece)") }
        switch type {
        case "BPE":
            if let d = node["dropout"], !d.isNull {
                guard case .number(let p) = d, p == 0 else {
                    throw unsupported("model option", "BPE dropout \(describe(d))", ["dropout null or 0 (dropout is random)"])
                }
            }
            let vocab = try vocabulary(node, key)
            var merges: [([UInt8], [UInt8])] = []
            var rank = 0
            for (k, m) in try array(node, "merges", key).enumerated() {
                if let s = m.stringValue {
                    if s.hasPrefix("#version") { continue }
                    rank += 1
                    let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                    guard parts.count == 2 else {
                        throw bad("model.merges[\(k)]", "is \"\(s)\"; a merge is two tokens separated by one space",
                                  "fix merge \(rank)")
                    }
                    merges.append((Array(parts[0].utf8), Array(parts[1].utf8)))
                } else if let pair = m.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                    merges.append((Array(a.utf8), Array(b.utf8)))
                } else {
                    throw bad("model.merges[\(k)]", "must be \"a b\" or [\"a\", \"b\"]", "fix the merges")
                }
            }
            do {
                let m = try BPEModel(vocab: vocab, merges: merges, unkToken: try optionalString(node, "unk_token", key),
                                     fuseUnk: try bool(node, "fuse_unk", key, default: false),
                                     byteFallback: try bool(node, "byte_fallback", key, default: false),
                                     ignoreMerges: try bool(node, "ignore_merges", key, default: false),
                                     prefix: try optionalString(node, "continuing_subword_prefix", key),
                                     suffix: try optionalString(node, "end_of_word_suffix", key))
                return (.bpe(m), m.vocab.count)
            } catch BPEModel.ModelError.mergeTokenNotInVocabulary(let tok) {
                throw bad("model.merges", "use the token \"\(tok)\", which is not in model.vocab", "fix the vocabulary or merges")
            }
        case "WordPiece":
            let vocab = try vocabulary(node, key)
            let m = WordPieceModel(vocab: vocab, unkToken: try string(node, "unk_token", key, default: "[UNK]"),
                                   prefix: try string(node, "continuing_subword_prefix", key, default: "##"),
                                   maxInputChars: Int(try uint(node, "max_input_chars_per_word", key, default: 100)))
            return (.wordPiece(m), m.vocab.count)
        default:
            throw unsupported("model", type, TokenModel.supportedNames)
        }
    }

    func readAddedTokens(_ node: JSONNode?, model: TokenModel, vocabSize: Int,
                                 normalizer: TextNormalizer?) throws -> AddedVocabulary {
        var tokens: [AddedVocabulary.Token] = []
        guard let node, !node.isNull else { return AddedVocabulary(tokens: [], normalizer: normalizer) }
        guard let list = node.arrayValue else { throw bad("added_tokens", "must be an array", "fix the field") }
        // Ids as the reference's `add_tokens` assigns them: an existing id for known
        // content (added first, then the model), else the next free id.
        var nextID = UInt32(vocabSize)
        var byContent: [[UInt8]: UInt32] = [:]
        for (k, item) in list.enumerated() {
            let key = "added_tokens[\(k)]"
            let content = try string(item, "content", key)
            if content.isEmpty { continue }
            let special = try bool(item, "special", key, default: false)
            let bytes = Array(content.utf8)
            let id: UInt32
            if let known = byContent[bytes] {
                id = known
            } else if let m = modelID(model, bytes) {
                id = m
            } else {
                id = nextID
                nextID += 1
            }
            byContent[bytes] = id
            tokens.append(AddedVocabulary.Token(
                content: content, id: id, special: special,
                singleWord: try bool(item, "single_word", key, default: false),
                lstrip: try bool(item, "lstrip", key, default: false),
                rstrip: try bool(item, "rstrip", key, default: false),
                normalized: try bool(item, "normalized", key, default: !special)))
        }
        return AddedVocabulary(tokens: tokens, normalizer: normalizer)
    }

    func modelID(_ model: TokenModel, _ bytes: [UInt8]) -> UInt32? {
        switch model {
        case .bpe(let m): return m.vocab.lookup(bytes)
        case .wordPiece(let m): return m.vocab.lookup(bytes)
        }
    }

    func readTruncation(_ node: JSONNode?) throws -> Tokenizer.Truncation? {
        guard let node, !node.isNull else { return nil }
        let key = "truncation"
        let strategy: Tokenizer.Truncation.Strategy
        switch try string(node, "strategy", key, default: "LongestFirst") {
        case "LongestFirst": strategy = .longestFirst
        case "OnlyFirst": strategy = .onlyFirst
        case "OnlySecond": strategy = .onlySecond
        case let s: throw bad("truncation.strategy", "is \"\(s)\"", "use LongestFirst, OnlyFirst or OnlySecond")
        }
        let dir = try string(node, "direction", key, default: "Right")
        guard dir == "Right" || dir == "Left" else { throw bad("truncation.direction", "is \"\(dir)\"", "use Left or Right") }
        return Tokenizer.Truncation(maxLength: Int(try uint(node, "max_length", key)), strategy: strategy, fromLeft: dir == "Left")
    }

    func readPadding(_ node: JSONNode?) throws -> Tokenizer.Padding? {
        guard let node, !node.isNull else { return nil }
        let key = "padding"
        var fixed: Int?
        if let s = node["strategy"] {
            if s.stringValue == "BatchLongest" {
                fixed = nil
            } else if let n = s["Fixed"]?.uint32Value {
                fixed = Int(n)
            } else {
                throw bad("padding.strategy", "must be \"BatchLongest\" or {\"Fixed\": n}", "fix the field")
            }
        }
        let dir = try string(node, "direction", key, default: "Right")
        guard dir == "Right" || dir == "Left" else { throw bad("padding.direction", "is \"\(dir)\"", "use Left or Right") }
        var multiple: Int?
        if let m = node["pad_to_multiple_of"], !m.isNull {
            guard let v = m.uint32Value else { throw bad("padding.pad_to_multiple_of", "must be an integer or null", "fix the field") }
            multiple = Int(v)
        }
        return Tokenizer.Padding(fixedLength: fixed, left: dir == "Left", multipleOf: multiple,
                                 padID: try uint(node, "pad_id", key, default: 0),
                                 padTypeID: try uint(node, "pad_type_id", key, default: 0),
                                 padToken: try string(node, "pad_token", key, default: "[PAD]"))
    }
}

extension TokenizerLoader {
    /// A normalizer from its JSON alone (for tests and tools).
    func normalizer(json: [UInt8]) throws -> TextNormalizer {
        let node = try JSONTreeParser.parse(json)
        return try readNormalizer(node, "normalizer")
    }

    /// A pre-tokenizer from its JSON alone; its pieces come out with any byte-level
    /// mapping applied (for tests and tools).
    func preTokenizer(json: [UInt8]) throws -> PreTokenizerPipeline {
        let node = try JSONTreeParser.parse(json)
        var steps: [PreTokenizerStep] = []
        try readPreTokenizer(node, "pre_tokenizer", into: &steps)
        return PreTokenizerPipeline(steps: steps, modelTakesRawBytes: false)
    }
}

extension TextNormalizer {
    /// Normalizes a whole string.
    func normalize(_ text: String) -> String {
        var out: [UInt8] = []
        var lead = false
        Array(text.utf8).withUnsafeBufferPointer { apply($0, into: &out, leadingDeleted: &lead) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension PreTokenizerPipeline {
    /// The pieces of a whole string (as the reference's `pre_tokenize_str` lists them).
    func pieces(_ text: String) -> [String] {
        var out: [String] = []
        var scratch = PreTokenizerScratch()
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return [] }
        bytes.withUnsafeBufferPointer { b in
            run(b, atStart: true, steps: steps, mapAtEnd: true, &scratch) { out.append(String(decoding: $0, as: UTF8.self)) }
        }
        return out
    }
}
