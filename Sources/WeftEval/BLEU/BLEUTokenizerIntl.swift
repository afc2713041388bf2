/// sacreBLEU's international tokenizer (mteval-v14) on Unicode scalars.
extension BLEUTokenizer {
    /// Class bits of a scalar for the intl tokenizer: \p{P}, \p{S}, \p{N}.
    static let punctuationBit: UInt32 = 1 << 24, symbolBit: UInt32 = 1 << 25, numberBit: UInt32 = 1 << 26

    /// The scalar with its class bits (Swift's general categories agree with the `regex`
    /// module's for every code point; a fixture test checks it).
    @inline(__always)
    static func classified(_ v: UInt32) -> UInt32 {
        if v < 128 {
            let lo = v < 64
            let bit = UInt64(1) << UInt64(v & 63)
            var c: UInt32 = 0
            if (lo ? 0x8C00_F7EE_0000_0000 : 0x2800_0000_B800_0001) & bit != 0 { c |= punctuationBit }
            if (lo ? 0x7000_0810_0000_0000 : 0x5000_0001_4000_0000) & bit != 0 { c |= symbolBit }
            if lo && 0x03FF_0000_0000_0000 & bit != 0 { c |= numberBit }
            return v | c
        }
        guard let s = Unicode.Scalar(v) else { return v }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return v | punctuationBit
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return v | symbolBit
        case .decimalNumber, .letterNumber, .otherNumber:
            return v | numberBit
        default:
            return v
        }
    }

    /// mteval-v14 international tokenization: punctuation split off unless between
    /// digits, symbols always split off.
    // reference: sacreBLEU 2.6.0 tokenizer_intl (TokenizerV14International)
    func international(_ p: UnsafePointer<UInt8>, _ n: Int) {
        let P = BLEUTokenizer.punctuationBit, S = BLEUTokenizer.symbolBit, N = BLEUTokenizer.numberBit
        var src = scalarsA, dst = scalarsB
        src.count = 0
        src.reserve(n)
        var i = 0
        while i < n {
            let (v, len) = SacreText.decode(p, i)
            src.append(BLEUTokenizer.classified(v))
            i += len
        }
        // Pass 1: `(\P{N})(\p{P})` -> `\1 \2 `.
        dst.count = 0
        dst.reserve(2 * src.count)
        var j = 0
        while j < src.count {
            let x = src[j]
            if j + 1 < src.count && x & N == 0 && src[j + 1] & P != 0 {
                dst.append(x); dst.append(0x20); dst.append(src[j + 1]); dst.append(0x20)
                j += 2
            } else {
                dst.append(x); j += 1
            }
        }
        swap(&src, &dst)
        // Pass 2: `(\p{P})(\P{N})` -> ` \1 \2`.
        dst.count = 0
        dst.reserve(2 * src.count)
        j = 0
        while j < src.count {
            let x = src[j]
            if j + 1 < src.count && x & P != 0 && src[j + 1] & N == 0 {
                dst.append(0x20); dst.append(x); dst.append(0x20); dst.append(src[j + 1])
                j += 2
            } else {
                dst.append(x); j += 1
            }
        }
        swap(&src, &dst)
        // Pass 3: `(\p{S})` -> ` \1 `, then back to UTF-8.
        let out = bufferA
        out.count = 0
        out.reserve(4 * src.count)
        for j in 0..<src.count {
            let x = src[j]
            let v = x & 0x1F_FFFF
            if x & S != 0 {
                out.append(0x20); SacreText.encode(v, into: out); out.append(0x20)
            } else {
                SacreText.encode(v, into: out)
            }
        }
        split(out)
    }
}
