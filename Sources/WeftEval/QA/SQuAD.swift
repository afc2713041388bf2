/// Exact match and token-level F1 of extractive question answering, with the semantics of
/// the official SQuAD v1.1 evaluation script (the functions Hugging Face `evaluate`'s
/// `squad` metric uses), and SQuAD v2's rules for unanswerable questions as an option.
///
/// Scores are 0…1 per example (the official scripts print 100 × the mean).
///
/// Normalisation, in the script's order: Python `str.lower()`; drop the 32 ASCII
/// characters of `string.punctuation` (other punctuation such as « » or 。 stays);
/// replace the whole words a / an / the by a space (Python `re` `\b`, whose word
/// characters are Unicode letters, digits, numerics and "_"); split on Python whitespace
/// (Unicode spaces included) and join with single spaces. Strings are compared by code
/// point: "é" and "e" + U+0301 are different answers, as in Python.
public enum SQuAD {
    /// Which official script's rules to follow.
    public enum Version: Sendable, Equatable {
        /// SQuAD v1.1: an empty prediction against an empty reference has F1 0 (EM 1).
        case v1_1
        /// SQuAD v2.0: references that normalise to nothing are dropped, no reference
        /// left means the answer is "" (unanswerable), and F1 is 1 when both token lists
        /// are empty, 0 when only one is.
        case v2
    }

    /// The answer as the official script normalises it before comparing.
    // reference: SQuAD v1.1 evaluate-v1.1.py normalize_answer
    public static func normalize(_ text: String) -> String {
        String(decoding: SQuADTokens(text).bytes, as: UTF8.self)
    }

    /// 1 when the normalised prediction equals some normalised reference, else 0.
    /// No references: 0 under v1.1 (the script would fail); under v2 the answer is "".
    public static func exactMatch(prediction: String, references: [String], version: Version = .v1_1) -> Double {
        exactMatch(SQuADTokens(prediction), gold(references, version))
    }

    /// The best token F1 of the prediction against any reference (bags of normalised
    /// tokens). No references: 0 under v1.1 (the script would fail); under v2 the answer is "".
    // reference: SQuAD v1.1 f1_score and metric_max_over_ground_truths; v2.0 compute_f1
    public static func tokenF1(prediction: String, references: [String], version: Version = .v1_1) -> Double {
        tokenF1(SQuADTokens(prediction), gold(references, version), version)
    }

    /// Mean exact match and mean F1 over a set of examples (one reference list each),
    /// normalising each text once; examples are split over the cores and the per-example
    /// scores summed in example order, so the result does not depend on the thread count.
    public static func average(predictions: [String], references: [[String]], version: Version = .v1_1) throws
        -> (exactMatch: Double, f1: Double)
    {
        guard predictions.count == references.count else {
            throw EvalError.invalid(
                "SQuAD: \(predictions.count) predictions but \(references.count) reference lists; "
                    + "pass one list of reference answers per prediction")
        }
        guard !predictions.isEmpty else {
            throw EvalError.invalid("SQuAD: no examples to score; pass at least one prediction")
        }
        let n = predictions.count
        var em = [Double](repeating: 0, count: n)
        var f1 = [Double](repeating: 0, count: n)
        let chunks = max(1, min(ClassCounts.cores, n / 2048))
        em.withUnsafeMutableBufferPointer { emOut in
            f1.withUnsafeMutableBufferPointer { f1Out in
                ClassCounts.forEachChunk(chunks) { c in
                    for i in ClassCounts.chunkRange(c, of: chunks, rows: n) {
                        let p = SQuADTokens(predictions[i])
                        let g = gold(references[i], version)
                        emOut[i] = exactMatch(p, g)
                        f1Out[i] = tokenF1(p, g, version)
                    }
                }
            }
        }
        var emSum = 0.0, f1Sum = 0.0
        for i in 0..<n {
            emSum += em[i]
            f1Sum += f1[i]
        }
        return (emSum / Double(n), f1Sum / Double(n))
    }

    /// The normalised references a version scores against.
    // reference: SQuAD v2.0 evaluate-v2.0.py get_raw_scores (gold answers, [''] if none)
    private static func gold(_ references: [String], _ version: Version) -> [SQuADTokens] {
        let all = references.map(SQuADTokens.init)
        guard version == .v2 else { return all }
        let kept = all.filter { !$0.ranges.isEmpty }
        return kept.isEmpty ? [SQuADTokens("")] : kept
    }

    private static func exactMatch(_ p: SQuADTokens, _ gold: [SQuADTokens]) -> Double {
        gold.contains { $0.bytes == p.bytes } ? 1 : 0
    }

    private static func tokenF1(_ p: SQuADTokens, _ gold: [SQuADTokens], _ version: Version) -> Double {
        var best = 0.0
        let ph = p.hashes()
        for g in gold { best = max(best, f1(p, ph, g, version)) }
        return best
    }

    private static func f1(_ p: SQuADTokens, _ ph: [UInt64], _ g: SQuADTokens, _ version: Version) -> Double {
        let np = p.ranges.count, ng = g.ranges.count
        if version == .v2 && (np == 0 || ng == 0) { return np == ng ? 1 : 0 }
        // Size of the multiset intersection: each prediction token uses up the first
        // unused equal reference token (hashes first, bytes to confirm).
        let gh = g.hashes()
        var used = [Bool](repeating: false, count: ng)
        var same = 0
        if np * ng <= 4096 {
            for i in 0..<np {
                for j in 0..<ng where !used[j] && gh[j] == ph[i] && p.same(i, g, j) {
                    used[j] = true
                    same += 1
                    break
                }
            }
        } else {
            var left = [UInt64: [Int]]()
            for j in stride(from: ng - 1, through: 0, by: -1) { left[gh[j], default: []].append(j) }
            for i in 0..<np {
                guard var candidates = left[ph[i]] else { continue }
                if let k = candidates.lastIndex(where: { !used[$0] && p.same(i, g, $0) }) {
                    used[candidates[k]] = true
                    candidates.remove(at: k)
                    left[ph[i]] = candidates
                    same += 1
                }
            }
        }
        if same == 0 { return 0 }
        let precision = Double(same) / Double(np)
        let recall = Double(same) / Double(ng)
        return (2 * precision * recall) / (precision + recall)
    }
}
