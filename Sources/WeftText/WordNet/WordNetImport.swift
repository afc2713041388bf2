import Foundation

/// The `wordnet-import` producer: turns a WordNet 3.0 database into the offline corpus
/// of the default pipeline, byte for byte what the benchmark tool
/// `bench/data/wordnet_corpus.py` writes, so benchmarks and pipeline see one corpus:
///
/// - `corpus.txt`: one line per synset gloss (definition and quoted examples, runs of
///   white space collapsed), files in the order noun, verb, adj, adv, synsets in
///   offset order;
/// - `supersense.jsonl`: `{"text": gloss, "label": lexname}` per synset;
/// - `definitions.jsonl`: one row per (word, synset): `{"word", "pos", "lexname",
///   "definition", "examples", "offset"}`, the word with '_' → ' ' and no adjective
///   marker, `pos` the synset type (n, v, a, s, r), `offset` the 8-digit synset offset.
///
/// JSON is written as Python's `json.dumps(..., ensure_ascii=False)` writes it
/// (", " and ": " separators, UTF-8 text). Each file goes to a temporary next to it and
/// is renamed into place only after all three are complete.
public enum WordNetImport {
    /// The three output file names.
    public static let fileNames = ["definitions.jsonl", "supersense.jsonl", "corpus.txt"]

    /// What an import wrote, for the stage's metrics (Codable, so it can be written as
    /// metrics.json directly).
    public struct Summary: Sendable, Equatable, Codable {
        /// One label and its number of synsets.
        public struct LabelCount: Sendable, Equatable, Codable {
            public var label: String
            public var count: Int
        }
        /// One written file.
        public struct FileSummary: Sendable, Equatable, Codable {
            public var name: String
            public var lines: Int
            public var bytes: Int
        }
        /// Synsets written (those with a gloss; all 117,659 in WordNet 3.0).
        public var synsets: Int = 0
        /// Synsets per synset type letter (n, v, a, s, r).
        public var synsetsByType: [String: Int] = [:]
        /// Rows of definitions.jsonl (one per word of each synset).
        public var definitionRows: Int = 0
        /// Synsets skipped because their gloss is empty.
        public var skippedWithoutGloss: Int = 0
        /// Supersense labels, most frequent first (ties in first-seen order).
        public var labels: [LabelCount] = []
        /// The files written, in `fileNames` order.
        public var files: [FileSummary] = []
    }

