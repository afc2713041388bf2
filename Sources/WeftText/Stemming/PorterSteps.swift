/// The rules of the Porter stemmer on a mutable buffer of lowercase characters (bytes
/// for ASCII words, scalar values otherwise). Every rule only cuts the word and
/// appends ASCII, so the buffer needs at most 4 spare slots past the word.
///
/// Rule lists are tried in NLTK's order and the first suffix that matches decides,
/// even when its condition fails (NLTK `_apply_rule_list`). In every list a suffix that
/// ends another comes before it (ational/tional, ement/ment/ent), so that is the
/// paper's longest match.
///
/// reference: NLTK 3.10.4 `nltk/stem/porter.py`, steps 1a to 5b; Porter (1980).
struct PorterWord<E: FixedWidthInteger & UnsignedInteger> {
    let w: UnsafeMutablePointer<E>
    /// Current length.
    var n: Int
    /// NLTK_EXTENSIONS (true) or ORIGINAL_ALGORITHM (false).
    let nltk: Bool

    @inline(__always) init(_ w: UnsafeMutablePointer<E>, _ n: Int, nltk: Bool) {
        self.w = w
        self.n = n
        self.nltk = nltk
    }

    @inline(__always) static func c(_ ch: Unicode.Scalar) -> E { E(truncatingIfNeeded: ch.value) }

    @inline(__always) static func isVowelLetter(_ e: E) -> Bool {
        e == c("a") || e == c("e") || e == c("i") || e == c("o") || e == c("u")
    }

    /// Runs all steps; returns the stem's length. `originalLength` is the length of the
    /// word before lowercasing (NLTK tests `len(word) <= 2` on it).
    @inline(__always) mutating func stemmed(originalLength: Int) -> Int {
        if nltk {
            // reference: NLTK_EXTENSIONS irregular forms pool, checked before any rule.
            if let k = PorterIrregular.lookup(w, n) {
                let forms = PorterIrregular.stems[k].utf8
                n = 0
                for b in forms { w[n] = E(b); n += 1 }
                return n
            }
            if originalLength <= 2 { return n }
        }
        step1a(); step1b(); step1c(); step2(); step3(); step4(); step5a(); step5b()
        return n
    }

    // MARK: - Letter classes (paper §2)

    /// `_is_consonant`: not a vowel letter, and a 'y' counts as a consonant only when it
    /// starts the word or follows a vowel.
    @inline(__always) func isConsonant(_ i: Int) -> Bool {
        let e = w[i]
        if Self.isVowelLetter(e) { return false }
        guard e == Self.c("y") else { return true }
        var j = i
        var negate = false
        while j > 0, w[j] == Self.c("y") { negate.toggle(); j -= 1 }
        return (!Self.isVowelLetter(w[j])) != negate
    }

    /// The measure m of `w[0..<len]`: the number of vowel-to-consonant transitions.
    @inline(__always) func measure(_ len: Int) -> Int {
        var m = 0
        var previousConsonant = true  // no vowel before the word
        for i in 0..<len {
            let e = w[i]
            let cons: Bool
            if Self.isVowelLetter(e) {
                cons = false
            } else if e == Self.c("y") {
                cons = i == 0 ? true : !previousConsonant
            } else {
                cons = true
            }
            if cons, !previousConsonant { m += 1 }
            previousConsonant = cons
        }
        return m
    }

    /// `*v*`: the prefix contains a vowel. Scanning stops at the first vowel letter, so
    /// every 'y' reached after the first character follows a consonant: a vowel.
    @inline(__always) func containsVowel(_ len: Int) -> Bool {
        for i in 0..<len {
            let e = w[i]
            if Self.isVowelLetter(e) || (i > 0 && e == Self.c("y")) { return true }
        }
        return false
    }

    /// `*d`: ends with a double consonant.
    @inline(__always) func endsDoubleConsonant(_ len: Int) -> Bool {
        len >= 2 && w[len - 1] == w[len - 2] && isConsonant(len - 1)
    }

    /// `*o`: ends consonant-vowel-consonant, the last not w, x or y (NLTK mode also
    /// accepts a two-letter vowel-consonant word).
    @inline(__always) func endsCVC(_ len: Int) -> Bool {
        if len >= 3, isConsonant(len - 3), !isConsonant(len - 2), isConsonant(len - 1) {
            let last = w[len - 1]
            if last != Self.c("w"), last != Self.c("x"), last != Self.c("y") { return true }
        }
        return nltk && len == 2 && !isConsonant(0) && isConsonant(1)
    }

    /// Compares from the last character back, so most rules fail on the first compare.
    @inline(__always) func endsWith(_ s: StaticString) -> Bool {
        let k = s.utf8CodeUnitCount
        guard n >= k else { return false }
        let p = s.utf8Start
        var j = k - 1
        while j >= 0 {
            if w[n - k + j] != E(p[j]) { return false }
            j -= 1
        }
        return true
    }

