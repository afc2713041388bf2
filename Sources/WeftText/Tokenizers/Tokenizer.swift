import Foundation

/// A Hugging Face `tokenizer.json` tokenizer that encodes exactly as `tokenizers` 0.23.3.
///
/// Supported: models `BPE` (byte-level as in GPT-2, SmolLM, Qwen2, Llama-3; Metaspace /
/// SentencePiece-style with byte fallback as in Llama-2, TinyLlama) and `WordPiece`
/// (BERT, MiniLM); the normalizers, pre-tokenizers, post-processors and decoders listed
/// in each component's `supportedNames`; `added_tokens`; `truncation` and `padding`.
/// Anything else is refused at load with `TextError.unsupported`.
///
/// Thread-safe: `encode` and `encodeBatch` may run from many threads at once. Each
/// worker keeps a cache of word → ids (a speed-up only; results never depend on it).
public final class Tokenizer: Sendable {
    /// The file the tokenizer was read from (as given; used in messages).
    public let path: String
    /// Truncation applied by `encode` (from the file unless replaced with `with(truncation:padding:)`).
    public let truncation: Truncation?
    /// Padding applied by `encode` and `encodeBatch` (from the file unless replaced).
    public let padding: Padding?
    let core: TokenizerCore
    let pool: EncoderStatePool

    /// One encoded text (or pair): ids, their token texts, type ids and masks, as the
    /// reference's `Encoding` reports them.
    public struct Encoding: Sendable, Equatable {
        /// Token ids.
        public var ids: [UInt32]
        /// Token texts (vocabulary entries; an added token shows the text it matched).
        public var tokens: [String]
        /// Sequence (segment) ids from the post-processor's template.
        public var typeIDs: [UInt32]
        /// 1 for real tokens, 0 for padding.
        public var attentionMask: [UInt32]
        /// 1 for tokens added by the post-processor or padding.
        public var specialTokensMask: [UInt32]
    }

