import Foundation

/// Sufficient statistics of one or more segments; adding two gives the statistics of both (for bootstrap resampling).
public struct BLEUStats: Sendable, Equatable {
    /// Clipped n-gram matches per order (index 0 = unigrams).
    public var matches: [Int]
    /// Hypothesis n-grams per order.
    public var totals: [Int]
    /// Hypothesis tokens.
    public var sysLen: Int
    /// Reference tokens (per segment, the reference length closest to the hypothesis's).
    public var refLen: Int

    /// Statistics from their parts.
    public init(matches: [Int], totals: [Int], sysLen: Int, refLen: Int) {
        self.matches = matches
        self.totals = totals
        self.sysLen = sysLen
        self.refLen = refLen
    }

    /// The statistics of nothing, for n-gram orders 1...order.
    public static func zero(order: Int) -> BLEUStats {
        let n = max(order, 0)
        return BLEUStats(matches: Array(repeating: 0, count: n), totals: Array(repeating: 0, count: n),
                         sysLen: 0, refLen: 0)
    }

    /// The statistics of both operands' segments (orders missing on one side count as 0).
    public static func + (a: BLEUStats, b: BLEUStats) -> BLEUStats {
        var s = a
        s += b
        return s
    }

    /// Adds `b`'s segments to `a`.
    public static func += (a: inout BLEUStats, b: BLEUStats) {
        sacreAddElementwise(&a.matches, b.matches)
        sacreAddElementwise(&a.totals, b.totals)
        a.sysLen += b.sysLen
        a.refLen += b.refLen
    }
}

@inline(__always)
func sacreAddElementwise(_ a: inout [Int], _ b: [Int]) {
    if b.count > a.count { a.append(contentsOf: repeatElement(0, count: b.count - a.count)) }
    for i in 0..<b.count { a[i] += b[i] }
}

/// A BLEU result with the parts sacreBLEU reports.
public struct BLEUScore: Sendable, Equatable {
    /// BLEU on sacreBLEU's 0-100 scale.
    public var score: Double
    /// Clipped n-gram matches per order, as counted (sacreBLEU's `counts` additionally
    /// include the add-k constant for orders ≥ 2 when add-k smoothing is used).
    public var counts: [Int]
    /// Hypothesis n-grams per order, as counted (the same add-k remark as `counts`).
    public var totals: [Int]
    /// n-gram precisions in percent, after smoothing (0 for orders not reached).
    public var precisions: [Double]
    /// Brevity penalty.
    public var bp: Double
    /// Hypothesis tokens.
    public var sysLen: Int
    /// Reference tokens (closest reference length per segment).
    public var refLen: Int

    /// sysLen / refLen, or 0 without reference tokens (sacreBLEU's `ratio`).
    public var ratio: Double { refLen == 0 ? 0 : Double(sysLen) / Double(refLen) }

    /// sacreBLEU's score line, e.g. `BLEU|nrefs:1|…|version:2.6.0 = 54.06 79.4/61.6/47.7/37.6 (BP = 1.000 ratio = 1.006 hyp_len = 100 ref_len = 99)`.
    public func formatted(signature: String = "", width: Int = 2) -> String {
        let head = signature.isEmpty ? "BLEU" : "BLEU|\(signature)"
        let prec = precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        return "\(head) = \(String(format: "%.\(width)f", score)) \(prec) (BP = \(String(format: "%.3f", bp)) "
            + "ratio = \(String(format: "%.3f", ratio)) hyp_len = \(sysLen) ref_len = \(refLen))"
    }
}

extension BLEU {
    /// BLEU from summed statistics, in sacreBLEU's order of floating-point operations so that
    /// the result is the same double.
    // reference: sacreBLEU 2.6.0 BLEU.compute_bleu and utils.my_log
    static func compute(_ stats: BLEUStats, smoothing: BLEUSmoothing, effectiveOrder: Bool, order: Int) -> BLEUScore {
        let order = max(order, 0)
        var counts = Array(repeating: 0, count: order)
        var totals = Array(repeating: 0, count: order)
        for i in 0..<min(order, stats.matches.count) { counts[i] = stats.matches[i] }
        for i in 0..<min(order, stats.totals.count) { totals[i] = stats.totals[i] }
        let sysLen = stats.sysLen, refLen = stats.refLen

        var bp = 1.0
        if sysLen < refLen {
            bp = sysLen > 0 ? exp(1 - Double(refLen) / Double(sysLen)) : 0.0
        }
        var precisions = Array(repeating: 0.0, count: order)
        guard counts.contains(where: { $0 != 0 }) else {
            return BLEUScore(score: 0, counts: counts, totals: totals, precisions: precisions, bp: bp,
                             sysLen: sysLen, refLen: refLen)
        }

        var smoothMteval = 1.0
        var effOrder = order
        for n in 1...order {
            var correct = Double(counts[n - 1]), total = Double(totals[n - 1])
            if case .addK(let k) = smoothing, n > 1 {
                correct += k
                total += k
            }
            if total == 0 { break }
            if effectiveOrder { effOrder = n }
            if correct == 0 {
                switch smoothing {
                case .exp:
                    smoothMteval *= 2
                    precisions[n - 1] = 100.0 / (smoothMteval * total)
                case .floor(let v):
                    precisions[n - 1] = 100.0 * v / total
                case .addK, .none:
                    break
                }
            } else {
                precisions[n - 1] = 100.0 * correct / total
            }
        }
        // Python's sum() of 3.11: left to right; log(0) is floored to -9999999999.
        var logSum = 0.0
        for p in precisions[0..<effOrder] { logSum += p == 0 ? -9_999_999_999 : log(p) }
        let score = bp * exp(logSum / Double(effOrder))
        return BLEUScore(score: score, counts: counts, totals: totals, precisions: precisions, bp: bp,
                         sysLen: sysLen, refLen: refLen)
    }
}
