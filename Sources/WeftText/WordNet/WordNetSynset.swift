/// One WordNet synset as a data file line describes it, with the fields NLTK's `Synset`
/// exposes under the same meaning.
///
/// reference: wndb(5WN) data file format; NLTK 3.10.4 `_synset_from_pos_and_line`.
public struct Synset: Sendable, Hashable {
    /// Byte offset of the line in its data file (the synset's id within its part of speech).
    public var offset: Int
    /// The synset type (`ss_type`): satellites report `.adjectiveSatellite`.
    public var pos: WordNet.POS
    /// Lexicographer file number (`lex_filenum`), an index into `WordNet.lexnames`.
    public var lexFileNumber: Int
    /// Lexicographer file name, e.g. "noun.animal" (NLTK `lexname()`).
    public var lexname: String
    /// The synset's words as NLTK's `lemma_names()` gives them: case and underscores
    /// kept, adjective markers such as "(a)", "(p)", "(ip)" removed.
    public var lemmas: [String]
    /// The gloss (definition and quoted examples), runs of whitespace collapsed to one
    /// space and the ends trimmed.
    public var gloss: String
    /// NLTK's `definition()`: the gloss without its quoted parts, stripped of spaces and
    /// semicolons at both ends.
    public var definition: String
    /// NLTK's `examples()`: the quoted parts of the gloss, in order.
    public var examples: [String]

    /// Creates a synset from its fields.
    public init(
        offset: Int, pos: WordNet.POS, lexFileNumber: Int, lexname: String, lemmas: [String], gloss: String,
        definition: String, examples: [String]
    ) {
        self.offset = offset
        self.pos = pos
        self.lexFileNumber = lexFileNumber
        self.lexname = lexname
        self.lemmas = lemmas
        self.gloss = gloss
        self.definition = definition
        self.examples = examples
    }
}

/// Why a data line could not be read (the caller adds file and line).
struct SynsetParseError: Error {
    var message: String
}

extension Synset {
    /// Parses one data file line (without its newline).
    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(SynsetParseError) -> Synset {
        // Fields end at the first '|'; the gloss follows it (NLTK splits on '|').
        let bar = line.firstIndex(of: UInt8(ascii: "|")) ?? line.count
        let head = UnsafeBufferPointer(rebasing: line[0..<bar])
        let t = asciiTokens(head)
        guard t.count >= 4 else { throw SynsetParseError(message: "expected offset, lex_filenum, ss_type and w_cnt") }
        guard let offset = parseUInt(head, t[0]) else { throw SynsetParseError(message: "bad synset offset") }
        guard let lexFile = parseUInt(head, t[1]), lexFile < WordNet.lexnames.count else {
            throw SynsetParseError(message: "bad lex_filenum (expected 00 to \(WordNet.lexnames.count - 1))")
        }
        guard t[2].count == 1, let pos = WordNet.POS(byte: head[t[2].lowerBound]) else {
            throw SynsetParseError(message: "bad ss_type (expected n, v, a, s or r)")
        }
        guard let wordCount = parseUInt(head, t[3], hex: true), t.count >= 4 + 2 * wordCount else {
            throw SynsetParseError(message: "bad w_cnt or missing words")
        }
        var lemmas: [String] = []
        lemmas.reserveCapacity(wordCount)
        for k in 0..<wordCount {
            lemmas.append(lemmaName(UnsafeBufferPointer(rebasing: head[t[4 + 2 * k]])))
        }
        let rawGloss = UnsafeBufferPointer(rebasing: line[min(bar + 1, line.count)..<line.count])
        let (definition, examples) = nltkDefinition(rawGloss)
        // The gloss text after " | ", as the corpus tools write it.
        var glossStart = line.count
        if bar > 0, bar + 1 < line.count, line[bar - 1] == 0x20, line[bar + 1] == 0x20 { glossStart = bar + 2 }
        let gloss = collapseWhitespace(UnsafeBufferPointer(rebasing: line[glossStart..<line.count]))
        return Synset(
            offset: offset, pos: pos, lexFileNumber: lexFile, lexname: WordNet.lexnames[lexFile], lemmas: lemmas,
            gloss: gloss, definition: definition, examples: examples)
    }

