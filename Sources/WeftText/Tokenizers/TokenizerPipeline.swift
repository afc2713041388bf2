/// The model of a tokenizer.json.
enum TokenModel: Sendable {
    case bpe(BPEModel)
    case wordPiece(WordPieceModel)

    static let supportedNames = ["BPE", "WordPiece"]
}

/// Per-thread working memory of encoding (buffers reused between texts, the word cache).
struct EncoderState {
    var normalized: [UInt8] = []
    var pre = PreTokenizerScratch()
    var spans: [(Range<Int>, Bool)] = []
    var cache = WordCache()
    var bpe = BPEWorkspace()
    var ids: [UInt32] = []
    var tokens: [String] = []
    var wantTokens = false
}

/// Everything a tokenizer.json describes, ready to encode; shared by all threads.
///
/// The encoding pipeline follows the reference's `encode_single_sequence`: cut out
/// non-normalized added tokens from the original text; normalize each remaining part;
/// cut out normalized added tokens; pre-tokenize; run the model on each piece.
final class TokenizerCore: Sendable {
    let normalizer: TextNormalizer?
    let preTokenizer: PreTokenizerPipeline?
    let model: TokenModel
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    let added: AddedVocabulary
    /// Entries in the model vocabulary (the reference's `get_vocab_size()` of the model).
    let modelVocabSize: Int
    /// The model vocabulary plus added tokens that are not in it.
    let vocabSizeWithAdded: Int
    /// The model receives raw bytes and applies the byte-level mapping itself.
    let rawBytes: Bool
    /// The model, unwrapped (read only on word-cache misses).
    let bpe: BPEModel?
    let wordPiece: WordPieceModel?
    /// How the pre-tokenizer runs, decided once.
    let plan: Plan
    /// Ids layout of one processed sequence (-1: the sequence), with and without special tokens.
    let singleLayout: [Int64]
    let singleLayoutPlain: [Int64]

    /// Pre-tokenization strategies, fastest first.
    enum Plan: Sendable {
        /// No pre-tokenizer step left: the whole part is one piece.
        case whole
        /// One hand-written regex split streams pieces straight to the model.
        case known(KnownSplitPattern)
        /// One splitting step streams pieces straight to the model.
        case cut(PreTokenizerStep)
        /// Several steps, or steps that rewrite bytes.
        case general([PreTokenizerStep])
    }

