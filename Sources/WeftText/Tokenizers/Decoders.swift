/// A `decoder` of a tokenizer.json: turns token texts back into text.
///
/// reference: Hugging Face tokenizers 0.23.3 `decoders/*.rs`; each decoder maps the list
/// of token strings to a new list (`decode_chain`) and the result is concatenated.
indirect enum TokenDecoder: Sendable {
    case byteLevel
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
    case wordPiece(prefix: String, cleanup: Bool)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case replace(TextPattern, content: String)
    case bpe(suffix: String)
    case sequence([TokenDecoder])

    /// The type names this library reads, for "unsupported" errors.
    static let supportedNames = ["ByteLevel", "Metaspace", "WordPiece", "ByteFallback", "Fuse", "Strip", "Replace",
                                 "BPEDecoder", "Sequence"]

    /// Decodes token strings to text.
    func decode(_ tokens: [String]) -> String {
        decodeChain(tokens).joined()
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            // Tokens made only of byte symbols become those bytes; others keep their UTF-8.
            var bytes: [UInt8] = []
            for t in tokens {
                var mapped: [UInt8] = []
                var ok = true
                for s in t.unicodeScalars {
                    guard let b = ByteLevel.byte(forScalar: s.value) else { ok = false; break }
                    mapped.append(b)
                }
                bytes += ok ? mapped : Array(t.utf8)
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { i, t in
                var out = String.UnicodeScalarView()
                for c in t.unicodeScalars {
                    if c == replacement {
                        if !(i == 0 && scheme != .never) { out.append(" ") }
                    } else {
                        out.append(c)
                    }
                }
                return String(out)
            }
        case let .wordPiece(prefix, cleanup):
            return tokens.enumerated().map { i, t in
                var tok = t
                if i != 0 {
                    if tok.utf8.starts(with: prefix.utf8) {
                        tok = String(decoding: tok.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                    } else {
                        tok = " " + tok
                    }
                }
                return cleanup ? Self.cleanup(tok) : tok
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validatingUTF8Bytes: pending) {
                    out.append(s)
                } else {
                    out += [String](repeating: "\u{FFFD}", count: pending.count)
                }
                pending.removeAll()
            }
            for t in tokens {
                let u = Array(t.utf8)
                if u.count == 6, u.starts(with: Array("<0x".utf8)), u[5] == UInt8(ascii: ">"),
                   let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(t)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { t in
                let chars = Array(t.unicodeScalars)
                var cut = 0
                for (i, c) in chars.enumerated().prefix(start) {
                    if c == content { cut = i + 1 } else { break }
                }
                var end = chars.count
                for i in 0..<stop {
                    let index = chars.count - i - 1
                    if index >= 0, chars[index] == content { end = index } else { break }
                }
                return cut < end ? String(String.UnicodeScalarView(chars[cut..<end])) : ""
            }
        case let .replace(pattern, content):
            return tokens.map { t in
                let u = Array(t.utf8)
                var out: [UInt8] = []
                var last = 0
                u.withUnsafeBufferPointer { p in
                    pattern.forEachMatch(p) { r in
                        out += u[last..<r.lowerBound]
                        out += Array(content.utf8)
                        last = r.upperBound
                    }
                }
                out += u[last...]
                return String(decoding: out, as: UTF8.self)
            }
        case .bpe(let suffix):
            return tokens.enumerated().map { i, t in
                t.replacingBytes(of: suffix, with: i == tokens.count - 1 ? "" : " ")
            }
        case .sequence(let list):
            var t = tokens
            for d in list { t = d.decodeChain(t) }
            return t
        }
    }

    /// The WordPiece decoder's clean-up of spaces before punctuation and contractions.
    ///
    /// reference: tokenizers `decoders/wordpiece.rs` `cleanup`.
    static func cleanup(_ s: String) -> String {
        var r = s
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            r = r.replacingBytes(of: a, with: b)
        }
        return r
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target`, left to right, comparing
    /// UTF-8 bytes (as Rust's `str::replace` does; no canonical equivalence).
    func replacingBytes(of target: String, with replacement: String) -> String {
        let t = Array(target.utf8)
        guard !t.isEmpty else { return self }
        let u = Array(utf8)
        guard u.count >= t.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = 0
        var changed = false
        while i < u.count {
            if i + t.count <= u.count, u[i] == t[0], u[i..<(i + t.count)].elementsEqual(t) {
                out += replacement.utf8
                i += t.count
                changed = true
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }

    /// The string of `bytes` if they are valid UTF-8, else nil.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var out = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): out.append(s)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(out)
    }
}
