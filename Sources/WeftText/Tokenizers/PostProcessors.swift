/// One encoded sequence while it is being assembled (ids, token texts, type ids, which
/// tokens are special).
struct EncodingParts: Sendable {
    var ids: [UInt32] = []
    var tokens: [String] = []
    var typeIDs: [UInt32] = []
    var special: [UInt32] = []

    mutating func append(_ other: EncodingParts) {
        ids += other.ids
        tokens += other.tokens
        typeIDs += other.typeIDs
        special += other.special
    }

    /// Keeps `count` tokens from the right end (`fromLeft == false`) or the left end.
    mutating func truncate(to count: Int, fromLeft: Bool) {
        guard ids.count > count else { return }
        if fromLeft {
            let drop = ids.count - count
            ids.removeFirst(drop)
            if !tokens.isEmpty { tokens.removeFirst(drop) }
            typeIDs.removeFirst(drop)
            special.removeFirst(drop)
        } else {
            ids.removeLast(ids.count - count)
            if !tokens.isEmpty { tokens.removeLast(tokens.count - count) }
            typeIDs.removeLast(typeIDs.count - count)
            special.removeLast(special.count - count)
        }
    }
}

/// A `post_processor` of a tokenizer.json: adds the special tokens around sequences.
///
/// reference: Hugging Face tokenizers 0.23.3 `processors/*.rs` (`TemplateProcessing`,
/// `BertProcessing`, `RobertaProcessing`; `ByteLevel` only trims offsets, which this
/// library does not report).
indirect enum PostProcessor: Sendable {
    /// One template item: a special token (resolved) or sequence A/B, with its type id.
    enum Piece: Sendable {
        case special(ids: [UInt32], tokens: [String], typeID: UInt32)
        case sequence(isB: Bool, typeID: UInt32)
    }

    case template(single: [Piece], pair: [Piece])
    /// `BertProcessing` / `RobertaProcessing`: `cls A sep` and `cls A sep (sep) B sep`.
    case bert(cls: (String, UInt32), sep: (String, UInt32), roberta: Bool)
    case byteLevel
    case sequence([PostProcessor])

    /// The type names this library reads, for "unsupported" errors.
    static let supportedNames = ["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"]

    /// Number of tokens added to a single sequence or a pair (truncation leaves room for them).
    func addedTokens(pair: Bool) -> Int {
        switch self {
        case let .template(single, pairT):
            return (pair ? pairT : single).reduce(0) { n, p in
                if case .special(let ids, _, _) = p { return n + ids.count }
                return n
            }
        case .bert(_, _, let roberta):
            return pair ? (roberta ? 4 : 3) : 2
        case .byteLevel:
            return 0
        case .sequence(let list):
            return list.reduce(0) { $0 + $1.addedTokens(pair: pair) }
        }
    }

    /// The ids layout of a single sequence after processing, for the ids-only fast path:
    /// each value is a special token id, or -1 where the sequence's ids go.
    func singleLayout(addSpecialTokens: Bool) -> [Int64] {
        switch self {
        case .template(let single, _):
            var out: [Int64] = []
            for p in single {
                switch p {
                case .special(let ids, _, _): if addSpecialTokens { out += ids.map { Int64($0) } }
                case .sequence(let isB, _): if !isB { out.append(-1) }
                }
            }
            return out
        case let .bert(cls, sep, _):
            return addSpecialTokens ? [Int64(cls.1), -1, Int64(sep.1)] : [-1]
        case .byteLevel:
            return [-1]
        case .sequence(let list):
            var layout: [Int64] = [-1]
            for p in list {
                var next: [Int64] = []
                for v in p.singleLayout(addSpecialTokens: addSpecialTokens) {
                    if v < 0 { next += layout } else { next.append(v) }
                }
                layout = next
            }
            return layout
        }
    }

    /// Applies the processor to the encodings (one or two) and returns them (the caller
    /// concatenates the result).
    func process(_ encodings: [EncodingParts], addSpecialTokens: Bool) -> [EncodingParts] {
        switch self {
        case let .template(single, pairT):
            let template = encodings.count > 1 ? pairT : single
            var out: [EncodingParts] = []
            for piece in template {
                switch piece {
                case let .sequence(isB, typeID):
                    let k = isB ? 1 : 0
                    guard k < encodings.count else { continue }
                    var e = encodings[k]
                    e.typeIDs = [UInt32](repeating: typeID, count: e.ids.count)
                    out.append(e)
                case let .special(ids, tokens, typeID):
                    guard addSpecialTokens else { continue }
                    out.append(EncodingParts(ids: ids, tokens: tokens, typeIDs: [UInt32](repeating: typeID, count: ids.count),
                                             special: [UInt32](repeating: 1, count: ids.count)))
                }
            }
            return out
        case let .bert(cls, sep, roberta):
            var encs = encodings
            if roberta {
                for k in encs.indices { encs[k].typeIDs = [UInt32](repeating: 0, count: encs[k].ids.count) }
            }
            guard addSpecialTokens else { return encs }
            var out: [EncodingParts] = []
            for (k, e) in encs.enumerated() {
                var r = EncodingParts()
                if k == 0 || roberta {
                    r.ids.append(k == 0 ? cls.1 : sep.1)
                    r.tokens.append(k == 0 ? cls.0 : sep.0)
                    r.typeIDs.append(0)
                    r.special.append(1)
                }
                r.append(e)
                r.ids.append(sep.1)
                r.tokens.append(sep.0)
                r.typeIDs.append(k == 0 || roberta ? 0 : 1)
                r.special.append(1)
                out.append(r)
            }
            return out
        case .byteLevel:
            return encodings
        case .sequence(let list):
            var encs = encodings
            for p in list { encs = p.process(encs, addSpecialTokens: addSpecialTokens) }
            return encs
        }
    }
}