    /// Writes the three files into `folder` (created if missing) from `wordnet`.
    @discardableResult
    public static func run(wordnet: WordNet, into folder: String) throws -> Summary {
        try AtomicWriter.makeDirs(folder)
        let writers = try fileNames.map { try AtomicWriter(path: folder + "/" + $0) }
        let (definitions, supersense, corpus) = (writers[0], writers[1], writers[2])
        var summary = Summary()
        var labelCounts: [String: Int] = [:]
        var labelOrder: [String] = []
        var lineCounts = [0, 0, 0]
        var def: [UInt8] = []
        var sup: [UInt8] = []
        var cor: [UInt8] = []
        def.reserveCapacity(1 << 20)
        sup.reserveCapacity(1 << 18)
        cor.reserveCapacity(1 << 17)
        try wordnet.forEachSynset { synset in
            guard !synset.gloss.isEmpty else {
                summary.skippedWithoutGloss += 1
                return
            }
            let text = Array(synset.gloss.utf8)
            cor.append(contentsOf: text)
            cor.append(0x0A)
            sup.append(contentsOf: #"{"text": "#.utf8)
            PythonJSON.appendString(text, to: &sup)
            sup.append(contentsOf: #", "label": "#.utf8)
            PythonJSON.appendString(Array(synset.lexname.utf8), to: &sup)
            sup.append(contentsOf: "}\n".utf8)
            lineCounts[1] += 1
            lineCounts[2] += 1

            let (definition, examples) = GlossSplit.split(text)
            var tail: [UInt8] = []  // shared by every word of the synset
            tail.append(contentsOf: #", "pos": ""#.utf8)
            tail.append(contentsOf: synset.pos.rawValue.utf8)
            tail.append(contentsOf: #"", "lexname": "#.utf8)
            PythonJSON.appendString(Array(synset.lexname.utf8), to: &tail)
            tail.append(contentsOf: #", "definition": "#.utf8)
            PythonJSON.appendString(definition, to: &tail)
            tail.append(contentsOf: #", "examples": ["#.utf8)
            for (i, e) in examples.enumerated() {
                if i > 0 { tail.append(contentsOf: ", ".utf8) }
                PythonJSON.appendString(e, to: &tail)
            }
            tail.append(contentsOf: #"], "offset": ""#.utf8)
            let digits = String(synset.offset)
            tail.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, 8 - digits.utf8.count)))
            tail.append(contentsOf: digits.utf8)
            tail.append(contentsOf: "\"}\n".utf8)
            for lemma in synset.lemmas {
                def.append(contentsOf: #"{"word": "#.utf8)
                PythonJSON.appendString(lemma.utf8.map { $0 == UInt8(ascii: "_") ? 0x20 : $0 }, to: &def)
                def.append(contentsOf: tail)
                lineCounts[0] += 1
            }
            summary.definitionRows += synset.lemmas.count
            summary.synsets += 1
            summary.synsetsByType[synset.pos.rawValue, default: 0] += 1
            if labelCounts[synset.lexname] == nil { labelOrder.append(synset.lexname) }
            labelCounts[synset.lexname, default: 0] += 1
            if def.count >= 1 << 20 { try definitions.write(def); def.removeAll(keepingCapacity: true) }
            if sup.count >= 1 << 18 { try supersense.write(sup); sup.removeAll(keepingCapacity: true) }
            if cor.count >= 1 << 17 { try corpus.write(cor); cor.removeAll(keepingCapacity: true) }
        }
        try definitions.write(def)
        try supersense.write(sup)
        try corpus.write(cor)
        for w in writers { try w.commit() }
        // Python's Counter.most_common: count descending, ties in insertion order.
        summary.labels = labelOrder.enumerated()
            .sorted { a, b in
                let (ca, cb) = (labelCounts[a.element]!, labelCounts[b.element]!)
                return ca != cb ? ca > cb : a.offset < b.offset
            }
            .map { Summary.LabelCount(label: $0.element, count: labelCounts[$0.element]!) }
        summary.files = zip(fileNames, writers).enumerated().map { i, pair in
            Summary.FileSummary(name: pair.0, lines: lineCounts[i], bytes: pair.1.byteCount)
        }
        return summary
    }
}

/// Splits a gloss into definition and examples as `wordnet_corpus.py` does: the
/// definition is the text before the first double quote that opens a segment (at the
/// start or after a ';'); the rest, outer quotes removed, splits on `"; "` boundaries.
/// Unbalanced quotes are kept as they come.
enum GlossSplit {
    static func split(_ text: [UInt8]) -> (definition: [UInt8], examples: [[UInt8]]) {
        let n = text.count
        // reference: re.search(r'(?:^|;)\s*"', gloss)
        func quoteAfterSpaces(_ i: Int) -> Bool {
            var j = i
            while j < n, isASCIISpace(text[j]) { j += 1 }
            return j < n && text[j] == UInt8(ascii: "\"")
        }
        var start: Int? = nil
        for p in 0..<n {
            if p == 0, quoteAfterSpaces(0) { start = 0; break }
            if text[p] == UInt8(ascii: ";"), quoteAfterSpaces(p + 1) { start = p; break }
        }
        guard let m = start else {
            return (Array(strip(rstripSemicolons(strip(text[...])))), [])
        }
        let definition = strip(rstripSemicolons(strip(text[0..<m])))
        var rest = strip(lstripSemicolons(strip(text[m...])))
        if rest.first == UInt8(ascii: "\"") { rest = rest.dropFirst() }
        if rest.last == UInt8(ascii: "\"") { rest = rest.dropLast() }
        // reference: re.split(r'"\s*;\s*"', rest), then strip each and drop empty ones.
        var examples: [[UInt8]] = []
        var pieceStart = rest.startIndex
        var i = rest.startIndex
        while i < rest.endIndex {
            if rest[i] == UInt8(ascii: "\"") {
                var j = i + 1
                while j < rest.endIndex, isASCIISpace(rest[j]) { j += 1 }
                if j < rest.endIndex, rest[j] == UInt8(ascii: ";") {
                    j += 1
                    while j < rest.endIndex, isASCIISpace(rest[j]) { j += 1 }
                    if j < rest.endIndex, rest[j] == UInt8(ascii: "\"") {
                        let piece = strip(rest[pieceStart..<i])
                        if !piece.isEmpty { examples.append(Array(piece)) }
                        pieceStart = j + 1
                        i = j + 1
                        continue
                    }
                }
            }
            i += 1
        }
        let last = strip(rest[pieceStart...])
        if !last.isEmpty { examples.append(Array(last)) }
        return (Array(definition), examples)
    }

    static func strip(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let f = s.first, isASCIISpace(f) { s = s.dropFirst() }
        while let l = s.last, isASCIISpace(l) { s = s.dropLast() }
        return s
    }

    static func rstripSemicolons(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while s.last == UInt8(ascii: ";") { s = s.dropLast() }
        return s
    }

    static func lstripSemicolons(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while s.first == UInt8(ascii: ";") { s = s.dropFirst() }
        return s
    }
}

/// JSON strings exactly as Python's `json.dumps(..., ensure_ascii=False)` writes them.
enum PythonJSON {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` quoted: `"` `\` and control characters escaped (\n \r \t \b \f by
    /// name, the rest as \u00XX), everything else as UTF-8.
    static func appendString<C: Collection<UInt8>>(_ s: C, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = s.withContiguousStorageIfAvailable { appendEscaped($0, to: &out) }
        if done == nil { Array(s).withUnsafeBufferPointer { appendEscaped($0, to: &out) } }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies runs that need no escape in bulk.
    static func appendEscaped(_ s: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<s.count {
            let b = s[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: s[runStart..<i])) }
            runStart = i + 1
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            }
        }
        if runStart < s.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: s[runStart..<s.count])) }
    }
}
