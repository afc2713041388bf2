import Foundation

/// Unicode normalization forms as Hugging Face `tokenizers` 0.23.3 applies them.
///
/// The reference uses the `unicode-normalization-alignments` crate, whose tables are
/// Unicode 9.0: characters assigned later have no decomposition, combining class 0 and
/// no compositions there, so they pass through as barriers (starters that neither
/// reorder nor compose). Checked for every code point, combining classes included,
/// against the reference (Tests/Fixtures/text/tokenizers/unicode_digests.json).
///
/// - NFD/NFKD are computed here: each character's full decomposition (read once from
///   Foundation into a table, for the characters the reference decomposes), then the
///   canonical ordering of combining marks (a stable sort by combining class).
/// - NFC/NFKC go through Foundation, only for the short segments around characters they
///   could change (quick check from the reference's tables), split at barriers.
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

    /// The class bits of scalars that a form may change (a text without any is left as it is).
    static func relevantBits(_ form: Form) -> UInt32 {
        typealias Bit = UnicodeClasses.Bit
        switch form {
        case .nfd: return Bit.nfdRelevant
        case .nfkd: return Bit.nfkdRelevant
        case .nfc: return Bit.nfcRelevant
        case .nfkc: return Bit.nfkcRelevant
        }
    }

    /// Full decompositions and combining classes of the characters the reference knows.
    final class Decompositions: Sendable {
        let map: [UInt32: [UInt32]]
        let combiningClass: [UInt32: UInt8]

        init(compatibility: Bool) {
            let bit = compatibility ? UnicodeClasses.Bit.nfkdRelevant : UnicodeClasses.Bit.nfdRelevant
            let table = UnicodeClasses.table
            var map: [UInt32: [UInt32]] = [:]
            var ccc: [UInt32: UInt8] = [:]
            for v in UInt32(0x80)..<0x110000 where table.classes(v) & bit != 0 {
                guard let s = Unicode.Scalar(v), !isNewerThanReference(v) else { continue }
                let c = UInt8(s.properties.canonicalCombiningClass.rawValue)
                if c != 0 { ccc[v] = c }
                let text = String(Character(s))
                let d = compatibility ? text.decomposedStringWithCompatibilityMapping : text.decomposedStringWithCanonicalMapping
                let scalars = d.unicodeScalars.map(\.value)
                if scalars != [v] { map[v] = scalars }
            }
            self.map = map
            self.combiningClass = ccc
        }
    }

    static let canonical = Decompositions(compatibility: false)
    static let compatibility = Decompositions(compatibility: true)

    /// Normalizes a scalar sequence.
    static func normalize(_ scalars: [UInt32], _ form: Form) -> [UInt32] {
        // Quick check: nothing to decompose, reorder or compose.
        let bits = relevantBits(form)
        let table = UnicodeClasses.table
        var relevant = false
        for v in scalars where v >= 0x80 && table.classes(v) & bits != 0 {
            relevant = true
            break
        }
        if !relevant { return scalars }
        switch form {
        case .nfd: return decompose(scalars, canonical, bits)
        case .nfkd: return decompose(scalars, compatibility, bits)
        case .nfc, .nfkc: return composeInSegments(scalars, form, bits)
        }
    }

    /// NFC/NFKC of the short segments that need it. Splitting before a character without
    /// the relevant bit is safe: it is a starter (nothing reorders across it), cannot be
    /// the second half of a composition, and is stable alone. So each segment is such a
    /// character followed by relevant ones, and only segments with a relevant character
    /// go to Foundation.
    static func composeInSegments(_ scalars: [UInt32], _ form: Form, _ bits: UInt32) -> [UInt32] {
        let table = UnicodeClasses.table
        let n = scalars.count
        @inline(__always) func isRelevant(_ k: Int) -> Bool {
            let v = scalars[k]
            return v >= 0x80 && table.classes(v) & bits != 0
        }
        var out: [UInt32] = []
        out.reserveCapacity(n + 8)
        var i = 0
        while i < n {
            let start = i
            if !isRelevant(i) {
                if i + 1 >= n || !isRelevant(i + 1) {
                    out.append(scalars[i])
                    i += 1
                    continue
                }
                i += 1
            }
            while i < n, isRelevant(i) { i += 1 }
            out += viaFoundation(Array(scalars[start..<i]), form)
        }
        return out
    }

    /// Decomposition then canonical ordering.
    static func decompose(_ scalars: [UInt32], _ d: Decompositions, _ bit: UInt32) -> [UInt32] {
        let table = UnicodeClasses.table
        var out: [UInt32] = []
        out.reserveCapacity(scalars.count + 8)
        var classes: [UInt8] = []
        classes.reserveCapacity(scalars.count + 8)
        var needsOrdering = false
        func add(_ v: UInt32) {
            let c = v < 0x300 ? 0 : (d.combiningClass[v] ?? 0)
            if c != 0, let last = classes.last, last > c { needsOrdering = true }
            out.append(v)
            classes.append(c)
        }
        for v in scalars {
            if v >= 0x80, table.classes(v) & bit != 0 {
                if let m = d.map[v] { for x in m { add(x) } } else { add(v) }
            } else {
                out.append(v)
                classes.append(0)
            }
        }
        if needsOrdering {
            // Stable insertion sort of each run of non-starters by combining class.
            var i = 0
            while i < out.count {
                if classes[i] == 0 { i += 1; continue }
                let start = i
                while i < out.count, classes[i] != 0 { i += 1 }
                if i - start > 1 {
                    for k in (start + 1)..<i {
                        let v = out[k], c = classes[k]
                        var j = k - 1
                        while j >= start, classes[j] > c {
                            out[j + 1] = out[j]
                            classes[j + 1] = classes[j]
                            j -= 1
                        }
                        out[j + 1] = v
                        classes[j + 1] = c
                    }
                }
            }
        }
        return out
    }

    /// NFC/NFKC through Foundation on runs between barrier characters.
    static func viaFoundation(_ scalars: [UInt32], _ form: Form) -> [UInt32] {
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
    /// Which scalars change comes from the reference's table; Swift's `lowercaseMapping`
    /// gives the same unconditional full mapping for them (checked for every code point
    /// against the reference's `Lowercase` normalizer).
    @inline(__always)
    static func appendLowercase(_ v: UInt32, to out: inout [UInt32]) {
        if v < 0x80 {
            out.append(v >= 0x41 && v <= 0x5A ? v + 32 : v)
            return
        }
        guard UnicodeClasses.classes(v) & UnicodeClasses.Bit.lowercaseChanges != 0, let s = Unicode.Scalar(v) else {
            out.append(v)
            return
        }
        for m in s.properties.lowercaseMapping.unicodeScalars { out.append(m.value) }
    }
}
