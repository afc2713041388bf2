/// Readers of the tokenizer.json components other than the model: normalizers,
/// pre-tokenizers, post-processors and decoders (field names and defaults as the
/// reference's serde definitions give them).
extension TokenizerLoader {
    func readNormalizer(_ node: JSONNode, _ key: String) throws -> TextNormalizer {
        let t = try typeName(node, key)
        switch t {
        case "BertNormalizer":
            let lower = try bool(node, "lowercase", key, default: true)
            let strip = node["strip_accents"]?.boolValue ?? lower
            return .bert(cleanText: try bool(node, "clean_text", key, default: true),
                         chineseChars: try bool(node, "handle_chinese_chars", key, default: true),
                         stripAccents: strip, lowercase: lower)
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Strip":
            return .strip(left: try bool(node, "strip_left", key, default: true), right: try bool(node, "strip_right", key, default: true))
        case "StripAccents": return .stripAccents
        case "Replace":
            return .replace(try pattern(node, key), content: Array(try string(node, "content", key).utf8))
        case "Prepend": return .prepend(Array(try string(node, "prepend", key).utf8))
        case "ByteLevel": return .byteLevel
        case "Sequence":
            let list = try array(node, "normalizers", key)
            return .sequence(try list.enumerated().map { try readNormalizer($1, "\(key).normalizers[\($0)]") })
        default:
            throw unsupported("normalizer", t, TextNormalizer.supportedNames)
        }
    }

    func readPreTokenizer(_ node: JSONNode, _ key: String, into steps: inout [PreTokenizerStep]) throws {
        let t = try typeName(node, key)
        switch t {
        case "ByteLevel":
            steps.append(.byteLevel(addPrefixSpace: try bool(node, "add_prefix_space", key, default: true),
                                    useRegex: try bool(node, "use_regex", key, default: true)))
        case "Split":
            steps.append(.split(try pattern(node, key), try behavior(node, key), invert: try bool(node, "invert", key, default: false)))
        case "CharDelimiterSplit":
            let d = try string(node, "delimiter", key)
            guard d.unicodeScalars.count == 1 else { throw bad("\(key).delimiter", "must be one character", "fix the field") }
            steps.append(.split(.literal(Array(d.utf8)), .removed, invert: false))
        case "Metaspace":
            let rep = try string(node, "replacement", key, default: "\u{2581}")
            guard rep.unicodeScalars.count == 1 else { throw bad("\(key).replacement", "must be one character", "fix the field") }
            var scheme = try readPrependScheme(node, key)
            if node["add_prefix_space"]?.boolValue == false {
                guard scheme == .never || node["prepend_scheme"] == nil || node["prepend_scheme"]!.isNull else {
                    throw bad("\(key).add_prefix_space", "is false but prepend_scheme is not \"never\"", "make them agree")
                }
                scheme = .never
            }
            steps.append(.metaspace(replacement: Array(rep.utf8), prepend: scheme, split: try bool(node, "split", key, default: true)))
        case "Whitespace": steps.append(.whitespace)
        case "WhitespaceSplit": steps.append(.whitespaceSplit)
        case "BertPreTokenizer": steps.append(.bert)
        case "Punctuation": steps.append(.punctuation(try behavior(node, key, default: .isolated)))
        case "Digits": steps.append(.digits(individual: try bool(node, "individual_digits", key, default: false)))
        case "Sequence":
            for (k, p) in try array(node, "pretokenizers", key).enumerated() {
                try readPreTokenizer(p, "\(key).pretokenizers[\(k)]", into: &steps)
            }
        default:
            throw unsupported("pre-tokenizer", t, PreTokenizerStep.supportedNames + ["CharDelimiterSplit"])
        }
    }

    func readPrependScheme(_ node: JSONNode, _ key: String) throws -> PrependScheme {
        guard let v = node["prepend_scheme"], !v.isNull else { return .always }
        switch v.stringValue {
        case "always": return .always
        case "first": return .first
        case "never": return .never
        default: throw bad("\(key).prepend_scheme", "is \(describe(v))", "use \"always\", \"first\" or \"never\"")
        }
    }

