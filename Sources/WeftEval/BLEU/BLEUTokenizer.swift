/// Turns one segment into BLEU's tokens exactly as sacreBLEU 2.6.0 does: optional Python
/// `lower()`, `rstrip()`, then the `none`, `13a`, `intl` or `char` tokenizer, then
/// `split()`. One instance per thread; it reuses its buffers across segments.
///
/// The tokenizers are regex substitutions applied one after another in sacreBLEU; each
/// is reproduced as one left-to-right pass with the same non-overlapping matching, so the
/// spaces a pass inserts are seen by the next one as they are there. The 13a passes run
/// on UTF-8 bytes: every character they test for is ASCII, and a byte-wise scan finds
/// the same matches as a scan over code points.
final class BLEUTokenizer {
    let tokenize: BLEUTokenize
    let lowercase: Bool

    /// Start (byte offset into `text`) and byte length of each token of the last segment.
    let starts = SacreBuffer<Int>(capacity: 256)
    let lengths = SacreBuffer<Int32>(capacity: 256)
    /// The bytes the tokens point into, valid until the next call.
    var text: UnsafePointer<UInt8>

    let lowered = SacreBuffer<UInt8>(capacity: 1024)
    let bufferA = SacreBuffer<UInt8>(capacity: 1024)
    let bufferB = SacreBuffer<UInt8>(capacity: 1024)
    let scalarsA = SacreBuffer<UInt32>(capacity: 512)
    let scalarsB = SacreBuffer<UInt32>(capacity: 512)

    init(tokenize: BLEUTokenize, lowercase: Bool) {
        self.tokenize = tokenize
        self.lowercase = lowercase
        text = UnsafePointer(lowered.base)
    }

    /// The number of tokens of the last segment.
    var count: Int { starts.count }

    /// Tokenizes `line`; the tokens are then in `starts`/`lengths` over `text`.
    func run(_ line: String) {
        sacreWithUTF8(line) { src in
            var p = src.baseAddress ?? UnsafePointer(lowered.base)
            var n = src.count
            if lowercase {
                SacreText.lowercase(p, n, into: lowered)
                p = UnsafePointer(lowered.base)
                n = lowered.count
            }
            n = SacreText.rstrippedLength(p, n)
            switch tokenize {
            case .none: split(own(p, n))
            case .char: characters(own(p, n))
            case .thirteenA:
                if !thirteenAWithoutPeriods(p, n) { thirteenA(p, n) }
            case .intl: international(p, n)
            }
        }
    }

    /// Copies the text into a buffer this tokenizer owns (the caller's may not outlive `run`).
    func own(_ p: UnsafePointer<UInt8>, _ n: Int) -> SacreBuffer<UInt8> {
        if p == UnsafePointer(lowered.base) { lowered.count = n; return lowered }
        bufferA.count = 0
        bufferA.append(p, n)
        return bufferA
    }

    /// Records the whitespace-separated tokens of `buffer` (Python `str.split()`).
    func split(_ buffer: SacreBuffer<UInt8>) {
        starts.count = 0
        lengths.count = 0
        let p = UnsafePointer(buffer.base), n = buffer.count
        text = p
        var i = 0
        while i < n {
            let w = SacreText.spaceLength(p, i, n)
            if w > 0 { i += w; continue }
            let start = i
            i += 1
            while i < n && SacreText.spaceLength(p, i, n) == 0 { i += 1 }
            starts.append(start)
            lengths.append(Int32(i - start))
        }
    }

    // MARK: char

    /// Every non-whitespace character is a token.
    // reference: sacreBLEU 2.6.0 tokenizer_char (" ".join(line), then split())
    func characters(_ buffer: SacreBuffer<UInt8>) {
        starts.count = 0
        lengths.count = 0
        let p = UnsafePointer(buffer.base), n = buffer.count
        text = p
        var i = 0
        while i < n {
            let w = SacreText.spaceLength(p, i, n)
            if w > 0 { i += w; continue }
            let len = p[i] < 0x80 ? 1 : SacreText.decode(p, i).1
            starts.append(i)
            lengths.append(Int32(len))
            i += len
        }
    }

    /// `thirteenAClasses` as a raw table (no bounds or lazy-initialisation checks per byte).
    let classes: UnsafeMutablePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for (i, c) in BLEUTokenizer.thirteenAClasses.enumerated() { t[i] = c }
        return t
    }()

    deinit { classes.deallocate() }
}

/// Runs `body` on the UTF-8 bytes of `s` (copied only when the string is not contiguous).
@inline(__always)
func sacreWithUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
    return Array(s.utf8).withUnsafeBufferPointer(body)
}
