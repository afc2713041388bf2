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
        let t = tokens(text)
        return String(decoding: t.bytes, as: UTF8.self)
    }

    /// 1 when the normalised prediction equals some normalised reference, else 0.
    /// No references: 0 under v1.1 (the script would fail); under v2 the answer is "".
    public static func exactMatch(prediction: String, references: [String], version: Version = .v1_1) -> Double {
        let p = tokens(prediction)
        for r in goldAnswers(references, version) where tokens(r).bytes == p.bytes { return 1 }
        return 0
    }

    /// The best token F1 of the prediction against any reference (bags of normalised
    /// tokens). No references: 0 under v1.1 (the script would fail); under v2 the answer is "".
    // reference: SQuAD v1.1 f1_score and metric_max_over_ground_truths; v2.0 compute_f1
    public static func tokenF1(prediction: String, references: [String], version: Version = .v1_1) -> Double {
        let p = tokens(prediction)
        var best = 0.0
        for r in goldAnswers(references, version) {
            best = max(best, f1(p, tokens(r), version))
        }
        return best
    }

    /// Mean exact match and mean F1 over a set of examples (one reference list each).
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
        var em = 0.0, f = 0.0
        for (p, r) in zip(predictions, references) {
            em += exactMatch(prediction: p, references: r, version: version)
            f += tokenF1(prediction: p, references: r, version: version)
        }
        let n = Double(predictions.count)
        return (em / n, f / n)
    }

    /// The references a version scores against.
    // reference: SQuAD v2.0 evaluate-v2.0.py get_raw_scores (gold answers, [''] if none)
    private static func goldAnswers(_ references: [String], _ version: Version) -> [String] {
        guard version == .v2 else { return references }
        let kept = references.filter { !tokens($0).ranges.isEmpty }
        return kept.isEmpty ? [""] : kept
    }

    private static func f1(_ p: Tokens, _ g: Tokens, _ version: Version) -> Double {
        if version == .v2 && (p.ranges.isEmpty || g.ranges.isEmpty) {
            return p.ranges.isEmpty && g.ranges.isEmpty ? 1 : 0
        }
        // Multiset intersection: each prediction token uses up one equal reference token.
        var left = [ArraySlice<UInt8>: Int](minimumCapacity: g.ranges.count)
        for r in g.ranges { left[g.bytes[r], default: 0] += 1 }
        var same = 0
        for r in p.ranges {
            let key = p.bytes[r]
            if let n = left[key], n > 0 {
                left[key] = n - 1
                same += 1
            }
        }
        if same == 0 { return 0 }
        let precision = Double(same) / Double(p.ranges.count)
        let recall = Double(same) / Double(g.ranges.count)
        return (2 * precision * recall) / (precision + recall)
    }

    /// Normalised tokens as UTF-8: `bytes` is the normalised answer (tokens joined by
    /// single spaces), `ranges` locate each token in it.
    struct Tokens {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
    }

    static func tokens(_ text: String) -> Tokens {
        // lower → drop ASCII punctuation → articles to spaces → split on whitespace.
        let lowered = PythonText.lower(Array(text.unicodeScalars))
        var kept = lowered.filter { !PythonText.isASCIIPunctuation($0.value) }
        blankArticles(&kept)
        var t = Tokens()
        t.bytes.reserveCapacity(kept.count)
        var start = -1
        for s in kept {
            if PythonText.isSpace(s.value) {
                if start >= 0 {
                    t.ranges.append(start..<t.bytes.count)
                    start = -1
                }
                continue
            }
            if start < 0 {
                if !t.bytes.isEmpty { t.bytes.append(0x20) }
                start = t.bytes.count
            }
            appendUTF8(s, to: &t.bytes)
        }
        if start >= 0 { t.ranges.append(start..<t.bytes.count) }
        return t
    }

    /// Replaces each whole word "a", "an" or "the" by one space, as
    /// `re.sub(r'\b(a|an|the)\b', ' ', text)`: matches are found left to right in the
    /// original text and do not overlap.
    private static func blankArticles(_ text: inout [Unicode.Scalar]) {
        var out: [Unicode.Scalar] = []
        var i = 0
        let n = text.count
        var changed = false
        func word(_ k: Int) -> Bool { k >= 0 && k < n && PythonText.isWord(text[k]) }
        while i < n {
            let c = text[i].value
            // A match starts at a word boundary: an a/t here and no word character before.
            if (c == 0x61 || c == 0x74) && !word(i - 1) {
                var length = 0
                if c == 0x61 {
                    if !word(i + 1) {
                        length = 1
                    } else if text[i + 1] == "n" && !word(i + 2) {
                        length = 2
                    }
                } else if i + 2 < n && text[i + 1] == "h" && text[i + 2] == "e" && !word(i + 3) {
                    length = 3
                }
                if length > 0 {
                    if !changed {
                        out = Array(text[0..<i])
                        changed = true
                    }
                    out.append(" ")
                    i += length
                    continue
                }
            }
            if changed { out.append(text[i]) }
            i += 1
        }
        if changed { text = out }
    }

    @inline(__always) private static func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        let v = s.value
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
