/// Bootstrap confidence intervals over per-row ROUGE scores, number for number what
/// rouge-score's `scoring.BootstrapAggregator(confidence_interval, n_samples)` returns
/// after `np.random.seed(numpySeed)`.
///
/// reference: rouge-score 0.1.2 `BootstrapAggregator.aggregate` / `_bootstrap_resample`:
/// types are aggregated in the order they were first added (the scorer's type order);
/// for each type, `n_samples` times: draw len(rows) row indices with
/// `np.random.choice(np.arange(rows), size=rows)` from the one global generator (so
/// later types continue its stream), take `np.mean(axis=0)` of the drawn rows
/// (a left-to-right sum per column, then one division, as numpy reduces a strided
/// axis); then `np.percentile` of those means at 100·[(1-c)/2, 0.5, 1-(1-c)/2] with the
/// default linear method. "mid" is therefore the bootstrap median, not the plain mean.
public struct RougeBootstrap: Sendable {
    /// Bootstrap resamples per type (`n_samples`).
    public let samples: Int
    /// Width of the interval (`confidence_interval`), in [0, 1].
    public let confidence: Double
    /// The value given to `np.random.seed` just before `aggregate()`.
    public let numpySeed: UInt32

    /// An aggregator with rouge-score's defaults (1000 samples, 95 %) and numpy's seed.
    public init(samples: Int = 1000, confidence: Double = 0.95, numpySeed: UInt32) {
        self.samples = samples
        self.confidence = confidence
        self.numpySeed = numpySeed
    }

    /// rows[i][t] = row i's score for type t; returns per type (low, mid, high) exactly as rouge-score's aggregate()
    ///
    /// No rows gives no types (rouge-score returns an empty dict). Rows must all have
    /// the same number of types.
    public func aggregate(_ rows: [[RougeScore]]) throws -> [(low: RougeScore, mid: RougeScore, high: RougeScore)] {
        guard samples > 0 else {
            throw EvalError.invalid("ROUGE bootstrap: samples is \(samples); it must be at least 1 (rouge-score uses 1000)")
        }
        guard confidence >= 0, confidence <= 1 else {
            throw EvalError.invalid(
                "ROUGE bootstrap: confidence is \(confidence); it must be in [0, 1] (0.95 for a 95 % interval)")
        }
        guard let types = rows.first?.count else { return [] }
        if let bad = rows.firstIndex(where: { $0.count != types }) {
            throw EvalError.invalid(
                "ROUGE bootstrap: row \(bad) has \(rows[bad].count) scores but row 0 has \(types); "
                    + "every row needs one score per ROUGE type, in the same order")
        }
        // reference: rouge-score computes q = 100 * [delta, 0.5, 1 - delta]; np.percentile divides by 100.
        let delta = (1 - confidence) / 2
        let quantiles = [100 * delta / 100, 100 * 0.5 / 100, 100 * (1 - delta) / 100]

        var rng = NumpyLegacyRandom(seed: numpySeed)
        let n = rows.count
        let scale = Double(n)
        var result: [(low: RougeScore, mid: RougeScore, high: RougeScore)] = []
        var table = [Double](repeating: 0, count: 3 * n)
        var drawn = [UInt32](repeating: 0, count: n)
        for t in 0..<types {
            for (i, row) in rows.enumerated() {
                table[3 * i] = row[t].precision
                table[3 * i + 1] = row[t].recall
                table[3 * i + 2] = row[t].fmeasure
            }
            var meanP = [Double](repeating: 0, count: samples)
            var meanR = meanP, meanF = meanP
            // n - 1 < 2^32 - 1 always holds for rows held in memory; n = 1 draws nothing.
            let range = UInt32(n - 1), mask = UInt32(NumpyLegacyRandom.mask(UInt64(range)))
            table.withUnsafeBufferPointer { m in
                drawn.withUnsafeMutableBufferPointer { drawn in
                    for s in 0..<samples {
                        // choice draws all n indices first; the mean then reads the rows in draw order.
                        if n > 1 { rng.fillBounded32(drawn, range, mask: mask) }
                        var k = 3 * Int(drawn[0])
                        var sp = m[k], sr = m[k + 1], sf = m[k + 2]
                        for i in 1..<n {
                            k = 3 * Int(drawn[i])
                            sp += m[k]
                            sr += m[k + 1]
                            sf += m[k + 2]
                        }
                        meanP[s] = sp / scale
                        meanR[s] = sr / scale
                        meanF[s] = sf / scale
                    }
                }
            }
            meanP.sort()
            meanR.sort()
            meanF.sort()
            let bounds = quantiles.map { q in
                RougeScore(
                    precision: RougeBootstrap.percentile(meanP, q), recall: RougeBootstrap.percentile(meanR, q),
                    fmeasure: RougeBootstrap.percentile(meanF, q))
            }
            result.append((low: bounds[0], mid: bounds[1], high: bounds[2]))
        }
        return result
    }

    /// numpy's default ("linear") quantile of ascending `sorted` at fraction `q`.
    ///
    /// reference: numpy 2.4 `_quantile` with method "linear": virtual index (n-1)·q,
    /// neighbours floor and floor+1 (both the last element when the index reaches n-1),
    /// and `_lerp`, which computes b - (b-a)(1-g) instead of a + (b-a)g when g ≥ 0.5.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let count = sorted.count
        let virtual = Double(count - 1) * q
        if virtual >= Double(count - 1) { return sorted[count - 1] }
        if virtual < 0 { return sorted[0] }
        let below = virtual.rounded(.down)
        let i = Int(below)
        let g = virtual - below
        let a = sorted[i], b = sorted[i + 1]
        let d = b - a
        return g >= 0.5 ? b - d * (1 - g) : a + d * g
    }
}