    /// Replaces the last `cut` characters with `replacement`.
    @inline(__always) mutating func replace(_ cut: Int, _ replacement: StaticString) {
        n -= cut
        let p = replacement.utf8Start
        for j in 0..<replacement.utf8CodeUnitCount { w[n] = E(p[j]); n += 1 }
    }

    // MARK: - Steps

    /// Step 1a: plurals (sses → ss, ies → i, ss → ss, s → "").
    mutating func step1a() {
        if nltk, n == 4, endsWith("ies") { replace(3, "ie"); return }  // NLTK: "dies" → "die"
        if endsWith("sses") { replace(4, "ss") } else if endsWith("ies") { replace(3, "i") } else if endsWith("ss") {
            return
        } else if endsWith("s") { n -= 1 }
    }

    /// Step 1b: -eed, -ed, -ing, then the tidy-up rules on the shortened stem.
    mutating func step1b() {
        if nltk, endsWith("ied") {
            if n == 4 { replace(3, "ie") } else { replace(3, "i") }
            return
        }
        if endsWith("eed") {
            if measure(n - 3) > 0 { n -= 1 }
            return
        }
        if endsWith("ed"), containsVowel(n - 2) {
            n -= 2
        } else if endsWith("ing"), containsVowel(n - 3) {
            n -= 3
        } else {
            return
        }
        // reference: NLTK step 1b rule list: at, bl, iz, *d, "" (in that order).
        if endsWith("at") { replace(0, "e"); return }
        if endsWith("bl") { replace(0, "e"); return }
        if endsWith("iz") { replace(0, "e"); return }
        if endsDoubleConsonant(n) {
            let last = w[n - 1]
            if last != Self.c("l"), last != Self.c("s"), last != Self.c("z") { n -= 1 }
            return
        }
        // NLTK checks the rule's literal suffix "*d" too; a stem ending in "*d" loses
        // the '*' (the replacement is the stem's last character).
        if n >= 2, w[n - 2] == Self.c("*"), w[n - 1] == Self.c("d") {
            w[n - 2] = Self.c("d"); n -= 1
            return
        }
        if measure(n) == 1, endsCVC(n) { replace(0, "e") }
    }

    /// Step 1c: y → i (NLTK: after a consonant that is not the whole stem; original:
    /// when the stem contains a vowel).
    mutating func step1c() {
        guard endsWith("y") else { return }
        let ok = nltk ? (n - 1 > 1 && isConsonant(n - 2)) : containsVowel(n - 1)
        if ok { w[n - 1] = Self.c("i") }
    }

    /// Applies the first rule of `rules` whose suffix matches, if the stem's measure
    /// exceeds `minMeasure`.
    @inline(__always) mutating func applyFirst(_ rules: [PorterRule], minMeasure: Int) {
        for r in rules where endsWith(r.suffix) {
            let stemLength = n - r.suffix.utf8CodeUnitCount
            if measure(stemLength) > minMeasure { replace(r.suffix.utf8CodeUnitCount, r.replacement) }
            return
        }
    }

    /// Step 2: double suffixes to single ones, when m > 0.
    mutating func step2() {
        guard n >= 3 else { return }
        if nltk, endsWith("alli"), measure(n - 4) > 0 {
            replace(4, "al")
            step2()
            return
        }
        let rules = nltk ? PorterRule.step2NLTK : PorterRule.step2Original
        for r in rules where endsWith(r.suffix) {
            let k = r.suffix.utf8CodeUnitCount
            if measure(n - k + r.measureExtra) > 0 { replace(k, r.replacement) }
            return
        }
    }

    /// Step 3: -icate, -ative, -alize, -iciti, -ical, -ful, -ness, when m > 0.
    mutating func step3() {
        guard n >= 3 else { return }
        applyFirst(PorterRule.step3, minMeasure: 0)
    }

    /// Step 4: removes a last suffix when m > 1 (-ion only after s or t).
    mutating func step4() {
        guard n >= 2 else { return }
        for r in PorterRule.step4 where endsWith(r.suffix) {
            let stemLength = n - r.suffix.utf8CodeUnitCount
            var ok = measure(stemLength) > 1
            if ok, r.afterSOrT {
                let last = w[stemLength - 1]
                ok = last == Self.c("s") || last == Self.c("t")
            }
            if ok { n = stemLength }
            return
        }
    }

    /// Step 5a: drops a final e when m > 1, or m = 1 and the stem does not end cvc.
    mutating func step5a() {
        guard endsWith("e") else { return }
        let m = measure(n - 1)
        if m > 1 || (m == 1 && !endsCVC(n - 1)) { n -= 1 }
    }

