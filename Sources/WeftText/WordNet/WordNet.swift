import Foundation

/// A WordNet 3.0 database folder as Debian's `wordnet-base` installs it
/// (`data.*`, `index.*`, `*.exc` for noun, verb, adj, adv), read the way NLTK's
/// `WordNetCorpusReader` reads it, so lookups, lemmas and synonyms equal NLTK's.
///
/// Opening parses the index and exception files (about 6 MB, tens of milliseconds) and
/// maps the data files, which are paged in only where synsets are read. Everything is
/// immutable afterwards: one instance can serve any number of threads.
///
/// reference: wndb(5WN), morphy(7WN), lexnames(5WN); NLTK 3.10.4
/// `nltk/corpus/reader/wordnet.py`.
public final class WordNet: Sendable {
    /// A WordNet part of speech; the raw values are WordNet's and NLTK's letters.
    public enum POS: String, Sendable, CaseIterable, Hashable {
        case noun = "n"
        case verb = "v"
        case adjective = "a"
        /// Adjective satellite: an adjective synset clustered around a head adjective.
        case adjectiveSatellite = "s"
        case adverb = "r"

        init?(byte: UInt8) {
            switch byte {
            case UInt8(ascii: "n"): self = .noun
            case UInt8(ascii: "v"): self = .verb
            case UInt8(ascii: "a"): self = .adjective
            case UInt8(ascii: "s"): self = .adjectiveSatellite
            case UInt8(ascii: "r"): self = .adverb
            default: return nil
            }
        }

        /// Index of the file set holding this part of speech (satellites live in adj).
        var fileIndex: Int {
            switch self {
            case .noun: return 0
            case .verb: return 1
            case .adjective, .adjectiveSatellite: return 2
            case .adverb: return 3
            }
        }
    }

    /// The lexicographer file names of WordNet 3.0, indexed by `lex_filenum`. Debian's
    /// package ships no `lexnames` file, so the documented table is built in.
    /// reference: lexnames(5WN), WordNet 3.0.
    public static let lexnames: [String] = [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
        "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
        "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
        "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
        "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
        "verb.communication", "verb.competition", "verb.consumption", "verb.contact", "verb.creation",
        "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
        "verb.weather", "adj.ppl",
    ]

    /// The folder Debian and Ubuntu install WordNet 3.0 into.
    public static let defaultFolder = "/usr/share/wordnet"

    /// File name stems in NLTK's POS order (also the data-file order of `forEachSynset`).
    static let fileStems = ["noun", "verb", "adj", "adv"]

    /// The database folder.
    public let folder: String
    /// Lemmas of the index files.
    let lemmas: ByteKeyTable
    /// Synset offsets of lemma e in file set k: offsets[start ..< start + count] with
    /// (start, count) = senseRanges[(e * 4 + k) * 2 ...]; count 0 = not in that POS.
    let offsets: [UInt32]
    let senseRanges: [UInt32]
    /// Exception lists per file set: inflected form → base forms (last line wins, as in NLTK).
    let exceptionKeys: [ByteKeyTable]
    let exceptionForms: [[[[UInt8]]]]
    /// data.noun, data.verb, data.adj, data.adv.
    let dataFiles: [MappedFile]

    /// Opens the WordNet 3.0 database in `folder` (default /usr/share/wordnet).
    public init(folder: String = WordNet.defaultFolder) throws {
        self.folder = folder
        var files: [MappedFile] = []
        for stem in Self.fileStems { files.append(try MappedFile(path: folder + "/data." + stem)) }
        dataFiles = files
        var table = ByteKeyTable(expected: 160_000)
        var offsets: [UInt32] = []
        offsets.reserveCapacity(210_000)
        var ranges: [UInt32] = []
        ranges.reserveCapacity(160_000 * 8)
        for (k, stem) in Self.fileStems.enumerated() {
            let file = try MappedFile(path: folder + "/index." + stem)
            try Self.parseIndex(file, fileIndex: k, table: &table, offsets: &offsets, ranges: &ranges)
        }
        lemmas = table
        self.offsets = offsets
        senseRanges = ranges
        var keys: [ByteKeyTable] = []
        var forms: [[[[UInt8]]]] = []
        for stem in Self.fileStems {
            let file = try MappedFile(path: folder + "/" + stem + ".exc")
            let (t, f) = Self.parseExceptions(file)
            keys.append(t)
            forms.append(f)
        }
        exceptionKeys = keys
        exceptionForms = forms
    }

    // MARK: - Lookups

    /// The index entry of a lemma.
    @inline(__always) func entry(_ lemma: UnsafeBufferPointer<UInt8>) -> Int? { lemmas.find(lemma) }

    /// Whether `lemma` has synsets of `pos` in the index (NLTK: `pos in
    /// _lemma_pos_offset_map[lemma]`; every adjective lemma also counts as satellite).
    @inline(__always) func has(_ entry: Int, _ pos: POS) -> Bool {
        senseRanges[(entry * 4 + pos.fileIndex) * 2 + 1] > 0
    }

    /// The synset offsets of an index entry for `pos`, in index (sense) order; for
    /// `.adjectiveSatellite` only the satellites among the adjective offsets.
    func synsetOffsets(_ entry: Int, _ pos: POS) -> [Int] {
        let base = (entry * 4 + pos.fileIndex) * 2
        let start = Int(senseRanges[base])
        let list = offsets[start..<(start + Int(senseRanges[base + 1]))].map { Int($0) }
        guard pos == .adjectiveSatellite else { return list }
        return list.filter { ssType(adjectiveOffset: $0) == .adjectiveSatellite }
    }