extension Tokenizer {
    /// `truncation` of a tokenizer.json.
    public struct Truncation: Sendable, Equatable {
        /// Which sequence loses tokens.
        public enum Strategy: Sendable, Equatable { case longestFirst, onlyFirst, onlySecond }
        public var maxLength: Int
        public var strategy: Strategy
        /// True: tokens are removed from the start ("Left").
        public var fromLeft: Bool

        /// A truncation setting.
        public init(maxLength: Int, strategy: Strategy = .longestFirst, fromLeft: Bool = false) {
            self.maxLength = maxLength
            self.strategy = strategy
            self.fromLeft = fromLeft
        }

        /// Truncates one or two encodings to `maxLength` tokens in all.
        ///
        /// reference: tokenizers `utils/truncation.rs` `truncate_encodings` (overflowing
        /// pieces are not kept). When the strategy cannot remove enough tokens (the reference
        /// raises an error) the encodings are left as they are.
        func apply(_ a: inout EncodingParts, _ b: inout EncodingParts?, maxLength: Int) {
            let total = a.ids.count + (b?.ids.count ?? 0)
            if maxLength == 0 {
                a.truncate(to: 0, fromLeft: fromLeft)
                b?.truncate(to: 0, fromLeft: fromLeft)
                return
            }
            guard total > maxLength else { return }
            let toRemove = total - maxLength
            switch strategy {
            case .longestFirst:
                if var other = b {
                    var n1 = a.ids.count, n2 = other.ids.count
                    let swapped = n1 > n2
                    if swapped { swap(&n1, &n2) }
                    if n1 > maxLength { n2 = n1 } else { n2 = max(n1, maxLength - n1) }
                    if n1 + n2 > maxLength {
                        n1 = maxLength / 2
                        n2 = n1 + maxLength % 2
                    }
                    if swapped { swap(&n1, &n2) }
                    a.truncate(to: n1, fromLeft: fromLeft)
                    other.truncate(to: n2, fromLeft: fromLeft)
                    b = other
                } else {
                    a.truncate(to: total - toRemove, fromLeft: fromLeft)
                }
            case .onlyFirst:
                if a.ids.count > toRemove { a.truncate(to: a.ids.count - toRemove, fromLeft: fromLeft) }
            case .onlySecond:
                if var other = b, other.ids.count > toRemove {
                    other.truncate(to: other.ids.count - toRemove, fromLeft: fromLeft)
                    b = other
                }
            }
        }
    }

    /// `padding` of a tokenizer.json.
    public struct Padding: Sendable, Equatable {
        /// Pad to this length; nil pads a batch to its longest encoding ("BatchLongest").
        public var fixedLength: Int?
        /// True: pads go before the tokens ("Left").
        public var left: Bool
        public var multipleOf: Int?
        public var padID: UInt32
        public var padTypeID: UInt32
        public var padToken: String

        /// A padding setting.
        public init(fixedLength: Int?, left: Bool = false, multipleOf: Int? = nil, padID: UInt32 = 0,
                    padTypeID: UInt32 = 0, padToken: String = "[PAD]") {
            self.fixedLength = fixedLength
            self.left = left
            self.multipleOf = multipleOf
            self.padID = padID
            self.padTypeID = padTypeID
            self.padToken = padToken
        }

        /// The length to pad to, given the longest encoding of the batch.
        ///
        /// reference: tokenizers `utils/padding.rs` `pad_encodings`.
        func target(longest: Int) -> Int {
            var n = fixedLength ?? longest
            if let m = multipleOf, m > 0, n % m > 0 { n += m - n % m }
            return n
        }
    }
}
