/// Counts one segment's chrF statistics: character n-grams (code points, whitespace
/// removed unless asked for) and, for chrF++, word n-grams, each interned to ids; every
/// reference is compared separately and the one with the best F-score is kept. One per
/// thread.
///
/// The statistics row has sacreBLEU's layout: per order (characters 1...charOrder, then
/// words 1...wordOrder) the triple [hypothesis n-grams, reference n-grams, matches].
// reference: sacreBLEU 2.6.0 CHRF._compute_segment_statistics, _get_match_statistics,
// _remove_punctuation and helpers.extract_all_char_ngrams / extract_word_ngrams
final class CHRFCounter {
    let options: CHRFOptions
    let orders: Int
    private let ids = SacreNgramIds()
    private let lowered = SacreBuffer<UInt8>(capacity: 1024)
    private let hyp = Side()
    private let ref = Side()
    private var current: [Int]
    private var best: [Int]

    /// The n-grams of one text: ids per order, laid out order after order.
    private final class Side {
        let scalars = SacreBuffer<UInt32>(capacity: 512)
        let charIds = SacreBuffer<Int32>(capacity: 2048)
        let words = SacreBuffer<Int32>(capacity: 128)
        let wordIds = SacreBuffer<Int32>(capacity: 256)
        var charCount = 0
        var wordCount = 0
    }

    /// The width of a statistics row.
    var width: Int { 3 * orders }

    init(_ options: CHRFOptions) {
        self.options = options
        orders = options.chars + options.words
        current = Array(repeating: 0, count: 3 * orders)
        best = current
    }

    /// Adds the statistics of one segment to `row` (`width` integers); no references count
    /// as one empty reference.
    func add(hypothesis: String, references: [String], into row: UnsafeMutablePointer<Int>) {
        // At most one n-gram per character and order.
        var bytes = hypothesis.utf8.count
        for r in references { bytes += r.utf8.count }
        ids.reset(tokens: options.words > 0 ? bytes / 8 + 8 : 8,
                  pairs: min(options.chars, bytes) * bytes + min(max(options.words - 1, 0), bytes) * bytes / 6 + 8)
        extract(hypothesis, into: hyp)
        if references.isEmpty {
            ref.charCount = 0
            ref.wordCount = 0
            compare(owner: -2)
            for j in 0..<current.count { row[j] += current[j] }
            return
        }
        var bestF = -1.0
        for (r, reference) in references.enumerated() {
            extract(reference, into: ref)
            countReference(owner: Int32(r))
            compare(owner: Int32(r))
            if references.count == 1 {
                swap(&best, &current)
                break
            }
            let f = CHRF.fScore(current, options: options)
            if f > bestF {
                bestF = f
                swap(&best, &current)
            }
        }
        for j in 0..<best.count { row[j] += best[j] }
    }

    /// The statistics of one segment.
    func stats(hypothesis: String, references: [String]) -> CHRFStats {
        var row = Array(repeating: 0, count: width)
        row.withUnsafeMutableBufferPointer { add(hypothesis: hypothesis, references: references, into: $0.baseAddress!) }
        return CHRFStats(values: row)
    }

    /// Characters, words and their n-gram ids of `text` (after optional lowercasing).
    private func extract(_ text: String, into side: Side) {
        sacreWithUTF8(text) { src in
            var p = src.baseAddress ?? UnsafePointer(lowered.base)
            var n = src.count
            if options.lowercase {
                SacreText.lowercase(p, n, into: lowered)
                p = UnsafePointer(lowered.base)
                n = lowered.count
            }
            characters(p, n, side)
            if options.words > 0 { words(p, n, side) }
        }
    }

    private func characters(_ p: UnsafePointer<UInt8>, _ n: Int, _ side: Side) {
        let scalars = side.scalars
        scalars.count = 0
        scalars.reserve(n)
        var i = 0
        while i < n {
            let (v, len) = SacreText.decode(p, i)
            if options.whitespace || !SacreText.isSpace(v) { scalars.append(v) }
            i += len
        }
        let count = scalars.count
        side.charCount = count
        let orderCount = options.chars
        side.charIds.count = 0
        side.charIds.reserve(min(orderCount, count) * count)
        let out = side.charIds.base
        for n in 1...max(orderCount, 1) where n <= orderCount {
            let m = count - n + 1
            if m <= 0 { break }
            let row = out + (n - 1) * count, previous = out + (n - 2) * count
            for i in 0..<m {
                row[i] = n == 1
                    ? ids.pair(SacreNgramIds.characterPrefix, scalars[i], insert: true)
                    : ids.pair(UInt32(previous[i]), scalars[i + n - 1], insert: true)
            }
        }
    }

