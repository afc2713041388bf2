/// Metaspace's `prepend_scheme`.
enum PrependScheme: Sendable {
    case always, first, never
}

/// One `pre_tokenizer` of a tokenizer.json (a `Sequence` is flattened into a list of these).
///
/// reference: Hugging Face tokenizers 0.23.3 `pre_tokenizers/*.rs`.
enum PreTokenizerStep: Sendable {
    /// `ByteLevel`: optional leading space, optional GPT-2 split, then every byte becomes
    /// its GPT-2 symbol.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Split` on a pattern.
    case split(TextPattern, SplitBehavior, invert: Bool)
    /// `Metaspace`: spaces become `replacement`, optional prefix, optional split before each.
    case metaspace(replacement: [UInt8], prepend: PrependScheme, split: Bool)
    /// `Whitespace`: runs of `\w` and runs of `[^\w\s]`.
    case whitespace
    /// `WhitespaceSplit`: runs of non-whitespace.
    case whitespaceSplit
    /// `BertPreTokenizer`: split on whitespace (removed) and punctuation (isolated).
    case bert
    /// `Punctuation` with a delimiter behaviour.
    case punctuation(SplitBehavior)
    /// `Digits`: runs of digits, or each digit alone.
    case digits(individual: Bool)

    /// The type names this library reads, for "unsupported" errors.
    static let supportedNames = ["ByteLevel", "Split", "Metaspace", "Whitespace", "WhitespaceSplit",
                                 "BertPreTokenizer", "Punctuation", "Digits", "Sequence"]

    /// Whether the step only cuts pieces (their bytes stay as they are).
    var onlySplits: Bool {
        switch self {
        case .byteLevel, .metaspace: return false
        default: return true
        }
    }

    /// Cuts one piece; calls `body` with sub-ranges relative to the piece, in order.
    /// Only for steps where `onlySplits` is true.
    func cut(_ p: UnsafeBufferPointer<UInt8>, _ spans: inout [(Range<Int>, Bool)], _ body: (Range<Int>) -> Void) {
        let bits = UnicodeClasses.Bit.self
        switch self {
        case let .split(pattern, behavior, invert):
            if case .regex(let r) = pattern, r.known != nil, !invert, behavior == .isolated {
                r.known!.split(p, body)
                return
            }
            tileMatches(p.count, { pattern.forEachMatch(p, $0) }, into: &spans)
            if invert { for k in spans.indices { spans[k].1.toggle() } }
            var out: [Range<Int>] = []
            behavior.pieces(spans, into: &out)
            for r in out { body(r) }
        case .whitespace:
            // `\w+|[^\w\s]+` with whitespace removed.
            Self.runs(p, body) { c in
                c & bits.word != 0 ? 1 : (c & bits.whitespace != 0 ? 0 : 2)
            }
        case .whitespaceSplit:
            Self.runs(p, body) { c in c & bits.whitespace != 0 ? 0 : 1 }
        case .bert:
            // Whitespace removed, each punctuation character alone.
            Self.runs(p, body) { c in
                c & bits.whitespace != 0 ? 0 : (c & bits.punctuation != 0 ? -1 : 1)
            }
        case .digits(let individual):
            if individual {
                Self.runs(p, body) { c in c & bits.numeric != 0 ? -1 : 1 }
            } else {
                Self.runs(p, body) { c in c & bits.numeric != 0 ? 2 : 1 }
            }
        case .punctuation(let behavior):
            if behavior == .isolated {
                Self.runs(p, body) { c in c & bits.punctuation != 0 ? -1 : 1 }
                return
            }
            Self.charSpans(p, &spans) { c in c & bits.punctuation != 0 }
            var out: [Range<Int>] = []
            behavior.pieces(spans, into: &out)
            for r in out { body(r) }
        case .byteLevel, .metaspace:
            body(0..<p.count)
        }
    }