    init(normalizer: TextNormalizer?, preTokenizer: PreTokenizerPipeline?, model: TokenModel,
         postProcessor: PostProcessor?, decoder: TokenDecoder?, added: AddedVocabulary, modelVocabSize: Int) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.added = added
        self.modelVocabSize = modelVocabSize
        self.rawBytes = preTokenizer?.rawBytesToModel ?? false
        switch model {
        case .bpe(let m): bpe = m; wordPiece = nil
        case .wordPiece(let m): bpe = nil; wordPiece = m
        }
        var extra = 0
        for (_, t) in added.byID {
            let bytes = Array(t.content.utf8)
            if (bpe?.vocab.lookup(bytes) ?? wordPiece?.vocab.lookup(bytes)) == nil { extra += 1 }
        }
        vocabSizeWithAdded = modelVocabSize + extra
        singleLayout = postProcessor?.singleLayout(addSpecialTokens: true) ?? [-1]
        singleLayoutPlain = postProcessor?.singleLayout(addSpecialTokens: false) ?? [-1]
        let steps = preTokenizer?.effectiveSteps ?? []
        if steps.isEmpty {
            plan = .whole
        } else if steps.count == 1, case .byteLevel(false, true) = steps[0], preTokenizer?.rawBytesToModel == true {
            plan = .known(.gpt2)
        } else if steps.count == 1, case .split(.regex(let r), .isolated, false) = steps[0], let k = r.known {
            plan = .known(k)
        } else if steps.count == 1, steps[0].onlySplits {
            plan = .cut(steps[0])
        } else {
            plan = .general(steps)
        }
    }

    func modelID(for bytes: [UInt8]) -> UInt32? {
        switch model {
        case .bpe(let m): return m.vocab.lookup(bytes)
        case .wordPiece(let m): return m.vocab.lookup(bytes)
        }
    }

    func modelToken(_ id: UInt32) -> String? {
        switch model {
        case .bpe(let m): return m.tokenByID[id]
        case .wordPiece(let m): return m.tokenByID[id]
        }
    }

    /// Encodes one sequence (no special tokens yet) into `st.ids` (and `st.tokens`).
    @inline(__always)
    func encodeRaw(_ text: String, wantTokens: Bool, _ st: inout EncoderState) {
        st.ids.removeAll(keepingCapacity: true)
        st.tokens.removeAll(keepingCapacity: true)
        st.wantTokens = wantTokens
        var text = text
        text.withUTF8 { encodeBytes($0, &st) }
    }

    /// Encodes one sequence (no special tokens yet).
    func encodeSequence(_ text: String, typeID: UInt32, wantTokens: Bool, _ st: inout EncoderState) -> EncodingParts {
        encodeRaw(text, wantTokens: wantTokens, &st)
        let n = st.ids.count
        return EncodingParts(ids: exactCopy(st.ids), tokens: wantTokens ? Array(st.tokens[...]) : [],
                             typeIDs: [UInt32](repeating: typeID, count: n), special: [UInt32](repeating: 0, count: n))
    }

    /// Runs the post-processor (or the default concatenation) over one or two sequences.
    func postProcess(_ a: EncodingParts, _ b: EncodingParts?, addSpecialTokens: Bool) -> EncodingParts {
        let input = b.map { [a, $0] } ?? [a]
        let outs = postProcessor?.process(input, addSpecialTokens: addSpecialTokens) ?? input
        guard outs.count != 1 else { return outs[0] }
        var r = EncodingParts()
        for e in outs { r.append(e) }
        return r
    }

    private func encodeBytes(_ text: UnsafeBufferPointer<UInt8>, _ st: inout EncoderState) {
        if let m = added.originalMatcher {
            m.split(text) { r, tok in
                if let tok {
                    emitAdded(tok.id, UnsafeBufferPointer(rebasing: text[r]), &st)
                } else {
                    encodeSegment(UnsafeBufferPointer(rebasing: text[r]), originalStart: r.lowerBound, &st)
                }
            }
        } else if !text.isEmpty {
            encodeSegment(text, originalStart: 0, &st)
        }
    }

    private func emitAdded(_ id: UInt32, _ text: UnsafeBufferPointer<UInt8>, _ st: inout EncoderState) {
        st.ids.append(id)
        if st.wantTokens { st.tokens.append(String(decoding: text, as: UTF8.self)) }
    }

    /// Normalizes a part of the text between added tokens, then cuts normalized added
    /// tokens and pre-tokenizes the rest.
    private func encodeSegment(_ seg: UnsafeBufferPointer<UInt8>, originalStart: Int, _ st: inout EncoderState) {
        guard let n = normalizer else {
            afterNormalization(seg, atStart: originalStart == 0, &st)
            return
        }
        var out: [UInt8] = []
        swap(&out, &st.normalized)
        var leadingDeleted = false
        n.apply(seg, into: &out, leadingDeleted: &leadingDeleted)
        out.withUnsafeBufferPointer { afterNormalization($0, atStart: originalStart == 0 && !leadingDeleted, &st) }
        swap(&out, &st.normalized)
    }

    private func afterNormalization(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, _ st: inout EncoderState) {
        if text.isEmpty { return }
        if let m = added.normalizedMatcher {
            m.split(text) { r, tok in
                if let tok {
                    emitAdded(tok.id, UnsafeBufferPointer(rebasing: text[r]), &st)
                } else {
                    preTokenize(UnsafeBufferPointer(rebasing: text[r]), atStart: atStart && r.lowerBound == 0, &st)
                }
            }
        } else {
            preTokenize(text, atStart: atStart, &st)
        }
    }

    /// Runs the pre-tokenizer steps over one part and the model over each piece.
    private func preTokenize(_ seg: UnsafeBufferPointer<UInt8>, atStart: Bool, _ st: inout EncoderState) {
        switch plan {
        case .whole:
            runModel(seg, &st)
        case .known(let k):
            switch k {
            case .gpt2: ByteLevel.splitGPT2(seg) { r in runModel(UnsafeBufferPointer(rebasing: seg[r]), &st) }
            case .cl100k: KnownSplitPattern.splitCL100K(seg, maxDigits: 3) { r in runModel(UnsafeBufferPointer(rebasing: seg[r]), &st) }
            case .qwen2: KnownSplitPattern.splitCL100K(seg, maxDigits: 1) { r in runModel(UnsafeBufferPointer(rebasing: seg[r]), &st) }
            case .o200k: KnownSplitPattern.splitO200K(seg) { r in runModel(UnsafeBufferPointer(rebasing: seg[r]), &st) }
            }
        case .cut(let step):
            var spans: [(Range<Int>, Bool)] = []
            swap(&spans, &st.spans)
            step.cut(seg, &spans) { r in runModel(UnsafeBufferPointer(rebasing: seg[r]), &st) }
            swap(&spans, &st.spans)
        case .general(let steps):
            var scratch = PreTokenizerScratch()
            swap(&scratch, &st.pre)
            preTokenizer!.run(seg, atStart: atStart, steps: steps, mapAtEnd: !rawBytes, &scratch) { runModel($0, &st) }
            swap(&scratch, &st.pre)
        }
    }

    /// Runs the model on one piece through the word cache.
    @inline(__always)
    private func runModel(_ piece: UnsafeBufferPointer<UInt8>, _ st: inout EncoderState) {
        guard let base = piece.baseAddress, piece.count > 0 else { return }
        let before = st.ids.count
        let h = ByteHash.hash(UnsafeRawPointer(base), piece.count)
        if !st.cache.lookup(piece, hash: h, into: &st.ids) {
            if let m = bpe {
                m.tokenize(piece, raw: rawBytes, scratch: st.bpe, out: &st.ids)
            } else if let m = wordPiece {
                m.tokenize(piece, out: &st.ids)
            }
            st.cache.insert(piece, hash: h, ids: st.ids[before...])
        }
        if st.wantTokens {
            for k in before..<st.ids.count { st.tokens.append(modelToken(st.ids[k]) ?? "") }
        }
    }
}