    /// A word token without its trailing syntactic marker: NLTK strips a final
    /// parenthesised group holding no parentheses (in WordNet 3.0: "(a)", "(p)", "(ip)").
    static func lemmaName(_ token: UnsafeBufferPointer<UInt8>) -> String {
        var end = token.count
        if end >= 2, token[end - 1] == UInt8(ascii: ")") {
            var j = end - 2
            while j >= 0, token[j] != UInt8(ascii: "("), token[j] != UInt8(ascii: ")") { j -= 1 }
            if j >= 0, token[j] == UInt8(ascii: "(") { end = j }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: token[0..<end]), as: UTF8.self)
    }

    /// NLTK's definition and examples: quote pairs are taken left to right; text outside
    /// them is the definition (trimmed of whitespace, then of ';' and ' '), text inside
    /// them the examples.
    /// reference: NLTK `re.sub(r'["].*?["]', "", gloss)` and `re.findall(r'"([^"]*)"', gloss)`.
    static func nltkDefinition(_ gloss: UnsafeBufferPointer<UInt8>) -> (String, [String]) {
        var outside: [UInt8] = []
        outside.reserveCapacity(gloss.count)
        var examples: [String] = []
        var i = 0
        while i < gloss.count {
            let b = gloss[i]
            if b == UInt8(ascii: "\""), let close = gloss[(i + 1)...].firstIndex(of: UInt8(ascii: "\"")) {
                examples.append(String(decoding: UnsafeBufferPointer(rebasing: gloss[(i + 1)..<close]), as: UTF8.self))
                i = close + 1
            } else {
                outside.append(b)
                i += 1
            }
        }
        var lo = 0
        var hi = outside.count
        while lo < hi, isPythonSpace(outside, lo) { lo += 1 }
        while hi > lo, isPythonSpace(outside, hi - 1) { hi -= 1 }
        while lo < hi, outside[lo] == 0x20 || outside[lo] == UInt8(ascii: ";") { lo += 1 }
        while hi > lo, outside[hi - 1] == 0x20 || outside[hi - 1] == UInt8(ascii: ";") { hi -= 1 }
        return (String(decoding: outside[lo..<hi], as: UTF8.self), examples)
    }

    @inline(__always) static func isPythonSpace(_ a: [UInt8], _ i: Int) -> Bool { isASCIISpace(a[i]) }
}

/// Collapses runs of whitespace to one space and trims the ends, as Python's
/// `re.sub(r"\s+", " ", s).strip()` does (ASCII and Unicode white space).
func collapseWhitespace(_ s: UnsafeBufferPointer<UInt8>) -> String {
    if !s.contains(where: { $0 >= 0x80 }) {
        // ASCII (all of WordNet 3.0): copy the runs between spaces in bulk.
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            while i < s.count, isASCIISpace(s[i]) { i += 1 }
            let start = i
            while i < s.count, !isASCIISpace(s[i]) { i += 1 }
            if start < i {
                if !out.isEmpty { out.append(0x20) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: s[start..<i]))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
    var out: [UInt8] = []
    out.reserveCapacity(s.count)
    var pendingSpace = false
    var i = 0
    while i < s.count {
        let b = s[i]
        var width = 1
        var space = false
        if b < 0x80 {
            space = isASCIISpace(b)
        } else {
            width = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            width = min(width, s.count - i)
            space = isUnicodeSpace(UnsafeBufferPointer(rebasing: s[i..<(i + width)]))
        }
        if space {
            pendingSpace = !out.isEmpty
        } else {
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s[i..<(i + width)]))
        }
        i += width
    }
    return String(decoding: out, as: UTF8.self)
}

/// Non-ASCII characters Python's `\s` and `str.isspace()` count as white space.
func isUnicodeSpace(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let scalar = String(decoding: utf8, as: UTF8.self).unicodeScalars.first else { return false }
    switch scalar.value {
    case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}
