/// WordNet's morphy as NLTK 3.10.4 runs it (`_morphy`): the candidates are the form
/// itself, then either its exception-list bases (when the form is in the exception
/// list of that part of speech) or every detachment rule that applies, in rule order;
/// the base forms are the candidates the index lists for that part of speech, first
/// occurrence kept. No case folding: index lemmas are lowercase, so "Dogs" finds nothing.
///
/// reference: morphy(7WN); NLTK `WordNetCorpusReader.MORPHOLOGICAL_SUBSTITUTIONS`
/// and `_morphy`.
extension WordNet {
    /// One detachment rule: a suffix and what replaces it.
    struct Detachment: Sendable {
        let suffix: [UInt8]
        let ending: [UInt8]
        init(_ suffix: String, _ ending: String) {
            self.suffix = Array(suffix.utf8)
            self.ending = Array(ending.utf8)
        }
    }

    /// Detachment rules per file set (noun, verb, adj, adv); satellites use adj's.
    static let detachments: [[Detachment]] = [
        [
            .init("s", ""), .init("ses", "s"), .init("ves", "f"), .init("xes", "x"), .init("zes", "z"),
            .init("ches", "ch"), .init("shes", "sh"), .init("men", "man"), .init("ies", "y"),
        ],
        [
            .init("s", ""), .init("ies", "y"), .init("es", "e"), .init("es", ""), .init("ed", "e"), .init("ed", ""),
            .init("ing", "e"), .init("ing", ""),
        ],
        [.init("er", ""), .init("est", ""), .init("er", "e"), .init("est", "e")],
        [],
    ]

    /// Calls `visit` with each morphy candidate of `form` that the index lists for `pos`,
    /// in NLTK's candidate order (duplicates included; callers dedupe if they need to).
    /// `visit` returns false to stop.
    @inline(__always) func forEachBaseForm(
        _ form: UnsafeBufferPointer<UInt8>, pos: POS, checkExceptions: Bool = true,
        _ visit: (UnsafeBufferPointer<UInt8>) -> Bool
    ) {
        let k = pos.fileIndex
        @inline(__always) func consider(_ candidate: UnsafeBufferPointer<UInt8>) -> Bool {
            if let e = entry(candidate), has(e, pos) { return visit(candidate) }
            return true
        }
        guard consider(form) else { return }
        if checkExceptions, let x = exceptionKeys[k].find(form) {
            for base in exceptionForms[k][x] {
                let go = base.withUnsafeBufferPointer { consider($0) }
                if !go { return }
            }
            return
        }
        let rules = Self.detachments[k]
        guard !rules.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: form.count + 4) { scratch in
            let p = scratch.baseAddress!
            for rule in rules {
                let s = rule.suffix.count
                guard form.count >= s else { continue }
                var matches = true
                for j in 0..<s where form[form.count - s + j] != rule.suffix[j] { matches = false; break }
                guard matches else { continue }
                let stemLength = form.count - s
                if stemLength > 0 { p.update(from: form.baseAddress!, count: stemLength) }
                for (j, b) in rule.ending.enumerated() { p[stemLength + j] = b }
                let go = consider(UnsafeBufferPointer(start: p, count: stemLength + rule.ending.count))
                if !go { return }
            }
        }
    }

    /// The base forms of `form` for `pos` (NLTK `_morphy(form, pos)`): every candidate
    /// in the index, in order, without duplicates. Empty when none is found.
    public func baseForms(_ form: String, pos: POS, checkExceptions: Bool = true) -> [String] {
        var found: [[UInt8]] = []
        var form = form
        form.withUTF8 { utf8 in
            forEachBaseForm(utf8, pos: pos, checkExceptions: checkExceptions) { candidate in
                if !found.contains(where: { $0.elementsEqual(candidate) }) { found.append(Array(candidate)) }
                return true
            }
        }
        return found.map { String(decoding: $0, as: UTF8.self) }
    }

    /// NLTK's `morphy(form, pos)`: the first base form, trying noun, verb, adjective and
    /// adverb in turn when `pos` is nil; nil when WordNet knows none.
    public func morphy(_ form: String, pos: POS? = nil) -> String? {
        for p in pos.map({ [$0] }) ?? [.noun, .verb, .adjective, .adverb] {
            if let first = baseForms(form, pos: p).first { return first }
        }
        return nil
    }

    /// `baseForms` as byte arrays (internal use by `synsets`).
    func baseFormBytes(_ form: String, pos: POS) -> [[UInt8]] {
        var found: [[UInt8]] = []
        var form = form
        form.withUTF8 { utf8 in
            forEachBaseForm(utf8, pos: pos) { candidate in
                if !found.contains(where: { $0.elementsEqual(candidate) }) { found.append(Array(candidate)) }
                return true
            }
        }
        return found
    }
}