    /// Groups characters by a kind: 0 = dropped, -1 = a piece on its own, any other value
    /// = maximal runs of that kind.
    @inline(__always)
    static func runs(_ p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void, _ kind: (UInt32) -> Int) {
        let t = UnicodeClasses.table
        var i = 0
        var runStart = 0
        var runKind = 0
        while i < p.count {
            let b = p[i]
            let (v, n): (UInt32, Int) = b < 0x80 ? (UInt32(b), 1) : UTF8Scalar.decode(p, i)
            let k = kind(b < 0x80 ? asciiClasses[Int(b)] : t.classes(v))
            if k != runKind || k == -1 {
                if runKind > 0 { body(runStart..<i) }
                if k == -1 {
                    body(i..<(i + n))
                    runKind = 0
                } else {
                    runKind = k
                    runStart = i
                }
            }
            i += n
        }
        if runKind > 0 { body(runStart..<p.count) }
    }

    static let asciiClasses: [UInt32] = (0..<128).map { UnicodeClasses.classes(UInt32($0)) }

    /// Tiling where each character satisfying `isMatch` is its own match.
    static func charSpans(_ p: UnsafeBufferPointer<UInt8>, _ spans: inout [(Range<Int>, Bool)], _ isMatch: (UInt32) -> Bool) {
        spans.removeAll(keepingCapacity: true)
        var i = 0, prev = 0
        while i < p.count {
            let (v, n) = UTF8Scalar.decode(p, i)
            if isMatch(UnicodeClasses.classes(v)) {
                if prev < i { spans.append((prev..<i, false)) }
                spans.append((i..<(i + n), true))
                prev = i + n
            }
            i += n
        }
        if prev < p.count { spans.append((prev..<p.count, false)) }
    }
}

/// A pre-tokenized piece: byte range in the working buffer, and whether it begins at
/// offset 0 of the original text (Metaspace's prepend_scheme "first").
struct TextPiece {
    var start: Int
    var end: Int
    var atStart: Bool
}

/// Working buffers of the general pre-tokenizer path, reused between texts.
struct PreTokenizerScratch {
    var bufferA: [UInt8] = []
    var bufferB: [UInt8] = []
    var piecesA: [TextPiece] = []
    var piecesB: [TextPiece] = []
    var spans: [(Range<Int>, Bool)] = []
}

/// The pre-tokenizer of a tokenizer, ready to run.
struct PreTokenizerPipeline: Sendable {
    /// Steps in order (a `Sequence` flattened).
    let steps: [PreTokenizerStep]
    /// True when the pipeline ends with a byte-level mapping that the model applies
    /// itself while looking pieces up (the pieces it receives are raw bytes).
    let rawBytesToModel: Bool
    /// Steps that still need running (a trailing no-op ByteLevel removed when deferred).
    let effectiveSteps: [PreTokenizerStep]

    init(steps: [PreTokenizerStep], modelTakesRawBytes: Bool) {
        self.steps = steps
        var eff = steps
        var raw = false
        if modelTakesRawBytes, let last = steps.last, case .byteLevel(let prefix, let regex) = last {
            raw = true
            if !prefix && !regex { eff.removeLast() }
            // Earlier byte-level steps would map twice; keep those pipelines general.
            for s in steps.dropLast() { if case .byteLevel = s { raw = false; eff = steps } }
        }
        rawBytesToModel = raw
        effectiveSteps = eff
    }

