import Foundation

/// Unicode normalization forms as Hugging Face `tokenizers` 0.23.3 applies them.
///
/// The reference uses the `unicode-normalization-alignments` crate, whose tables are
/// Unicode 9.0: characters assigned later have no decomposition, combining class 0 and
/// no compositions there. Foundation's normalizer (newer tables) is therefore applied to
/// runs of characters that both know, and every later character is copied through as a
/// barrier: a starter that neither reorders nor composes, which is exactly how the
/// reference treats it. Checked for every code point against the reference
/// (Tests/Fixtures/text/tokenizers/unicode_digests.json).
enum UnicodeForms {
    /// A normalization form.
    enum Form: Sendable {
        case nfd, nfkd, nfc, nfkc
    }

    /// Whether the reference's tables (Unicode 9.0) lack `v`, so it must pass through.
    @inline(__always)
    static func isNewerThanReference(_ v: UInt32) -> Bool {
        if v < 0x0370 { return false }
        guard let s = Unicode.Scalar(v), let age = s.properties.age else { return true }
        return age.major > 9
    }

    /// Normalizes a scalar sequence.
    static func normalize(_ scalars: [UInt32], _ form: Form) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(scalars.count + 8)
        var run = String.UnicodeScalarView()
        var runIsASCII = true
        func flush() {
            if run.isEmpty { return }
            if runIsASCII {
                for s in run { out.append(s.value) }
            } else {
                let text = String(run)
                let normalized: String
                switch form {
                case .nfd: normalized = text.decomposedStringWithCanonicalMapping
                case .nfkd: normalized = text.decomposedStringWithCompatibilityMapping
                case .nfc: normalized = text.precomposedStringWithCanonicalMapping
                case .nfkc: normalized = text.precomposedStringWithCompatibilityMapping
                }
                for s in normalized.unicodeScalars { out.append(s.value) }
            }
            run = String.UnicodeScalarView()
            runIsASCII = true
        }
        for v in scalars {
            if v >= 0x80, isNewerThanReference(v) {
                flush()
                out.append(v)
                continue
            }
            if v >= 0x80 { runIsASCII = false }
            run.append(Unicode.Scalar(v) ?? "\u{FFFD}")
        }
        flush()
        return out
    }

    /// Rust `char::to_lowercase` of one scalar (full mapping, no context), appended.
    ///
    /// Swift's `lowercaseMapping` is the same unconditional full mapping (checked for every
    /// code point against the reference's `Lowercase` normalizer).
    @inline(__always)
    static func appendLowercase(_ v: UInt32, to out: inout [UInt32]) {
        if v < 0x80 {
            out.append(v >= 0x41 && v <= 0x5A ? v + 32 : v)
            return
        }
        guard let s = Unicode.Scalar(v), s.properties.changesWhenLowercased else {
            out.append(v)
            return
        }
        for m in s.properties.lowercaseMapping.unicodeScalars { out.append(m.value) }
    }
}
