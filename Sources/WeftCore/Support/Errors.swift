/// Every error a user can see: each says what was wrong, where, and what to do.
public enum WeftError: Error, CustomStringConvertible, Sendable {
    /// A YAML/JSON syntax error, with the parser's message.
    case syntax(loc: SourceLoc, message: String)
    /// A pipeline or manifest that parses but is not valid.
    case spec(loc: SourceLoc, message: String, hint: String)
    /// A problem with the stage graph (cycles, overlapping outputs, missing deps).
    case graph(message: String, hint: String)
    /// A file system or I/O failure.
    case io(path: String, message: String, hint: String)
    /// A stage that failed to run.
    case stageFailed(stage: String, message: String)
    /// Bad command-line usage (unknown target, conflicting flags).
    case usage(message: String)
    /// The cache holds something it should not.
    case cache(message: String, hint: String)
    /// A git repository problem (no repository, unknown revision, libgit2 failure).
    case git(message: String, hint: String)
    /// Several errors at once (e.g. several stages failed with --keep-going).
    case multiple([WeftError])

    public var description: String {
        switch self {
        case let .syntax(loc, message): return "\(loc): syntax error: \(message)"
        case let .spec(loc, message, hint): return "\(loc): \(message)" + (hint.isEmpty ? "" : "\n  hint: \(hint)")
        case let .graph(message, hint): return message + (hint.isEmpty ? "" : "\n  hint: \(hint)")
        case let .io(path, message, hint): return "\(path): \(message)" + (hint.isEmpty ? "" : "\n  hint: \(hint)")
        case let .stageFailed(stage, message): return "stage '\(stage)' failed: \(message)"
        case let .usage(message): return message
        case let .cache(message, hint): return message + (hint.isEmpty ? "" : "\n  hint: \(hint)")
        case let .git(message, hint): return message + (hint.isEmpty ? "" : "\n  hint: \(hint)")
        case let .multiple(errors): return errors.map(\.description).joined(separator: "\n")
        }
    }
}

/// "Did you mean …?" for a misspelt key or name: the closest candidate by edit distance.
public func suggestion(for word: String, among candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if d <= max(2, word.count / 3), best == nil || d < best!.1 { best = (c, d) }
    }
    if let best { return best.0 }
    // No close spelling: a candidate the word abbreviates or spells out in full
    // (`comand`/`command` → `cmd`, `dependencies` → `deps`), the longest such.
    let w = Array(word.lowercased().unicodeScalars)
    var longest: String?
    for c in candidates {
        let k = Array(c.lowercased().unicodeScalars)
        guard k.count >= 3, w.count <= 3 * k.count, k.first == w.first else { continue }
        var i = 0
        for u in w where i < k.count && u == k[i] { i += 1 }
        if i == k.count, longest == nil || k.count > longest!.count { longest = c }
    }
    return longest
}

/// Levenshtein distance.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// Formats the did-you-mean tail of a message, or nothing.
func didYouMean(_ word: String, _ candidates: [String]) -> String {
    if let s = suggestion(for: word, among: candidates) { return "did you mean '\(s)'?" }
    return ""
}
