import Foundation

/// Normalisation and shingling of one text for deduplication, into reusable buffers so
/// a worker thread allocates nothing per row once its buffers have grown.
///
/// Normalisation (on by default) makes texts that differ only in case or spacing equal:
/// lowercase (an ASCII fast path; `String.lowercased()` — full Unicode case mapping —
/// when the text has any non-ASCII byte), every run of white space (Unicode
/// `White_Space`, which on ASCII is space and \t \n \v \f \r) becomes one space, and
/// leading/trailing white space goes. Unicode NFC is the clean stage's job upstream.
struct DedupText {
    /// The normalised (or raw) UTF-8 bytes are `bytes[0..<count]`; at least 8 more bytes
    /// follow, so hashing can load whole words past the end.
    var bytes: [UInt8] = []
    var count = 0
    /// Whether `bytes` is all ASCII (characters are then bytes).
    var isASCII = true
    /// The 32-bit shingle hashes of the last `shingle` call.
    var hashes: [UInt32] = []
    /// Scratch: character start offsets (non-ASCII char shingles) or word hashes.
    var starts: [Int] = []
    var words: [UInt64] = []
    /// Scratch: a JSON string value with its escapes decoded.
    var unescaped: [UInt8] = []
    /// Scratch: the Unicode path's normalised text.
    var lowered: [UInt8] = []

    init() {
        bytes.reserveCapacity(4096)
        hashes.reserveCapacity(4096)
    }

    /// Loads `text` into `bytes`, normalised when `normalize` is set.
    mutating func load(_ text: String, normalize: Bool) {
        var text = text
        text.withUTF8 { load(utf8: $0, normalize: normalize) }
    }

    /// Loads the string value of `row[field]` (raw JSON bytes are read in place, without
    /// making a `String`); returns false when the field is missing or not a string.
    mutating func load(_ row: Row, field: String, normalize: Bool) -> Bool {
        guard let i = row.keys.firstIndex(of: field) else { return false }
        switch row.values[i] {
        case .string(let s):
            load(s, normalize: normalize)
            return true
        case .raw(let r):
            return row.source.withUnsafeBufferPointer { buf -> Bool in
                guard buf[r.lowerBound] == UInt8(ascii: "\"") else { return false }
                let inner = (r.lowerBound + 1)..<(r.upperBound - 1)
                if memchr(buf.baseAddress! + inner.lowerBound, Int32(UInt8(ascii: "\\")), inner.count) == nil {
                    load(utf8: UnsafeBufferPointer(rebasing: buf[inner]), normalize: normalize)
                } else {
                    var decoded: [UInt8] = []
                    swap(&decoded, &unescaped)
                    decoded.removeAll(keepingCapacity: true)
                    JSONBytes.unescape(buf, inner, into: &decoded)
                    decoded.withUnsafeBufferPointer { load(utf8: $0, normalize: normalize) }
                    swap(&decoded, &unescaped)
                }
                return true
            }
        }
    }

    /// Loads UTF-8 text into `bytes`, normalised when `normalize` is set.
    mutating func load(utf8 buf: UnsafeBufferPointer<UInt8>, normalize: Bool) {
        let ascii = DedupText.allASCII(buf)
        isASCII = ascii
        if normalize && !ascii {
            lowered.removeAll(keepingCapacity: true)
            DedupText.normalizeUnicode(String(decoding: buf, as: UTF8.self), into: &lowered)
            reserve(lowered.count)
            count = lowered.count
            bytes.withUnsafeMutableBufferPointer { out in
                lowered.withUnsafeBufferPointer { if $0.count > 0 { out.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } }
            }
            return
        }
        reserve(buf.count)
        count = bytes.withUnsafeMutableBufferPointer { out -> Int in
            guard let src = buf.baseAddress else { return 0 }
            if !normalize {
                out.baseAddress!.update(from: src, count: buf.count)
                return buf.count
            }
            return DedupText.normalizeASCII(buf, into: out.baseAddress!)
        }
    }

    /// Grows `bytes` (never shrinks it) to hold `n` bytes plus the 8 bytes of padding
    /// that hashing may load past the end (their values are masked off, so stale bytes
    /// there are harmless).
    @inline(__always) mutating func reserve(_ n: Int) {
        if bytes.count < n + 8 { bytes.append(contentsOf: repeatElement(0, count: n + 8 - bytes.count)) }
    }

