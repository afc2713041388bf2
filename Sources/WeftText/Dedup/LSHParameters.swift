import Foundation

/// Choice of the LSH banding (`bands` × `rows` ≤ permutations) for a Jaccard threshold.
///
/// Two texts of Jaccard similarity `s` share at least one band with probability
/// `P(s) = 1 − (1 − sʳ)ᵇ`. The false-positive mass is `∫₀ᵗ P(s) ds` (pairs below the
/// threshold `t` that still collide) and the false-negative mass `∫ₜ¹ (1 − P(s)) ds`
/// (pairs above it that never do). The chosen `(b, r)` minimises
/// `wₚ·FP + wₙ·FN` over `b = 1…n`, `r = 1…⌊n/b⌋`, scanning `b` then `r` upwards and
/// keeping the first strict minimum.
/// reference: datasketch `MinHashLSH` (`_optimal_param`, weights (0.5, 0.5) by default);
/// the scan order and tie rule are the same, so the same `(b, r)` comes out.
///
/// datasketch integrates with SciPy's adaptive `quad`; here `P` is a polynomial of
/// degree `b·r ≤ n`, so Gauss–Legendre quadrature with `⌊n/2⌋ + 1` nodes (exact up to
/// degree `2·nodes − 1`) gives the integrals exactly up to rounding.
public enum LSHParameters {
    /// The `(bands, rows)` minimising the weighted false-positive and false-negative
    /// probability integrals at `threshold` for `numPerm` permutations.
    public static func optimal(
        threshold: Double, numPerm: Int, falsePositiveWeight: Double = 0.5, falseNegativeWeight: Double = 0.5
    ) -> (bands: Int, rows: Int) {
        precondition(numPerm > 0 && threshold >= 0 && threshold <= 1)
        let rule = GaussLegendre(nodes: numPerm / 2 + 1)
        var best = Double.infinity
        var opt = (bands: 0, rows: 0)
        for b in 1...numPerm {
            for r in 1...(numPerm / b) {
                let e = falsePositiveWeight * falsePositive(threshold, b, r, rule)
                    + falseNegativeWeight * falseNegative(threshold, b, r, rule)
                if e < best {
                    best = e
                    opt = (b, r)
                }
            }
        }
        return opt
    }

    /// The weighted error `wₚ·FP + wₙ·FN` of one choice (for reports and tests).
    public static func error(
        threshold: Double, bands: Int, rows: Int, falsePositiveWeight: Double = 0.5, falseNegativeWeight: Double = 0.5
    ) -> Double {
        let rule = GaussLegendre(nodes: bands * rows / 2 + 1)
        return falsePositiveWeight * falsePositive(threshold, bands, rows, rule)
            + falseNegativeWeight * falseNegative(threshold, bands, rows, rule)
    }

    /// Probability that two texts of similarity `s` share at least one band.
    @inline(__always) public static func collisionProbability(_ s: Double, bands: Int, rows: Int) -> Double {
        1 - pow(1 - pow(s, Double(rows)), Double(bands))
    }

    static func falsePositive(_ t: Double, _ b: Int, _ r: Int, _ rule: GaussLegendre) -> Double {
        rule.integrate(0, t) { collisionProbability($0, bands: b, rows: r) }
    }

    static func falseNegative(_ t: Double, _ b: Int, _ r: Int, _ rule: GaussLegendre) -> Double {
        rule.integrate(t, 1) { 1 - collisionProbability($0, bands: b, rows: r) }
    }
}

/// Gauss–Legendre quadrature on `nodes` points: exact for polynomials of degree
/// `< 2·nodes`. Nodes are the roots of the Legendre polynomial `Pₙ`, found by Newton's
/// method from Tricomi's initial guesses `cos(π(i − ¼)/(n + ½))`; weights are
/// `2 / ((1 − x²) Pₙ′(x)²)` (Abramowitz & Stegun 25.4.29).
struct GaussLegendre {
    var x: [Double] = []
    var w: [Double] = []

    init(nodes n: Int) {
        x.reserveCapacity(n)
        w.reserveCapacity(n)
        for i in 1...n {
            var z = cos(Double.pi * (Double(i) - 0.25) / (Double(n) + 0.5))
            var dp = 0.0
            for _ in 0..<100 {
                // Bonnet's recurrence: k·Pₖ = (2k − 1)·z·Pₖ₋₁ − (k − 1)·Pₖ₋₂.
                var p0 = 1.0, p1 = z
                var k = 2
                while k <= n {
                    let pk = ((2 * Double(k) - 1) * z * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1
                    p1 = pk
                    k += 1
                }
                // p1 = Pₙ(z), p0 = Pₙ₋₁(z)
                dp = Double(n) * (z * p1 - p0) / (z * z - 1)
                let dz = p1 / dp
                z -= dz
                if abs(dz) < 1e-16 { break }
            }
            x.append(z)
            w.append(2 / ((1 - z * z) * dp * dp))
        }
    }

    /// `∫ₐᵇ f`.
    func integrate(_ a: Double, _ b: Double, _ f: (Double) -> Double) -> Double {
        let half = (b - a) / 2, mid = (a + b) / 2
        var sum = 0.0
        for i in x.indices { sum += w[i] * f(mid + half * x[i]) }
        return sum * half
    }
}
