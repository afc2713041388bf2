import Foundation
import WeftText

/// Seeded percentile bootstrap over the rows of an evaluation: each resample draws n
/// rows with replacement and recomputes a corpus statistic, so two runs can be
/// compared with their uncertainty (a difference inside both intervals is noise).
///
/// Resample k draws from its own SplitMix64 stream derived from (seed, k), so the
/// interval is the same whatever the thread count. The statistic receives each row's
/// multiplicity in the resample (most rows 0, 1 or 2 times), which lets corpus metrics
/// sum weighted sufficient statistics instead of copying rows.
public struct Bootstrap: Sendable {
    public var samples: Int
    public var confidence: Double
    public var seed: UInt64
    public var threads: Int

    public init(samples: Int = 1000, confidence: Double = 0.95, seed: UInt64 = 0, threads: Int = ParallelMap.defaultThreads) throws {
        guard samples >= 2 else { throw EvalError.invalid("n_boot must be at least 2 (got \(samples)); use 0 to switch confidence intervals off") }
        guard confidence > 0, confidence < 1 else { throw EvalError.invalid("confidence must be between 0 and 1 exclusive (got \(confidence)), e.g. 0.95") }
        self.samples = samples
        self.confidence = confidence
        self.seed = seed
        self.threads = max(1, threads)
    }

    /// The (low, high) percentile interval of `statistic` over the resamples of `rows` rows.
    public func interval(rows: Int, statistic: @Sendable ([UInt32]) -> Double) -> (low: Double, high: Double) {
        guard rows > 0 else { return (.nan, .nan) }
        let values = resampledStatistics(rows: rows, statistic: statistic)
        let alpha = (1 - confidence) / 2
        return (Self.percentile(values, alpha), Self.percentile(values, 1 - alpha))
    }

    /// The statistic of every resample, in resample order.
    public func resampledStatistics(rows: Int, statistic: @Sendable ([UInt32]) -> Double) -> [Double] {
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: samples)
        defer { out.deallocate() }
        let workers = min(threads, samples)
        let base = seed
        let n = samples
        nonisolated(unsafe) let outPtr = out  // each resample writes only its own slot
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var weights = [UInt32](repeating: 0, count: rows)
            var k = w
            while k < n {
                for i in 0..<rows { weights[i] = 0 }
                var rng = SplitMix64(seed: SplitMix64.mix(base &+ 0x5851_F42D_4C95_7F2D &* UInt64(k + 1)))
                for _ in 0..<rows { weights[Self.bounded(&rng, rows)] += 1 }
                outPtr[k] = statistic(weights)
                k += workers
            }
        }
        return Array(out)
    }

    /// A uniform integer in 0..<n (Lemire's multiply-shift with rejection, unbiased).
    @inline(__always) static func bounded(_ rng: inout SplitMix64, _ n: Int) -> Int {
        let bound = UInt64(n)
        var m = rng.next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// The q-quantile of `values` with linear interpolation between order statistics
    /// (numpy's default `percentile` method); NaN values are left out.
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        let v = values.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return .nan }
        let pos = q * Double(v.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, v.count - 1)
        let frac = pos - Double(lo)
        return v[lo] + (v[hi] - v[lo]) * frac
    }
}
