import Foundation

/// The nested (double-quantised) form of NF4 block absmax values: 8-bit dynamic codes in blocks of 256.
public struct NF4NestedAbsmax: Sendable, Equatable {
    /// One 8-bit dynamic-map code per NF4 block (bitsandbytes' `absmax` of the outer state).
    public var codes: [UInt8]
    /// One fp32 absmax per 256 codes (bitsandbytes' `state2.absmax`, saved as `nested_absmax`).
    public var absmax: [Float]
    /// The mean of the original absmax values, subtracted before quantising (`offset`).
    public var offset: Float
    /// Codes per nested block (bitsandbytes uses 256).
    public var blocksize: Int = 256
}

/// A weight stored as packed 4-bit NF4 codes with per-block absmax, byte-compatible with bitsandbytes.
public struct NF4Tensor: Sendable, Equatable {
    /// Shape of the original weight.
    public var shape: [Int]
    /// Values per absmax block.
    public var blocksize: Int
    /// Two codes per byte, first value in the high nibble; an odd count ends with code 7 (zero).
    public var packed: [UInt8]
    /// Plain fp32 absmax per block, or nil when `nested` holds them.
    public var absmax: [Float]?
    /// Double-quantised absmax, or nil when `absmax` holds them.
    public var nested: NF4NestedAbsmax?

    /// Number of values in the weight.
    public var count: Int { shape.reduce(1, *) }
    /// Number of absmax blocks (the last may be a shorter tail block).
    public var blockCount: Int { (count + blocksize - 1) / blocksize }

    /// The fp32 absmax of block `b`, decoding the nested form when present.
    @inline(__always) public func blockAbsmax(_ b: Int) -> Float {
        if let a = absmax { return a[b] }
        let nq = nested!
        // reference: bitsandbytes 0.50.2 dequantize_4bit: dequantize_blockwise(...) then += offset, in fp32
        return DynamicMap.code[Int(nq.codes[b])] * nq.absmax[b / nq.blocksize] + nq.offset
    }
}

