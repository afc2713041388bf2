/// Counts one segment's BLEU statistics: tokens interned to ids, n-grams as chained id
/// pairs, matches clipped by the largest count in any single reference. One per thread.
///
/// The statistics row has sacreBLEU's layout: [sysLen, refLen, matches per order, totals
/// per order].
// reference: sacreBLEU 2.6.0 BLEU._extract_reference_info, _compute_segment_statistics,
// _get_closest_ref_len
final class BLEUCounter {
    let order: Int
    let tokenizer: BLEUTokenizer
    private let ids = SacreNgramIds()
    private let tokens = SacreBuffer<Int32>(capacity: 256)
    private let chain = SacreBuffer<Int32>(capacity: 256)
    private let referenceLengths = SacreBuffer<Int>(capacity: 8)

    /// The width of a statistics row.
    var width: Int { 2 + 2 * order }

    init(_ options: BLEUOptions) {
        order = options.order
        tokenizer = BLEUTokenizer(tokenize: options.tokenize, lowercase: options.lowercase)
    }

    /// Adds the statistics of one segment to `row` (`width` integers). No references
    /// count as one empty reference.
    func add(hypothesis: String, references: [String], into row: UnsafeMutablePointer<Int>) {
        // About 6 bytes per token, and a reference's n-grams mostly shared with the hypothesis.
        var bytes = hypothesis.utf8.count
        for r in references { bytes += r.utf8.count }
        let perToken = tokenizer.tokenize == .char ? 2 : 8
        ids.reset(tokens: bytes / perToken + 8, pairs: min(max(order - 1, 0), bytes / perToken + 1) * (bytes / perToken) + 8)
        referenceLengths.count = 0
        for (r, reference) in references.enumerated() {
            countReference(reference, Int32(r))
        }
        if references.isEmpty { referenceLengths.append(0) }

        tokenizer.run(hypothesis)
        let h = tokenizer.count
        intern(insert: false)
        row[0] += h
        row[1] += closestReferenceLength(h)
        guard order > 0 else { return }
        let counters = ids.counters.base
        let tok = tokens.base, ch = chain.base
        ch.update(from: tok, count: h)
        for n in 1...order {
            let m = h - n + 1
            if m <= 0 { break }
            row[2 + order + n - 1] += m
            var correct = 0
            for i in 0..<m {
                var id = ch[i]
                if n > 1 {
                    let last = tok[i + n - 1]
                    id = id < 0 || last < 0 ? -1 : ids.pair(UInt32(id), UInt32(last), insert: false)
                    ch[i] = id
                }
                if id >= 0 {
                    // a = the most any reference has, b = used so far by the hypothesis.
                    let c = counters + Int(id)
                    if c.pointee.ownerB != 0 { c.pointee.ownerB = 0; c.pointee.b = 0 }
                    if c.pointee.b < c.pointee.a {
                        c.pointee.b += 1
                        correct += 1
                    }
                }
            }
            row[2 + n - 1] += correct
        }
    }

    /// The statistics of one segment.
    func stats(hypothesis: String, references: [String]) -> BLEUStats {
        var row = Array(repeating: 0, count: width)
        row.withUnsafeMutableBufferPointer { add(hypothesis: hypothesis, references: references, into: $0.baseAddress!) }
        return BLEUCounter.stats(row, order: order)
    }

    /// A statistics row as `BLEUStats`.
    static func stats(_ row: [Int], order: Int) -> BLEUStats {
        BLEUStats(matches: Array(row[2..<2 + order]), totals: Array(row[2 + order..<2 + 2 * order]),
                  sysLen: row[0], refLen: row[1])
    }

    private func countReference(_ reference: String, _ r: Int32) {
        tokenizer.run(reference)
        let len = tokenizer.count
        referenceLengths.append(len)
        intern(insert: true)
        guard order > 0 else { return }
        let tok = tokens.base, ch = chain.base
        ch.update(from: tok, count: len)
        for n in 1...order {
            let m = len - n + 1
            if m <= 0 { break }
            for i in 0..<m {
                var id = ch[i]
                if n > 1 {
                    id = ids.pair(UInt32(id), UInt32(tok[i + n - 1]), insert: true)
                    ch[i] = id
                }
                // a = max over references so far, b = count in reference ownerA.
                let c = ids.counters.base + Int(id)
                if c.pointee.ownerA != r { c.pointee.ownerA = r; c.pointee.b = 0 }
                c.pointee.b += 1
                if c.pointee.b > c.pointee.a { c.pointee.a = c.pointee.b }
            }
        }
    }

    /// Token ids of the tokenizer's last segment into `tokens` (and room in `chain`).
    private func intern(insert: Bool) {
        let n = tokenizer.count
        tokens.count = 0
        tokens.reserve(n)
        chain.reserve(n)
        let text = tokenizer.text, starts = tokenizer.starts.base, lengths = tokenizer.lengths.base
        for i in 0..<n {
            tokens.base[i] = ids.token(text + starts[i], Int(lengths[i]), insert: insert)
        }
        tokens.count = n
    }

    /// The reference length closest to `h`; on a tie, the shorter one.
    private func closestReferenceLength(_ h: Int) -> Int {
        var bestDiff = -1, best = -1
        for k in 0..<referenceLengths.count {
            let len = referenceLengths[k]
            let diff = abs(h - len)
            if bestDiff == -1 || diff < bestDiff {
                bestDiff = diff
                best = len
            } else if diff == bestDiff && len < best {
                best = len
            }
        }
        return best
    }
}
