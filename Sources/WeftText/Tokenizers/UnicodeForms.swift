import Foundation

/// Unicode normalization forms as Hugging Face `tokenizers` 0.23.3 applies them.
///
/// The reference uses the `unicode-normalization-alignments` crate, whose tables are
/// Unicode 9.0: characters assigned later have no decomposition, combining class 0 and
/// no compositions there, so they pass through as barriers (starters that neither
/// reorder nor compose). Checked for every code point, combining classes included,
/// against the reference (Tests/Fixtures/text/tokenizers/unicode_digests.json).
///
/// - NFD/NFKD: each character's full decomposition (read once from Foundation into a
///   table, for the characters the reference decomposes), then the canonical ordering of
///   combining marks (a stable sort by combining class). Foundation's own NFC is not used:
///   on Linux it composes U+E0041 (a tag character) with U+0301 into "Á".
/// - NFC/NFKC decompose the same way and compose again (primary composites from the
///   decomposition table, less Swift's Full_Composition_Exclusion, which is stable).
/// Text without a character a form could change is returned as it is (quick check from
/// the reference's tables).
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

    /// Full decompositions and combining classes of the characters the reference knows
    /// (and, for the canonical table, the primary composites by their two halves).
    final class Decompositions: Sendable {
        let map: [UInt32: [UInt32]]
        let combiningClass: [UInt32: UInt8]
        /// (first << 32 | second) → composite, for canonical composition (Hangul aside).
        let pairs: [UInt64: UInt32]

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
            // Primary composites: canonical decompositions that are not excluded from
            // composition. The second half is the last scalar of the full decomposition;
            // the first is the character whose full decomposition is the rest.
            var pairs: [UInt64: UInt32] = [:]
            if !compatibility {
                var byDecomposition: [[UInt32]: UInt32] = [:]
                for (v, d) in map where !Unicode.Scalar(v)!.properties.isFullCompositionExclusion {
                    byDecomposition[d] = v
                }
                for (v, d) in map where d.count >= 2 && !(0xAC00...0xD7A3).contains(v) {
                    guard !Unicode.Scalar(v)!.properties.isFullCompositionExclusion else { continue }
                    let rest = Array(d.dropLast())
                    let first = rest.count == 1 ? rest[0] : byDecomposition[rest]
                    if let first { pairs[UInt64(first) << 32 | UInt64(d[d.count - 1])] = v }
                }
            }
            self.pairs = pairs
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
        case .nfc: return compose(decompose(scalars, canonical, Bit.nfdRelevant))
        case .nfkc: return compose(decompose(scalars, compatibility, Bit.nfkdRelevant))
        }
    }

    private typealias Bit = UnicodeClasses.Bit

    /// Canonical composition of a decomposed, ordered sequence.
    ///
    /// reference: UAX #15 sample code (`compose`): a character joins the last starter when
    /// the pair is a primary composite and no character in between has a combining class
    /// equal or higher (or is a starter); Hangul syllables are composed arithmetically.
    static func compose(_ d: [UInt32]) -> [UInt32] {
        guard !d.isEmpty else { return d }
        let table = canonical
        @inline(__always) func ccc(_ v: UInt32) -> UInt8 { v < 0x300 ? 0 : (table.combiningClass[v] ?? 0) }
        var out = d
        var starterPos = 0
        var starter = out[0]
        var lastClass: Int = ccc(starter) == 0 ? 0 : 256
        var write = 1
        for k in 1..<d.count {
            let ch = d[k]
            let chClass = Int(ccc(ch))
            var composite: UInt32?
            // Hangul: L + V → LV, LV + T → LVT.
            if starter >= 0x1100, starter < 0x1113, ch >= 0x1161, ch < 0x1176 {
                composite = 0xAC00 + ((starter - 0x1100) * 21 + (ch - 0x1161)) * 28
            } else if starter >= 0xAC00, starter <= 0xD7A3, (starter - 0xAC00) % 28 == 0, ch > 0x11A7, ch < 0x11C3 {
                composite = starter + (ch - 0x11A7)
            } else {
                composite = table.pairs[UInt64(starter) << 32 | UInt64(ch)]
            }
            if let c = composite, lastClass < chClass || lastClass == 0 {
                out[starterPos] = c
                starter = c
                continue
            }
            if chClass == 0 {
                starterPos = write
                starter = ch
            }
            lastClass = chClass
            out[write] = ch
            write += 1
        }
        out.removeLast(out.count - write)
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