    /// Step 5b: -ll → -l when m > 1 (measured on the word less one l).
    mutating func step5b() {
        if endsWith("ll"), measure(n - 1) > 1 { n -= 1 }
    }
}

/// One suffix rule of steps 2 to 4.
struct PorterRule: Sendable {
    let suffix: StaticString
    let replacement: StaticString
    /// Characters of the suffix counted into the measured stem (NLTK's "logi" rule
    /// measures `word[:-3]`, the stem with its 'l').
    let measureExtra: Int
    /// Step 4's -ion: the stem must also end in s or t.
    let afterSOrT: Bool

    init(_ suffix: StaticString, _ replacement: StaticString, measureExtra: Int = 0, afterSOrT: Bool = false) {
        self.suffix = suffix
        self.replacement = replacement
        self.measureExtra = measureExtra
        self.afterSOrT = afterSOrT
    }

    /// reference: NLTK `_step2` list, NLTK_EXTENSIONS ("bli" for "abli", plus "fulli", "logi").
    static let step2NLTK: [PorterRule] = [
        .init("ational", "ate"), .init("tional", "tion"), .init("enci", "ence"), .init("anci", "ance"),
        .init("izer", "ize"), .init("bli", "ble"), .init("alli", "al"), .init("entli", "ent"),
        .init("eli", "e"), .init("ousli", "ous"), .init("ization", "ize"), .init("ation", "ate"),
        .init("ator", "ate"), .init("alism", "al"), .init("iveness", "ive"), .init("fulness", "ful"),
        .init("ousness", "ous"), .init("aliti", "al"), .init("iviti", "ive"), .init("biliti", "ble"),
        .init("fulli", "ful"), .init("logi", "log", measureExtra: 1),
    ]

    /// reference: NLTK `_step2` list, ORIGINAL_ALGORITHM ("abli").
    static let step2Original: [PorterRule] = [
        .init("ational", "ate"), .init("tional", "tion"), .init("enci", "ence"), .init("anci", "ance"),
        .init("izer", "ize"), .init("abli", "able"), .init("alli", "al"), .init("entli", "ent"),
        .init("eli", "e"), .init("ousli", "ous"), .init("ization", "ize"), .init("ation", "ate"),
        .init("ator", "ate"), .init("alism", "al"), .init("iveness", "ive"), .init("fulness", "ful"),
        .init("ousness", "ous"), .init("aliti", "al"), .init("iviti", "ive"), .init("biliti", "ble"),
    ]

    /// reference: NLTK `_step3`.
    static let step3: [PorterRule] = [
        .init("icate", "ic"), .init("ative", ""), .init("alize", "al"), .init("iciti", "ic"),
        .init("ical", "ic"), .init("ful", ""), .init("ness", ""),
    ]

    /// reference: NLTK `_step4` (replacements all empty).
    static let step4: [PorterRule] = [
        .init("al", ""), .init("ance", ""), .init("ence", ""), .init("er", ""), .init("ic", ""),
        .init("able", ""), .init("ible", ""), .init("ant", ""), .init("ement", ""), .init("ment", ""),
        .init("ent", ""), .init("ion", "", afterSOrT: true), .init("ou", ""), .init("ism", ""), .init("ate", ""),
        .init("iti", ""), .init("ous", ""), .init("ive", ""), .init("ize", ""),
    ]
}

/// NLTK_EXTENSIONS' pool of irregular forms, looked up before any rule.
enum PorterIrregular {
    /// reference: NLTK `PorterStemmer.__init__` irregular_forms (form → stem).
    static let forms: [(form: StaticString, stem: Int)] = [
        ("sky", 0), ("skies", 0), ("dying", 1), ("lying", 2), ("tying", 3), ("news", 4),
        ("innings", 5), ("inning", 5), ("outings", 6), ("outing", 6), ("cannings", 7), ("canning", 7),
        ("howe", 8), ("proceed", 9), ("exceed", 10), ("succeed", 11),
    ]
    static let stems: [String] = [
        "sky", "die", "lie", "tie", "news", "inning", "outing", "canning", "howe", "proceed", "exceed", "succeed",
    ]

    /// The index into `stems` when `w[0..<n]` is an irregular form.
    @inline(__always) static func lookup<E: FixedWidthInteger>(_ w: UnsafeMutablePointer<E>, _ n: Int) -> Int? {
        guard n >= 3, n <= 8 else { return nil }
        let first = w[0]
        for f in forms where f.form.utf8CodeUnitCount == n && E(f.form.utf8Start[0]) == first {
            var same = true
            for j in 1..<n where w[j] != E(f.form.utf8Start[j]) { same = false; break }
            if same { return f.stem }
        }
        return nil
    }
}