    /// Runs `steps` over one part of the text (a list of pieces transformed step by step)
    /// and calls `emit` with each final non-empty piece. `mapAtEnd`: apply a pending
    /// byte-level mapping (false when the model maps raw bytes itself).
    func run(_ seg: UnsafeBufferPointer<UInt8>, atStart: Bool, steps: [PreTokenizerStep], mapAtEnd: Bool,
             _ scratch: inout PreTokenizerScratch, emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        var buf: [UInt8] = []
        var other: [UInt8] = []
        var pieces: [TextPiece] = []
        var next: [TextPiece] = []
        var spans: [(Range<Int>, Bool)] = []
        swap(&buf, &scratch.bufferA); swap(&other, &scratch.bufferB)
        swap(&pieces, &scratch.piecesA); swap(&next, &scratch.piecesB); swap(&spans, &scratch.spans)
        buf.removeAll(keepingCapacity: true)
        buf.append(contentsOf: seg)
        pieces.removeAll(keepingCapacity: true)
        pieces.append(TextPiece(start: 0, end: buf.count, atStart: atStart))
        var mappedPending = false

        func mapBytes() {
            other.removeAll(keepingCapacity: true)
            next.removeAll(keepingCapacity: true)
            for p in pieces {
                let s = other.count
                for k in p.start..<p.end { other.append(contentsOf: ByteLevel.byteToUTF8[Int(buf[k])]) }
                next.append(TextPiece(start: s, end: other.count, atStart: p.atStart))
            }
            swap(&buf, &other)
            swap(&pieces, &next)
        }

        for step in steps {
            if mappedPending {
                mapBytes()
                mappedPending = false
            }
            switch step {
            case let .byteLevel(prefix, regex):
                if prefix {
                    other.removeAll(keepingCapacity: true)
                    next.removeAll(keepingCapacity: true)
                    for p in pieces {
                        let s = other.count
                        if buf[p.start] != 0x20 { other.append(0x20) }
                        other.append(contentsOf: buf[p.start..<p.end])
                        next.append(TextPiece(start: s, end: other.count, atStart: p.atStart))
                    }
                    swap(&buf, &other)
                    swap(&pieces, &next)
                }
                if regex {
                    next.removeAll(keepingCapacity: true)
                    buf.withUnsafeBufferPointer { b in
                        for p in pieces {
                            let sub = UnsafeBufferPointer(rebasing: b[p.start..<p.end])
                            ByteLevel.splitGPT2(sub) { r in
                                next.append(TextPiece(start: p.start + r.lowerBound, end: p.start + r.upperBound,
                                                      atStart: p.atStart && r.lowerBound == 0))
                            }
                        }
                    }
                    swap(&pieces, &next)
                }
                mappedPending = true
            case let .metaspace(replacement, scheme, split):
                other.removeAll(keepingCapacity: true)
                next.removeAll(keepingCapacity: true)
                for p in pieces {
                    let s = other.count
                    let startsWithReplacement = p.end - p.start >= replacement.count
                        && buf[p.start..<(p.start + replacement.count)].elementsEqual(replacement)
                    let startsWithSpace = buf[p.start] == 0x20
                    let begins = startsWithReplacement || startsWithSpace
                    if !begins && (scheme == .always || (scheme == .first && p.atStart)) {
                        other.append(contentsOf: replacement)
                    }
                    for k in p.start..<p.end {
                        if buf[k] == 0x20 { other.append(contentsOf: replacement) } else { other.append(buf[k]) }
                    }
                    if split {
                        // Split before each replacement character (MergedWithNext).
                        var pieceStart = s
                        var k = s
                        let end = other.count
                        while k < end {
                            if k + replacement.count <= end, other[k..<(k + replacement.count)].elementsEqual(replacement), k > pieceStart {
                                next.append(TextPiece(start: pieceStart, end: k, atStart: p.atStart && pieceStart == s))
                                pieceStart = k
                            }
                            k += 1
                        }
                        if pieceStart < end {
                            next.append(TextPiece(start: pieceStart, end: end, atStart: p.atStart && pieceStart == s))
                        }
                    } else {
                        next.append(TextPiece(start: s, end: other.count, atStart: p.atStart))
                    }
                }
                swap(&buf, &other)
                swap(&pieces, &next)
            default:
                next.removeAll(keepingCapacity: true)
                buf.withUnsafeBufferPointer { b in
                    for p in pieces {
                        let sub = UnsafeBufferPointer(rebasing: b[p.start..<p.end])
                        step.cut(sub, &spans) { r in
                            next.append(TextPiece(start: p.start + r.lowerBound, end: p.start + r.upperBound,
                                                  atStart: p.atStart && r.lowerBound == 0))
                        }
                    }
                }
                swap(&pieces, &next)
            }
        }
        if mappedPending && mapAtEnd { mapBytes() }
        buf.withUnsafeBufferPointer { b in
            for p in pieces where p.end > p.start {
                emit(UnsafeBufferPointer(rebasing: b[p.start..<p.end]))
            }
        }
        swap(&buf, &scratch.bufferA); swap(&other, &scratch.bufferB)
        swap(&pieces, &scratch.piecesA); swap(&next, &scratch.piecesB); swap(&spans, &scratch.spans)
    }
}