/// bitsandbytes-exact NF4 quantisation (QLoRA's 4-bit NormalFloat) with optional double quantisation.
public enum NF4 {
    /// The 16 NF4 code values, index = 4-bit code.
    // reference: bitsandbytes 0.50.2 functional.get_4bit_type("nf4")
    public static let code: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]
    /// fp32 midpoints between neighbouring codes; a value equal to a midpoint takes the lower code.
    static let bounds: [Float] = (0..<15).map { (code[$0] + code[$0 + 1]) / 2 }

    @inline(__always) static func encode(_ v: Float) -> UInt8 {
        // torch.bucketize(right=False): the number of bounds strictly below v
        var q: UInt8 = 0
        for b in bounds where b < v { q += 1 }
        return q
    }

    /// Quantises an fp32 weight as `bitsandbytes.functional.quantize_4bit(w, blocksize, compress_statistics:
    /// doubleQuant, quant_type="nf4")` does on the CPU. Any element count works: like bitsandbytes, a last
    /// partial block gets its own absmax and an odd count is padded with one zero code. `torchThreads`
    /// is the torch thread count whose `absmax.mean()` the offset reproduces; it matters only above
    /// 32,768 blocks (torch splits that sum over its threads), and 1 keeps Weft machine-independent.
    public static func quantize(_ values: [Float], shape: [Int], blocksize: Int = 64, doubleQuant: Bool = true,
                                torchThreads: Int = 1) throws -> NF4Tensor {
        guard nf4BlockSizes.contains(blocksize) else {
            throw QuantizeError.invalid("NF4: blocksize \(blocksize) is not one bitsandbytes supports; use one of \(nf4BlockSizes.map(String.init).joined(separator: ", "))")
        }
        let n = try checkedCount(shape, values: values.count, what: "NF4")
        try values.withUnsafeBufferPointer { try checkFinite($0, shape: shape, what: "NF4") }
        let nBlocks = (n + blocksize - 1) / blocksize
        var absmax = [Float](repeating: 0, count: nBlocks)
        var packed = [UInt8](repeating: 0, count: (n + 1) / 2)
        values.withUnsafeBufferPointer { v in
            packed.withUnsafeMutableBufferPointer { out in
                var pending: UInt8 = 0
                for blk in 0..<nBlocks {
                    let lo = blk * blocksize, hi = Swift.min(n, lo + blocksize)
                    var m: Float = 0
                    for i in lo..<hi { m = Swift.max(m, abs(v[i])) }
                    absmax[blk] = m
                    let safe = Swift.max(m, 1e-38)
                    // reference: bitsandbytes 0.50.2 backends/default quantize_4bit: full blocks multiply by
                    // the fp32 reciprocal, the tail block divides
                    let full = hi - lo == blocksize
                    let r: Float = 1 / safe
                    for i in lo..<hi {
                        let s = Swift.min(1, Swift.max(-1, full ? v[i] * r : v[i] / safe))
                        let q = encode(s)
                        if i & 1 == 0 { pending = q << 4 } else { out[i >> 1] = pending | q }
                    }
                }
                if n & 1 == 1 { out[n >> 1] = pending | 7 }
            }
        }
        guard doubleQuant else { return NF4Tensor(shape: shape, blocksize: blocksize, packed: packed, absmax: absmax, nested: nil) }
        // reference: bitsandbytes 0.50.2 functional.quantize_4bit: offset = absmax.mean(),
        // quantize_blockwise(absmax - offset, blocksize=256)
        // torch's fp32 mean in its own order of additions (TorchSum), so the offset and every nested
        // code equal bitsandbytes'
        let offset = TorchSum.mean(absmax, threads: torchThreads)
        let centred = absmax.map { $0 - offset }
        let (codes, nestedMax) = DynamicMap.quantizeBlockwise(centred, blocksize: 256)
        return NF4Tensor(shape: shape, blocksize: blocksize, packed: packed, absmax: nil,
                         nested: NF4NestedAbsmax(codes: codes, absmax: nestedMax, offset: offset))
    }

    /// Dequantises the whole weight to fp32 (bitsandbytes' `dequantize_4bit` values).
    public static func dequantize(_ t: NF4Tensor) throws -> [Float] {
        var out = [Float](repeating: 0, count: t.count)
        try out.withUnsafeMutableBufferPointer { try dequantize(t, blocks: 0..<t.blockCount, into: $0) }
        return out
    }

    /// Dequantises blocks `blocks` into `out` (which receives values `blocks.lowerBound * blocksize` up to
    /// the end of the last block, or of the tensor), so callers never hold the full fp32 matrix.
    public static func dequantize(_ t: NF4Tensor, blocks: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) throws {
        try validate(t)
        guard blocks.lowerBound >= 0, blocks.upperBound <= t.blockCount else {
            throw QuantizeError.invalid("NF4: block range \(blocks) is outside 0..<\(t.blockCount) for shape \(t.shape) with blocksize \(t.blocksize)")
        }
        let n = t.count
        let first = blocks.lowerBound * t.blocksize, end = Swift.min(n, blocks.upperBound * t.blocksize)
        guard out.count >= end - first else {
            throw QuantizeError.invalid("NF4: blocks \(blocks) hold \(end - first) values but the buffer has room for \(out.count); pass a larger buffer")
        }
        t.packed.withUnsafeBufferPointer { p in
            for blk in blocks {
                let scale = t.blockAbsmax(blk)
                let lo = blk * t.blocksize, hi = Swift.min(n, lo + t.blocksize)
                for i in lo..<hi {
                    let byte = p[i >> 1]
                    let q = i & 1 == 0 ? byte >> 4 : byte & 0x0F
                    out[i - first] = code[Int(q)] * scale
                }
            }
        }
    }

    /// Checks that the packed bytes and absmax arrays fit the shape and block size.
    public static func validate(_ t: NF4Tensor) throws {
        guard nf4BlockSizes.contains(t.blocksize) else {
            throw QuantizeError.invalid("NF4: blocksize \(t.blocksize) is not one bitsandbytes supports; use one of \(nf4BlockSizes.map(String.init).joined(separator: ", "))")
        }
        let n = try checkedCount(t.shape, values: t.count, what: "NF4")
        guard t.packed.count == (n + 1) / 2 else {
            throw QuantizeError.invalid("NF4: shape \(t.shape) needs \((n + 1) / 2) packed bytes, got \(t.packed.count)")
        }
        let nb = t.blockCount
        if let a = t.absmax {
            guard a.count == nb else { throw QuantizeError.invalid("NF4: \(nb) blocks need \(nb) absmax values, got \(a.count)") }
        } else if let q = t.nested {
            guard q.codes.count == nb else { throw QuantizeError.invalid("NF4: \(nb) blocks need \(nb) nested absmax codes, got \(q.codes.count)") }
            guard q.blocksize > 0, q.absmax.count == (nb + q.blocksize - 1) / q.blocksize else {
                throw QuantizeError.invalid("NF4: \(nb) absmax codes in nested blocks of \(q.blocksize) need \((nb + q.blocksize - 1) / Swift.max(q.blocksize, 1)) nested absmax values, got \(q.absmax.count)")
            }
        } else {
            throw QuantizeError.invalid("NF4: neither plain nor nested absmax values are set")
        }
    }
}