    /// chrF++'s words: whitespace-separated, with one ASCII punctuation character split off
    /// the end of a word, or else off its start.
    private func words(_ p: UnsafePointer<UInt8>, _ n: Int, _ side: Side) {
        let words = side.words
        words.count = 0
        var i = 0
        while i < n {
            let w = SacreText.spaceLength(p, i, n)
            if w > 0 { i += w; continue }
            let start = i
            i += 1
            while i < n && SacreText.spaceLength(p, i, n) == 0 { i += 1 }
            let len = i - start
            if len == 1 {
                words.append(ids.token(p + start, 1, insert: true))
            } else if CHRFCounter.isPunctuation(p[i - 1]) {
                words.append(ids.token(p + start, len - 1, insert: true))
                words.append(ids.token(p + i - 1, 1, insert: true))
            } else if CHRFCounter.isPunctuation(p[start]) {
                words.append(ids.token(p + start, 1, insert: true))
                words.append(ids.token(p + start + 1, len - 1, insert: true))
            } else {
                words.append(ids.token(p + start, len, insert: true))
            }
        }
        let count = words.count
        side.wordCount = count
        let orderCount = options.words
        side.wordIds.count = 0
        side.wordIds.reserve(min(orderCount, count) * count)
        let out = side.wordIds.base
        for n in 1...orderCount {
            let m = count - n + 1
            if m <= 0 { break }
            let row = out + (n - 1) * count, previous = out + (n - 2) * count
            for i in 0..<m {
                row[i] = n == 1 ? words[i] : ids.pair(UInt32(previous[i]), UInt32(words[i + n - 1]), insert: true)
            }
        }
    }

    /// Python's `string.punctuation` (ASCII).
    @inline(__always)
    static func isPunctuation(_ b: UInt8) -> Bool {
        (b &- 0x21 < 15) || (b &- 0x3A < 7) || (b &- 0x5B < 6) || (b &- 0x7B < 4)
    }

    /// Counts the reference's n-grams into the ids' `a` counters, owned by reference `owner`.
    private func countReference(owner: Int32) {
        func count(_ grams: UnsafeMutablePointer<Int32>, _ length: Int, _ orderCount: Int) {
            let counters = ids.counters.base
            for n in 1...max(orderCount, 1) where n <= orderCount {
                let m = length - n + 1
                if m <= 0 { break }
                let row = grams + (n - 1) * length
                for i in 0..<m {
                    let c = counters + Int(row[i])
                    if c.pointee.ownerA != owner { c.pointee.ownerA = owner; c.pointee.a = 0 }
                    c.pointee.a += 1
                }
            }
        }
        count(ref.charIds.base, ref.charCount, options.chars)
        if options.words > 0 { count(ref.wordIds.base, ref.wordCount, options.words) }
    }

    /// Fills `current` with the [hyp, ref, match] triples of the hypothesis against the
    /// reference counted under `owner`.
    private func compare(owner: Int32) {
        let counters = ids.counters.base
        var k = 0
        func triples(_ grams: UnsafeMutablePointer<Int32>, _ hypLength: Int, _ refLength: Int, _ orderCount: Int) {
            for n in 1...max(orderCount, 1) where n <= orderCount {
                let hypN = max(hypLength - n + 1, 0), refN = max(refLength - n + 1, 0)
                var matches = 0
                let row = grams + (n - 1) * hypLength
                for i in 0..<hypN {
                    let c = counters + Int(row[i])
                    guard c.pointee.ownerA == owner else { continue }
                    if c.pointee.ownerB != owner { c.pointee.ownerB = owner; c.pointee.b = 0 }
                    if c.pointee.b < c.pointee.a {
                        c.pointee.b += 1
                        matches += 1
                    }
                }
                current[3 * k] = refN > 0 ? hypN : 0
                current[3 * k + 1] = refN
                current[3 * k + 2] = matches
                k += 1
            }
        }
        triples(hyp.charIds.base, hyp.charCount, ref.charCount, options.chars)
        if options.words > 0 { triples(hyp.wordIds.base, hyp.wordCount, ref.wordCount, options.words) }
    }
}
