// Shapes: N rows, I in features, O out features; W [O, I] row-major (Hugging Face layout);
// R rows of W per tile, S columns of W per stripe (backward).
import Foundation

/// A frozen weight held quantised: NF4 (bitsandbytes' 4-bit layout) or int8 row-wise.
public enum QuantizedWeight: Sendable, Equatable {
    case nf4(NF4Tensor)
    case int8(Int8RowwiseTensor)

    /// The weight's shape, [O, I].
    public var shape: [Int] {
        switch self { case .nf4(let t): return t.shape; case .int8(let t): return t.shape }
    }

    /// Number of weight values.
    public var count: Int { shape.reduce(1, *) }

    /// Bytes held: packed codes plus every state (absmax, nested codes and absmax, offset; row stats).
    public var storageBytes: Int {
        switch self {
        case .nf4(let t):
            if let q = t.nested { return t.packed.count + q.codes.count + 4 * q.absmax.count + 4 }
            return t.packed.count + 4 * (t.absmax?.count ?? 0)
        case .int8(let t):
            return t.codes.count + 4 * t.rowStats.count
        }
    }

    /// The full dequantised weight (bitsandbytes' `dequantize_4bit` / `int8_vectorwise_dequant` values).
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let cols = shape.last ?? 1
        out.withUnsafeMutableBufferPointer { o in
            guard let base = o.baseAddress else { return }
            dequantize(rows: 0..<(count / cols), cols: 0..<cols, into: base, ld: cols)
        }
        return out
    }

    /// Writes W[rows, cols] into `out` (row-major, leading dimension `ld`), bit-identical to the
    /// full dequantisation; callers pass ranges inside the shape.
    public func dequantize(rows: Range<Int>, cols: Range<Int>, into out: UnsafeMutablePointer<Float>, ld: Int) {
        let width = shape.last ?? 1
        switch self {
        case .nf4(let t):
            t.packed.withUnsafeBufferPointer { p in
                for r in rows {
                    NF4Kernel.dequantize(t, packed: p, from: r * width + cols.lowerBound, to: r * width + cols.upperBound,
                                         into: out + (r - rows.lowerBound) * ld)
                }
            }
        case .int8(let t):
            // reference: bitsandbytes 0.50.2 int8_vectorwise_dequant: (A · stats) · fp32(1/127)
            let inv = Float(7.874015718698502e-3)
            t.codes.withUnsafeBufferPointer { c in
                for r in rows {
                    let s = t.rowStats[r], src = c.baseAddress! + r * width, dst = out + (r - rows.lowerBound) * ld
                    for j in cols { dst[j - cols.lowerBound] = Float(src[j]) * s * inv }
                }
            }
        }
    }
}

/// The NF4 decoding loop, two values per packed byte.
enum NF4Kernel {
    /// (high-nibble value, low-nibble value) for every byte.
    static let pairs: [SIMD2<Float>] = (0..<256).map { SIMD2(NF4.code[$0 >> 4], NF4.code[$0 & 15]) }

    /// Dequantises flat values [lo, hi) into `out[0..<hi-lo]`.
    @inline(__always)
    static func dequantize(_ t: NF4Tensor, packed p: UnsafeBufferPointer<UInt8>, from lo: Int, to hi: Int, into out: UnsafeMutablePointer<Float>) {
        let bs = t.blocksize
        var i = lo
        pairs.withUnsafeBufferPointer { pairs in
            while i < hi {
                let blk = i / bs, end = Swift.min(hi, (blk + 1) * bs)
                let scale = t.blockAbsmax(blk)
                if i & 1 == 1 { out[i - lo] = NF4.code[Int(p[i >> 1] & 15)] * scale; i += 1 }
                let o = out + (i - lo)
                var k = 0
                let pairsInBlock = (end - i) >> 1
                let src = p.baseAddress! + (i >> 1)
                while k < pairsInBlock {
                    let v = pairs[Int(src[k])] * scale
                    o[2 * k] = v[0]; o[2 * k + 1] = v[1]
                    k += 1
                }
                i += 2 * pairsInBlock
                if i < end { out[i - lo] = NF4.code[Int(p[i >> 1] >> 4)] * scale; i += 1 }
            }
        }
    }
}