    /// The exact-duplicate key of the loaded text.
    func exactHash() -> Hash128 {
        bytes.withUnsafeBufferPointer { Hash128(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    static func allASCII(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buf.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        var acc: UInt64 = 0
        while i + 8 <= buf.count {
            acc |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < buf.count { acc |= UInt64(buf[i]); i += 1 }
        return acc & 0x8080_8080_8080_8080 == 0
    }

    @inline(__always) static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// ASCII fast path: lowercase, collapse and trim in one pass; returns the length.
    ///
    /// Eight bytes at a time (SWAR) while a word holds no control byte and no space
    /// that follows another space — the common case, since single spaces are kept as
    /// they are — else byte by byte: every byte is stored (white space as 0x20) and the
    /// write position only advances past white space that follows a non-space, so runs
    /// collapse to one space. `out` may alias nothing in `buf`; it needs `buf.count` bytes.
    static func normalizeASCII(_ buf: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = buf.baseAddress else { return 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let raw = UnsafeRawPointer(base)
        let end = buf.count
        var n = 0, i = 0
        var previousSpace = true  // drops leading white space
        while i < end {
            if i + 8 <= end {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                // High bit of each byte: ≥ 0x20 (not control), is 0x20, is 'A'...'Z'.
                let printable = (w &+ ones &* 0x60) & highs
                let t = w ^ (ones &* 0x20)
                let spaces = ~(((t & ~highs) &+ ~highs) | t) & highs
                let runs = (spaces & (spaces << 8)) | (previousSpace ? spaces & 0x80 : 0)
                if printable == highs && runs == 0 {
                    let upper = (w &+ ones &* 0x3F) & ~(w &+ ones &* 0x25) & highs
                    UnsafeMutableRawPointer(out + n).storeBytes(of: (w | (upper >> 2)).littleEndian, as: UInt64.self)
                    n += 8
                    i += 8
                    previousSpace = spaces >> 63 != 0
                    continue
                }
            }
            let b = base[i]
            let space = isASCIISpace(b)
            out[n] = space ? 0x20 : b &+ ((b &- 0x41) < 26 ? 0x20 : 0)
            n &+= (space && previousSpace) ? 0 : 1
            previousSpace = space
            i += 1
        }
        if n > 0 && out[n - 1] == 0x20 { n -= 1 }  // one trailing space at most remains
        return n
    }

    /// General path: Unicode lowercase mapping, then collapse and trim white space.
    static func normalizeUnicode(_ text: String, into out: inout [UInt8]) {
        var pendingSpace = false
        for s in text.lowercased().unicodeScalars {
            if s.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(0x20); pendingSpace = false }
            JSONBytes.appendUTF8(s, to: &out)
        }
    }

    /// Fills `hashes` with the 32-bit hashes of the loaded text's shingles: `size`
    /// consecutive characters (Unicode scalars) or words. A text with fewer than `size`
    /// units is one shingle (the whole text, possibly empty), so every text has at least
    /// one shingle and short texts still match their exact copies.
    mutating func shingle(size: Int, unit: Deduplicator.ShingleUnit, key: UInt64) {
        hashes.removeAll(keepingCapacity: true)
        switch unit {
        case .char: charShingles(size: size, key: key)
        case .word: wordShingles(size: size, key: key)
        }
    }

    mutating func charShingles(size: Int, key: UInt64) {
        let n = count
        bytes.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            if isASCII {
                if n <= size {
                    hashes.append(DedupMix.hash32(base, 0, n, key: key))
                    return
                }
                for i in 0...(n - size) { hashes.append(DedupMix.hash32(base, i, size, key: key)) }
                return
            }
            starts.removeAll(keepingCapacity: true)
            for i in 0..<n where buf[i] & 0xC0 != 0x80 { starts.append(i) }
            let chars = starts.count
            starts.append(n)
            if chars <= size {
                hashes.append(DedupMix.hash32(base, 0, n, key: key))
                return
            }
            for i in 0...(chars - size) {
                hashes.append(DedupMix.hash32(base, starts[i], starts[i + size] - starts[i], key: key))
            }
        }
    }

    mutating func wordShingles(size: Int, key: UInt64) {
        words.removeAll(keepingCapacity: true)
        let n = count
        bytes.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            var i = 0
            var wordStart = -1
            while i < n {
                let (isSpace, len) = DedupText.spaceAt(buf, i, n)
                if isSpace {
                    if wordStart >= 0 { words.append(DedupMix.hash64(base, wordStart, i - wordStart, key: key)); wordStart = -1 }
                } else if wordStart < 0 {
                    wordStart = i
                }
                i += len
            }
            if wordStart >= 0 { words.append(DedupMix.hash64(base, wordStart, n - wordStart, key: key)) }
        }
        words.withUnsafeBufferPointer { w in
            if w.count <= size {
                hashes.append(DedupMix.combine(w, key: key))
                return
            }
            for i in 0...(w.count - size) {
                hashes.append(DedupMix.combine(UnsafeBufferPointer(rebasing: w[i..<(i + size)]), key: key))
            }
        }
    }

    /// Whether the scalar at `i` is white space, and its UTF-8 length (the buffer holds
    /// valid UTF-8: it came from a `String`).
    @inline(__always) static func spaceAt(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ n: Int) -> (Bool, Int) {
        let b = buf[i]
        if b < 0x80 { return (isASCIISpace(b), 1) }
        let len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        var v = UInt32(b) & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07)
        for k in 1..<len where i + k < n { v = (v << 6) | (UInt32(buf[i + k]) & 0x3F) }
        let space = Unicode.Scalar(v)?.properties.isWhitespace ?? false
        return (space, len)
    }
}