    func tokenAndID(_ node: JSONNode, _ field: String, _ key: String) throws -> (String, UInt32) {
        guard let a = node[field]?.arrayValue, a.count == 2, let s = a[0].stringValue, let id = a[1].uint32Value else {
            throw bad("\(key).\(field)", "must be [\"token\", id]", "fix the field")
        }
        return (s, id)
    }

    func readPostProcessor(_ node: JSONNode, _ key: String) throws -> PostProcessor {
        let t = try typeName(node, key)
        switch t {
        case "TemplateProcessing":
            var specials: [String: ([UInt32], [String])] = [:]
            if let members = node["special_tokens"]?.objectValue {
                for m in members {
                    guard let ids = m.value["ids"]?.arrayValue?.compactMap({ $0.uint32Value }),
                          let toks = m.value["tokens"]?.arrayValue?.compactMap({ $0.stringValue }), ids.count == toks.count else {
                        throw bad("\(key).special_tokens[\"\(m.key)\"]", "must have \"ids\" and \"tokens\" of the same length", "fix the template")
                    }
                    specials[m.value["id"]?.stringValue ?? m.key] = (ids, toks)
                }
            }
            func template(_ field: String) throws -> [PostProcessor.Piece] {
                try array(node, field, key).enumerated().map { k, item in
                    let where_ = "\(key).\(field)[\(k)]"
                    if let s = item["SpecialToken"] {
                        let id = try string(s, "id", where_)
                        guard let sp = specials[id] else {
                            throw bad(where_, "names the special token \"\(id)\", missing from special_tokens", "add it to special_tokens")
                        }
                        return .special(ids: sp.0, tokens: sp.1, typeID: try uint(s, "type_id", where_, default: 0))
                    }
                    if let s = item["Sequence"] {
                        let id = try string(s, "id", where_)
                        guard id == "A" || id == "B" else { throw bad("\(where_).id", "must be \"A\" or \"B\"", "fix the template") }
                        return .sequence(isB: id == "B", typeID: try uint(s, "type_id", where_, default: 0))
                    }
                    throw bad(where_, "must be {\"SpecialToken\": ...} or {\"Sequence\": ...}", "fix the template")
                }
            }
            return .template(single: try template("single"), pair: try template("pair"))
        case "BertProcessing", "RobertaProcessing":
            return .bert(cls: try tokenAndID(node, "cls", key), sep: try tokenAndID(node, "sep", key), roberta: t == "RobertaProcessing")
        case "ByteLevel": return .byteLevel
        case "Sequence":
            return .sequence(try array(node, "processors", key).enumerated().map { try readPostProcessor($1, "\(key).processors[\($0)]") })
        default:
            throw unsupported("post-processor", t, PostProcessor.supportedNames)
        }
    }

    func readDecoder(_ node: JSONNode, _ key: String) throws -> TokenDecoder {
        let t = try typeName(node, key)
        switch t {
        case "ByteLevel": return .byteLevel
        case "Metaspace":
            let rep = try string(node, "replacement", key, default: "\u{2581}")
            guard let scalar = rep.unicodeScalars.first, rep.unicodeScalars.count == 1 else {
                throw bad("\(key).replacement", "must be one character", "fix the field")
            }
            var scheme = try readPrependScheme(node, key)
            if node["add_prefix_space"]?.boolValue == false { scheme = .never }
            return .metaspace(replacement: scalar, prependScheme: scheme)
        case "WordPiece":
            return .wordPiece(prefix: try string(node, "prefix", key, default: "##"), cleanup: try bool(node, "cleanup", key, default: true))
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            let c = try string(node, "content", key)
            guard let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1 else {
                throw bad("\(key).content", "must be one character", "fix the field")
            }
            return .strip(content: scalar, start: Int(try uint(node, "start", key)), stop: Int(try uint(node, "stop", key)))
        case "Replace":
            return .replace(try pattern(node, key), content: try string(node, "content", key))
        case "BPEDecoder":
            return .bpe(suffix: try string(node, "suffix", key, default: "</w>"))
        case "Sequence":
            return .sequence(try array(node, "decoders", key).enumerated().map { try readDecoder($1, "\(key).decoders[\($0)]") })
        default:
            throw unsupported("decoder", t, TokenDecoder.supportedNames)
        }
    }
}