/// Matrix products with a quantised weight, dequantised tile by tile into a scratch buffer and
/// handed to `BLAS.gemm`: the full fp32 matrix never exists. Tiles go one after another; each is
/// dequantised by all cores (disjoint rows) and its product is split over the cores by
/// `BLAS.gemm` as an fp32 product is. (Giving each core its own tiles instead made every core
/// pack the whole of x for its own product: QLoRA ran at 0.66× of fp32 LoRA that way.)
public enum QuantizedMatmul {
    /// Scratch values per tile and core (the tile holds `cores` × this): 128 K floats = 512 KiB a
    /// core. Dequantising costs under 1% of the product (0.15 ms for a 688×256 NF4 weight vs
    /// ~28 ms for its 2048-row product on one core), so the tile is sized for the product: wide
    /// enough that OpenBLAS's packing of x is amortised, small enough to stay in cache.
    nonisolated(unsafe) public static var tileElements = 1 << 17
    /// Fewest rows of W per tile (with the default tile size), so very wide layers still get
    /// products OpenBLAS runs well.
    static let minTileRows = 64

    /// Rows of W per tile for rows of `width` values; `tile` overrides the element budget.
    static func rowsPerTile(width: Int, rows: Int, tile: Int?) -> Int {
        let budget = tile ?? tileElements * max(1, BLAS.parallelism.value)
        return max(1, min(rows, max(tile == nil ? minTileRows : 1, budget / max(width, 1))))
    }

    /// Dequantises rows `r..<r+rows` of W (all columns) into `tile`, the rows shared out over the cores.
    static func dequantize(_ w: QuantizedWeight, rows r: Int, count rows: Int, width: Int, into tile: UnsafeMutablePointer<Float>) {
        let cores = max(1, min(BLAS.parallelism.value, rows / 16))
        let task = UncheckedSendable(tile)
        DispatchQueue.concurrentPerform(iterations: cores) { c in
            let lo = rows * c / cores, hi = rows * (c + 1) / cores
            guard lo < hi else { return }
            w.dequantize(rows: (r + lo)..<(r + hi), cols: 0..<width, into: task.value + lo * width, ld: width)
        }
    }

    /// Calls `body(first row, rows, tile)` for W's rows tile by tile, each tile dequantised first.
    static func forEachTile(_ w: QuantizedWeight, rows o: Int, width i: Int, tile: Int?,
                            _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let per = rowsPerTile(width: i, rows: o, tile: tile)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: per * i)
        defer { scratch.deallocate() }
        var r = 0
        while r < o {
            let rows = min(per, o - r)
            dequantize(w, rows: r, count: rows, width: i, into: scratch)
            body(r, rows, scratch)
            r += rows
        }
    }

    /// y[N,O] = x[N,I]·Wᵀ (+ b[O]); `tile` overrides the tile's element budget.
    public static func forward(_ x: UnsafePointer<Float>, _ w: QuantizedWeight, _ b: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, n: Int, i: Int, o: Int, tile: Int? = nil) {
        forEachTile(w, rows: o, width: i, tile: tile) { r, rows, scratch in
            BLAS.gemm(x, scratch, y + r, m: n, n: rows, k: i, transB: true, ldc: o)
        }
        guard let b else { return }
        for r in 0..<n { let row = y + r * o; for j in 0..<o { row[j] += b[j] } }
    }

    /// dx[N,I] = dy[N,O]·W, or dx += dy·W with `accumulate` (`tile` overrides the tile's element
    /// budget): W's rows in tiles, each tile's product added into dx.
    public static func backwardInput(_ dy: UnsafePointer<Float>, _ w: QuantizedWeight, _ dx: UnsafeMutablePointer<Float>,
                                     n: Int, i: Int, o: Int, accumulate: Bool, tile: Int? = nil) {
        forEachTile(w, rows: o, width: i, tile: tile) { r, rows, scratch in
            BLAS.gemm(dy + r, scratch, dx, m: n, n: i, k: rows, beta: (r == 0 && !accumulate) ? 0 : 1, lda: o, ldb: i, ldc: i)
        }
    }
}
