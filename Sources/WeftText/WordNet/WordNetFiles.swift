/// Parsing of WordNet's index and exception files into the lookup tables `WordNet`
/// keeps in memory.
///
/// reference: wndb(5WN) (index file format), morphy(7WN) (exception lists); NLTK
/// `_load_lemma_pos_offset_map`, `_load_exception_map`.
extension WordNet {
    /// Reads one index file: `lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt
    /// tagsense_cnt synset_offset...`; lines starting with a space are the license.
    static func parseIndex(
        _ file: MappedFile, fileIndex: Int, table: inout ByteKeyTable, offsets: inout [UInt32], ranges: inout [UInt32]
    ) throws {
        let bytes = file.bytes
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            defer { start = end + 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if line.isEmpty || line[0] == 0x20 { continue }
            func fail(_ message: String) -> TextError {
                TextError.data(
                    path: file.path, line: lineNumber, message: message,
                    hint: "the file is not a WordNet 3.0 index file (see wndb(5WN))")
            }
            // Fields are read in place with a cursor (no token arrays: 155,000 lines).
            var cursor = 0
            func next() -> Range<Int>? {
                while cursor < line.count, isASCIISpace(line[cursor]) { cursor += 1 }
                guard cursor < line.count else { return nil }
                let start = cursor
                while cursor < line.count, !isASCIISpace(line[cursor]) { cursor += 1 }
                return start..<cursor
            }
            guard let lemmaField = next(), let posField = next(), let countField = next(),
                let synsetCount = parseUInt(line, countField), synsetCount > 0,
                let pointerField = next(), let pointerCount = parseUInt(line, pointerField)
            else { throw fail("expected lemma, pos, synset_cnt > 0 and p_cnt") }
            for _ in 0..<pointerCount where next() == nil { throw fail("missing pointer symbols") }
            guard let senseField = next(), parseUInt(line, senseField) == synsetCount, next() != nil else {
                throw fail("sense_cnt differs from synset_cnt")
            }
            guard posField.count == 1, let pos = POS(byte: line[posField.lowerBound]), pos != .adjectiveSatellite else {
                throw fail("bad part of speech (expected n, v, a or r)")
            }
            let (entry, inserted) = table.insert(UnsafeBufferPointer(rebasing: line[lemmaField]))
            if inserted { for _ in 0..<8 { ranges.append(0) } }
            let first = offsets.count
            for _ in 0..<synsetCount {
                guard let field = next(), let o = parseUInt(line, field), o <= Int(UInt32.max) else {
                    throw fail("bad or missing synset offset")
                }
                offsets.append(UInt32(o))
            }
            // NLTK keys the entry by the line's own pos field; a repeated lemma replaces.
            ranges[(entry * 4 + pos.fileIndex) * 2] = UInt32(first)
            ranges[(entry * 4 + pos.fileIndex) * 2 + 1] = UInt32(synsetCount)
        }
    }

    /// Reads an exception file: `inflected base [base...]` per line.
    static func parseExceptions(_ file: MappedFile) -> (ByteKeyTable, [[[UInt8]]]) {
        let bytes = file.bytes
        var table = ByteKeyTable(expected: 4096)
        var forms: [[[UInt8]]] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            let t = asciiTokens(line)
            guard let keyRange = t.first else { continue }
            let bases = t.dropFirst().map { Array(line[$0]) }
            let (entry, inserted) = table.insert(UnsafeBufferPointer(rebasing: line[keyRange]))
            if inserted { forms.append(bases) } else { forms[entry] = bases }
        }
        return (table, forms)
    }
}