    /// Reads and parses a tokenizer.json file.
    public convenience init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TextError.io(path: path, message: "cannot read the tokenizer file (\(error.localizedDescription))",
                               hint: "pass the path of a Hugging Face tokenizer.json")
        }
        try self.init(json: data, path: path)
    }

    /// Parses tokenizer.json content; `path` names it in error messages.
    public init(json: Data, path: String) throws {
        self.path = path
        let loaded = try TokenizerLoader(path: path).load([UInt8](json))
        core = loaded.core
        truncation = loaded.truncation
        padding = loaded.padding
        pool = EncoderStatePool()
    }

    private init(core: TokenizerCore, path: String, truncation: Truncation?, padding: Padding?) {
        self.core = core
        self.path = path
        self.truncation = truncation
        self.padding = padding
        pool = EncoderStatePool()
    }

    /// The same tokenizer with other truncation and padding settings (nil: none), e.g.
    /// without the fixed padding a model's tokenizer.json may carry.
    public func with(truncation: Truncation?, padding: Padding?) -> Tokenizer {
        Tokenizer(core: core, path: path, truncation: truncation, padding: padding)
    }

    /// Size of the vocabulary including added tokens (the reference's
    /// `get_vocab_size(with_added_tokens=True)`).
    public var vocabSize: Int { core.vocabSizeWithAdded }

    /// The id of a token text (added tokens first, then the model vocabulary).
    public func id(for token: String) -> UInt32? {
        let bytes = Array(token.utf8)
        return core.added.idsByContent.lookup(bytes) ?? core.modelID(for: bytes)
    }

    /// The text of a token id (added tokens first, then the model vocabulary).
    public func token(for id: UInt32) -> String? {
        if let t = core.added.byID[id] { return core.added.normalizedContent[id] ?? t.content }
        return core.modelToken(id)
    }

    /// Encodes one text, or a pair, with the special tokens of the post-processor when
    /// `addSpecialTokens`, then truncation and padding as configured.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> Encoding {
        let box = pool.take()
        defer { pool.put(box) }
        var first = core.encodeSequence(text, typeID: 0, wantTokens: true, &box.state)
        var second = pair.map { core.encodeSequence($0, typeID: 1, wantTokens: true, &box.state) }
        if let t = truncation {
            let added = addSpecialTokens ? (core.postProcessor?.addedTokens(pair: second != nil) ?? 0) : 0
            t.apply(&first, &second, maxLength: max(0, t.maxLength - added))
        }
        var parts = core.postProcess(first, second, addSpecialTokens: addSpecialTokens)
        var mask = [UInt32](repeating: 1, count: parts.ids.count)
        if let p = padding {
            let target = p.target(longest: parts.ids.count)
            let n = target - parts.ids.count
            if n > 0 {
                let ids = [UInt32](repeating: p.padID, count: n)
                let toks = [String](repeating: p.padToken, count: n)
                let types = [UInt32](repeating: p.padTypeID, count: n)
                let ones = [UInt32](repeating: 1, count: n)
                let zeros = [UInt32](repeating: 0, count: n)
                if p.left {
                    parts.ids = ids + parts.ids; parts.tokens = toks + parts.tokens
                    parts.typeIDs = types + parts.typeIDs; parts.special = ones + parts.special; mask = zeros + mask
                } else {
                    parts.ids += ids; parts.tokens += toks; parts.typeIDs += types; parts.special += ones; mask += zeros
                }
            }
        }
        return Encoding(ids: parts.ids, tokens: parts.tokens, typeIDs: parts.typeIDs, attentionMask: mask,
                        specialTokensMask: parts.special)
    }

    /// The ids of one text, as `encode(_:addSpecialTokens:).ids` gives them, without
    /// building token strings (the fast path for datasets).
    public func encodeIDs(_ text: String, addSpecialTokens: Bool = true) -> [UInt32] {
        let box = pool.take()
        defer { pool.put(box) }
        var ids = encodeIDs(text, addSpecialTokens: addSpecialTokens, &box.state)
        if let p = padding {
            let n = p.target(longest: ids.count) - ids.count
            if n > 0 {
                let pads = [UInt32](repeating: p.padID, count: n)
                ids = p.left ? pads + ids : ids + pads
            }
        }
        return ids
    }

    /// Encodes many texts on `threads` threads; ids in input order, identical to calling
    /// `encode(_:).ids` on each (padding "BatchLongest" pads to the longest of the batch,
    /// as the reference's `encode_batch` does).
    public func encodeBatch(_ texts: [String], threads: Int = 1, addSpecialTokens: Bool = true) -> [[UInt32]] {
        var results = [[UInt32]](repeating: [], count: texts.count)
        let workers = max(1, min(threads, texts.count))
        let blockSize = 256
        let blocks = (texts.count + blockSize - 1) / blockSize
        results.withUnsafeMutableBufferPointer { out in
            let sink = UnsafeSendableBuffer(out)
            let next = BlockCounter()
            let work = { @Sendable in
                let box = self.pool.take()
                defer { self.pool.put(box) }
                while true {
                    let b = next.take()
                    if b >= blocks { break }
                    for k in (b * blockSize)..<min(texts.count, (b + 1) * blockSize) {
                        sink.buffer[k] = self.encodeIDs(texts[k], addSpecialTokens: addSpecialTokens, &box.state)
                    }
                }
            }
            if workers == 1 {
                work()
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
            }
        }
        if let p = padding {
            let target = p.target(longest: results.reduce(0) { max($0, $1.count) })
            for k in results.indices where results[k].count < target {
                let pads = [UInt32](repeating: p.padID, count: target - results[k].count)
                results[k] = p.left ? pads + results[k] : results[k] + pads
            }
        }
        return results
    }

    /// Ids of one text without token strings (the batch path), truncated and processed.
    func encodeIDs(_ text: String, addSpecialTokens: Bool, _ state: inout EncoderState) -> [UInt32] {
        core.encodeRaw(text, wantTokens: false, &state)
        let layout = addSpecialTokens ? core.singleLayout : core.singleLayoutPlain
        if let t = truncation, t.strategy != .onlySecond {
            // A single sequence keeps max_length minus the special tokens the layout adds.
            let limit = max(0, t.maxLength - (layout.count - layout.filter { $0 < 0 }.count))
            let n = state.ids.count
            if n > limit || t.maxLength == 0 {
                let keep = t.maxLength == 0 ? 0 : limit
                if t.fromLeft { state.ids.removeFirst(n - keep) } else { state.ids.removeLast(n - keep) }
            }
        }
        if layout.count == 1 && layout[0] < 0 { return exactCopy(state.ids) }
        var n = 0
        for v in layout { n += v < 0 ? state.ids.count : 1 }
        var out: [UInt32] = []
        out.reserveCapacity(n)
        for v in layout {
            if v < 0 { out += state.ids } else { out.append(UInt32(v)) }
        }
        return out
    }

    /// Decodes ids to text with the tokenizer's decoder (tokens joined by spaces without
    /// one); unknown ids are skipped, and special tokens too when `skipSpecialTokens`.
    ///
    /// reference: tokenizers `TokenizerImpl::decode`.
    public func decode(_ ids: [UInt32], skipSpecialTokens: Bool = true) -> String {
        var tokens: [String] = []
        for id in ids {
            guard let t = token(for: id) else { continue }
            if skipSpecialTokens, core.added.specialContents.contains(Array(t.utf8)) { continue }
            tokens.append(t)
        }
        if let d = core.decoder { return d.decode(tokens) }
        return tokens.joined(separator: " ")
    }
}

/// A copy with its own storage of exactly `a.count` elements (`Array(a)` would share the
/// scratch buffer, whose next `removeAll(keepingCapacity:)` would then reallocate it).
@inline(__always)
func exactCopy(_ a: [UInt32]) -> [UInt32] {
    [UInt32](unsafeUninitializedCapacity: a.count) { out, n in
        a.withUnsafeBufferPointer { src in
            if let d = out.baseAddress, let s = src.baseAddress { d.initialize(from: s, count: src.count) }
        }
        n = a.count
    }
}

/// A buffer written by several threads at disjoint indices.
struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ b: UnsafeMutableBufferPointer<T>) { buffer = b }
}

/// Hands out block numbers to worker threads.
final class BlockCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// Reusable per-thread encoder states (caches survive between calls).
final class EncoderStatePool: @unchecked Sendable {
    final class Box {
        var state = EncoderState()
    }

    private let lock = NSLock()
    private var free: [Box] = []

    func take() -> Box {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? Box()
    }

    func put(_ b: Box) {
        lock.lock()
        defer { lock.unlock() }
        if free.count < 64 { free.append(b) }
    }
}
