/// The pieces of Python 3.11's `str` and `re` behaviour that SQuAD's answer normaliser
/// relies on, so Weft normalises text exactly as the official script does.
///
/// CPython 3.11 carries the Unicode 14.0 character database; Swift's is newer. Scalars
/// assigned after 14.0 are unassigned to Python 3.11 (not letters, not cased, no case
/// mapping), so they are treated that way here (`Unicode.Scalar.Properties.age`).
/// Tests/Fixtures/make_eval_squad.py writes Python's answers for every code point and
/// QATests compares all of them.
enum PythonText {
    /// Whether Python 3.11 knows the scalar (assigned in Unicode 14.0 or earlier).
    @inline(__always) static func known(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }
        return age.major < 14 || (age.major == 14 && age.minor == 0)
    }

    /// `str.isspace()`, which is also what `str.split()` splits on.
    // reference: CPython Py_UNICODE_ISSPACE (bidirectional class WS/B/S or category Zs)
    @inline(__always) static func isSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x1C...0x20: return true
        case 0..<0x85: return false
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// A word character of Python's `re` on `str` (`\w`): `str.isalnum()` or "_", where
    /// isalnum is a letter category (Lu Ll Lt Lm Lo) or any numeric type. Combining marks
    /// are not word characters, so `\b` falls between "the" and a following U+0301.
    // reference: CPython _sre SRE_UNI_IS_WORD = Py_UNICODE_ISALNUM || '_'
    @inline(__always) static func isWord(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        guard known(s) else { return false }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return s.properties.numericType != nil
        }
    }

    /// `string.punctuation`: the 32 ASCII punctuation characters.
    @inline(__always) static func isASCIIPunctuation(_ v: UInt32) -> Bool {
        (v >= 0x21 && v <= 0x2F) || (v >= 0x3A && v <= 0x40) || (v >= 0x5B && v <= 0x60) || (v >= 0x7B && v <= 0x7E)
    }

    /// `str.lower()`: full lowercase mappings (İ → i + U+0307) and the one context rule
    /// CPython applies, capital sigma becoming final sigma (ς) at the end of a word.
    static func lower(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for (i, s) in text.enumerated() {
            let v = s.value
            if v < 0x80 {
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : s)
            } else if v == 0x03A3 {
                out.append(finalSigma(text, i) ? "\u{03C2}" : "\u{03C3}")
            } else if known(s) && s.properties.changesWhenLowercased {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// Whether the capital sigma at `i` ends a word: a cased letter before it and none
    /// after it, skipping case-ignorable characters both ways.
    // reference: CPython unicodeobject.c handle_capital_sigma (Unicode Final_Sigma)
    private static func finalSigma(_ text: [Unicode.Scalar], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && caseIgnorable(text[j]) { j -= 1 }
        guard j >= 0 && cased(text[j]) else { return false }
        j = i + 1
        while j < text.count && caseIgnorable(text[j]) { j += 1 }
        return j == text.count || !cased(text[j])
    }

    @inline(__always) private static func cased(_ s: Unicode.Scalar) -> Bool {
        known(s) && s.properties.isCased
    }

    @inline(__always) private static func caseIgnorable(_ s: Unicode.Scalar) -> Bool {
        known(s) && s.properties.isCaseIgnorable
    }
}
