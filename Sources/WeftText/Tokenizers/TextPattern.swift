import Foundation

/// The `pattern` of a `Split` pre-tokenizer or a `Replace` normalizer/decoder:
/// `{"String": "..."}` (a literal) or `{"Regex": "..."}`.
enum TextPattern: Sendable {
    case literal([UInt8])
    case regex(RegexPattern)

    /// Calls `body` with each match, left to right, non-overlapping (empty matches are not
    /// reported: the reference's patterns never produce them for non-empty input).
    func forEachMatch(_ input: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .literal(let lit):
            let n = lit.count
            guard n > 0, input.count >= n else { return }
            lit.withUnsafeBufferPointer { l in
                let first = l[0]
                var i = 0
                while i + n <= input.count {
                    if input[i] == first, tokenBytesEqual(input.baseAddress! + i, l.baseAddress!, n) {
                        body(i..<(i + n))
                        i += n
                    } else {
                        i += 1
                    }
                }
            }
        case .regex(let r):
            r.forEachMatch(input, body)
        }
    }
}

/// A regular expression of a tokenizer.json, on UTF-8 bytes.
///
/// The reference runs these on Oniguruma. The pre-tokenisation patterns of GPT-2,
/// Llama-3 (cl100k), Qwen2 and GPT-4o (o200k) are recognised and matched by hand-written
/// code with the reference's character classes (exact and fast); any other pattern goes
/// to `NSRegularExpression` (ICU), whose syntax and semantics agree with Oniguruma's for
/// the usual constructs but whose Unicode tables may be newer.
final class RegexPattern: Sendable {
    /// The pattern text as written in the file.
    let source: String
    let known: KnownSplitPattern?
    private let fallback: UncheckedRegex?

    init(_ source: String) throws {
        self.source = source
        if let k = KnownSplitPattern(source) {
            known = k
            fallback = nil
        } else {
            known = nil
            // Oniguruma (Ruby syntax) makes ^ and $ line anchors, and only "\n" ends a line.
            fallback = UncheckedRegex(try NSRegularExpression(pattern: source, options: [.anchorsMatchLines, .useUnixLineSeparators]))
        }
    }

    /// Calls `body` with each non-empty match, left to right.
    func forEachMatch(_ input: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        if let k = known {
            // The known patterns tile their input: every piece is a match.
            k.split(input, body)
            return
        }
        guard let re = fallback?.regex, input.count > 0 else { return }
        let text = String(decoding: input, as: UTF8.self)
        // UTF-16 offset → UTF-8 offset, for mapping ICU's ranges back to bytes.
        var utf16ToUTF8 = [Int](repeating: 0, count: text.utf16.count + 1)
        var u16 = 0, u8 = 0
        for s in text.unicodeScalars {
            let n16 = s.utf16.count, n8 = s.utf8.count
            for k in 0..<n16 { utf16ToUTF8[u16 + k] = u8 }
            u16 += n16
            u8 += n8
        }
        utf16ToUTF8[u16] = u8
        let ns = text as NSString
        for m in re.matches(in: text, options: [], range: NSRange(location: 0, length: ns.length)) where m.range.length > 0 {
            body(utf16ToUTF8[m.range.location]..<utf16ToUTF8[m.range.location + m.range.length])
        }
    }
}

/// `NSRegularExpression` is immutable and documented thread-safe for matching.
struct UncheckedRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ r: NSRegularExpression) { regex = r }
}

/// What a split does with the delimiters it finds (`SplitDelimiterBehavior`).
enum SplitBehavior: Sendable {
    case removed, isolated, mergedWithPrevious, mergedWithNext, contiguous

    /// Parses the tokenizer.json spelling ("Isolated", …).
    init?(_ name: String) {
        switch name {
        case "Removed": self = .removed
        case "Isolated": self = .isolated
        case "MergedWithPrevious": self = .mergedWithPrevious
        case "MergedWithNext": self = .mergedWithNext
        case "Contiguous": self = .contiguous
        default: return nil
        }
    }

    /// Turns a tiling of the input into (match / not match) spans into the pieces kept,
    /// empty ones dropped.
    ///
    /// reference: tokenizers `NormalizedString::split`.
    func pieces(_ spans: [(Range<Int>, Bool)], into out: inout [Range<Int>]) {
        switch self {
        case .isolated:
            for (r, _) in spans where !r.isEmpty { out.append(r) }
        case .removed:
            for (r, m) in spans where !m && !r.isEmpty { out.append(r) }
        case .contiguous:
            var acc: [Range<Int>] = []
            var previous = false
            for (r, m) in spans {
                if m == previous, let last = acc.last {
                    acc[acc.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    acc.append(r)
                }
                previous = m
            }
            for r in acc where !r.isEmpty { out.append(r) }
        case .mergedWithPrevious:
            var acc: [Range<Int>] = []
            var previous = false
            for (r, m) in spans {
                if m && !previous, let last = acc.last {
                    acc[acc.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    acc.append(r)
                }
                previous = m
            }
            for r in acc where !r.isEmpty { out.append(r) }
        case .mergedWithNext:
            var acc: [Range<Int>] = []
            var previous = false
            for (r, m) in spans.reversed() {
                if m && !previous, let last = acc.last {
                    acc[acc.count - 1] = r.lowerBound..<last.upperBound
                } else {
                    acc.append(r)
                }
                previous = m
            }
            for r in acc.reversed() where !r.isEmpty { out.append(r) }
        }
    }
}

/// Builds the tiling of `count` bytes from its matches (gaps become non-matches).
@inline(__always)
func tileMatches(_ count: Int, _ matches: (( Range<Int>) -> Void) -> Void, into spans: inout [(Range<Int>, Bool)]) {
    spans.removeAll(keepingCapacity: true)
    var prev = 0
    matches { r in
        if prev < r.lowerBound { spans.append((prev..<r.lowerBound, false)) }
        spans.append((r, true))
        prev = r.upperBound
    }
    if prev < count { spans.append((prev..<count, false)) }
}