    /// The ss_type field of the data.adj line at `offset`.
    func ssType(adjectiveOffset offset: Int) -> POS? {
        let data = dataFiles[2].bytes
        var i = offset
        var field = 0
        while i < data.count, data[i] != 0x0A {
            if data[i] == 0x20 {
                field += 1
            } else if field == 2 {
                return POS(byte: data[i])
            }
            i += 1
        }
        return nil
    }

    /// The synset whose line starts at `offset` of the data file for `pos`, or nil when
    /// no synset line starts there (NLTK warns and yields None).
    public func synset(pos: POS, offset: Int) -> Synset? {
        guard let line = dataLine(pos: pos, offset: offset) else { return nil }
        return try? Synset.parse(line)
    }

    /// The synsets of `lemma` in NLTK's order: `wn.synsets(lemma, pos)` lowercases the
    /// lemma, and for each part of speech (noun, verb, adjective, adverb when `pos` is
    /// nil) takes every base form morphy finds, then each form's synsets in sense order.
    /// A synset reached through two forms appears twice, as in NLTK.
    public func synsets(_ lemma: String, pos: POS? = nil) -> [Synset] {
        synsetLocations(lemma, pos: pos).compactMap { synset(pos: $0.pos, offset: $0.offset) }
    }

    /// Where the synsets of `synsets(lemma, pos:)` are: the part of speech whose data
    /// file holds each one (adjective for satellites, unless `pos` asks for
    /// satellites) and its offset, without parsing them.
    func synsetLocations(_ lemma: String, pos: POS? = nil) -> [(pos: POS, offset: Int)] {
        let lowered = PythonCase.lower(lemma)
        var result: [(pos: POS, offset: Int)] = []
        let parts: [POS] = pos.map { [$0] } ?? [.noun, .verb, .adjective, .adverb]
        for p in parts {
            for form in baseFormBytes(lowered, pos: p) {
                let e = form.withUnsafeBufferPointer { entry($0) }
                guard let e else { continue }
                for offset in synsetOffsets(e, p) { result.append((p, offset)) }
            }
        }
        return result
    }

    /// The data line starting at `offset` in the file for `pos`, if a synset line starts
    /// there (NLTK checks the line begins with the offset as 8 digits).
    func dataLine(pos: POS, offset: Int) -> UnsafeBufferPointer<UInt8>? {
        let data = dataFiles[pos.fileIndex].bytes
        guard offset >= 0, offset + 8 <= data.count else { return nil }
        var v = 0
        for j in 0..<8 {
            let b = data[offset + j]
            guard b >= 0x30, b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        guard v == offset else { return nil }
        var end = offset
        while end < data.count, data[end] != 0x0A { end += 1 }
        return UnsafeBufferPointer(rebasing: data[offset..<end])
    }

    /// Only the lemma names of a synset (cheaper than `synset(pos:offset:)`).
    func lemmaNames(pos: POS, offset: Int) -> [String] {
        guard let line = dataLine(pos: pos, offset: offset) else { return [] }
        var cursor = 0
        func next() -> Range<Int>? {
            while cursor < line.count, line[cursor] == 0x20 { cursor += 1 }
            guard cursor < line.count, line[cursor] != UInt8(ascii: "|") else { return nil }
            let start = cursor
            while cursor < line.count, line[cursor] != 0x20 { cursor += 1 }
            return start..<cursor
        }
        guard next() != nil, next() != nil, next() != nil, let w = next(), let count = parseUInt(line, w, hex: true)
        else { return [] }
        var names: [String] = []
        names.reserveCapacity(count)
        for _ in 0..<count {
            guard let word = next(), next() != nil else { break }
            names.append(Synset.lemmaName(UnsafeBufferPointer(rebasing: line[word])))
        }
        return names
    }

    /// NLTK's synset name, e.g. "dog.n.01": the first lemma lowercased, the synset type,
    /// and the synset's 1-based position among that lemma's senses. Nil when the index
    /// does not list the synset under its first lemma.
    public func name(of synset: Synset) -> String? {
        guard let first = synset.lemmas.first else { return nil }
        var key = Array(PythonCase.lower(first).utf8)
        let e = key.withUnsafeBufferPointer { entry($0) }
        guard let e, has(e, synset.pos), let i = synsetOffsets(e, synset.pos).firstIndex(of: synset.offset) else {
            return nil
        }
        key.append(contentsOf: Array(".\(synset.pos.rawValue).".utf8))
        let n = i + 1
        return String(decoding: key, as: UTF8.self) + (n < 10 ? "0\(n)" : "\(n)")
    }

    /// Calls `body` with every synset, files in the order noun, verb, adj, adv and
    /// synsets in file (offset) order; license lines are skipped. A malformed line
    /// throws, naming file and line.
    public func forEachSynset(_ body: (Synset) throws -> Void) throws {
        for file in dataFiles {
            let bytes = file.bytes
            var lineNumber = 0
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = end + 1
                if line.isEmpty || line[0] == 0x20 { continue }
                let synset: Synset
                do {
                    synset = try Synset.parse(line)
                } catch {
                    throw TextError.data(
                        path: file.path, line: lineNumber, message: error.message,
                        hint: "the file is not a WordNet 3.0 data file (see wndb(5WN))")
                }
                try body(synset)
            }
        }
    }
}
