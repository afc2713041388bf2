// Shapes: n values summed; W = 8 lanes (torch's Vectorized<float> in its sum kernel), 4-way ILP.
import Foundation

/// PyTorch's CPU float32 sum and mean, in exactly its order of additions, so the nested-absmax
/// offset of double quantisation (`absmax.mean()` in bitsandbytes) comes out bit for bit.
///
/// torch sums float32 in float32 (no wider accumulator) with a "cascade" sum: the data is read as
/// 8-float vectors, the vectors as 4 interleaved rows, and each row's running sums are folded up
/// through 4 levels every 2^p steps (p = max(4, ⌈log2 size⌉ / 4)), so only partial sums of similar
/// size meet. Leftover vectors, leftover floats and the 8 lanes are added last, in a fixed order.
/// Above 32,768 values torch splits the sum over its threads (one contiguous chunk each) and adds
/// the per-thread results, so from that size on the result depends on torch's thread count.
// reference: PyTorch aten/src/ATen/native/cpu/SumKernel.cpp (cascade_sum, vectorized_inner_sum,
// row_sum, multi_row_sum), TensorIteratorReduce.cpp (two_pass_reduction), ReduceOps.cpp (mean =
// sum / n); checked against torch 2.15 CPU for every size 1...299 and up to 704,512 values with
// 1, 2 and 3 threads (Tests/Fixtures/make_quant_bnb.py writes such cases).
public enum TorchSum {
    /// Values one torch thread sums alone (`at::internal::GRAIN_SIZE`).
    public static let grainSize = 32768
    /// Floats per vector in torch's float sum kernel (its 256-bit `Vectorized<float>` width).
    static let lanes = 8

    /// Σ values as `torch.sum` computes it on the CPU with `threads` intra-op threads.
    public static func sum(_ values: UnsafeBufferPointer<Float>, threads: Int = 1) -> Float {
        let n = values.count
        guard threads > 1, n >= grainSize else { return serialSum(values) }
        // two_pass_reduction: one partial per thread (zero for threads without a chunk), then
        // those partials summed by the same kernel.
        let used = min(threads, (n + grainSize - 1) / grainSize)
        let chunk = (n + used - 1) / used
        var partials = [Float](repeating: 0, count: threads)
        for t in 0..<used where t * chunk < n {
            let lo = t * chunk, hi = min(n, lo + chunk)
            partials[t] = 0 + serialSum(UnsafeBufferPointer(rebasing: values[lo..<hi]))
        }
        return partials.withUnsafeBufferPointer { serialSum($0) }
    }

    /// The mean as `torch.mean` computes it: the sum above divided by the count, in float32.
    public static func mean(_ values: [Float], threads: Int = 1) -> Float {
        guard !values.isEmpty else { return .nan }
        return values.withUnsafeBufferPointer { sum($0, threads: threads) } / Float(values.count)
    }

    /// One thread's sum of a contiguous run: vectorised when it holds at least one vector.
    static func serialSum(_ x: UnsafeBufferPointer<Float>) -> Float {
        let n = x.count
        guard n >= lanes else { return rowSum(count: n) { x[$0] } }
        let vectors = n / lanes
        let v = rowSum(count: vectors) { i -> SIMD8<Float> in
            SIMD8<Float>(UnsafeBufferPointer(rebasing: x[(i * lanes)..<(i * lanes + lanes)]))
        }
        var acc: Float = 0
        for k in (vectors * lanes)..<n { acc += x[k] }
        for k in 0..<lanes { acc += v[k] }
        return 0 + acc  // the output starts at zero and the kernel adds into it
    }

    /// `row_sum`: the run read as rows of 4 (interleaved partial sums), leftovers into the first.
    static func rowSum<V: SumLane>(count: Int, load: (Int) -> V) -> V {
        let ilp = 4, rows = count / ilp
        var p = multiRowSum(size: rows) { i, k in load(i * ilp + k) }
        for i in (rows * ilp)..<count { p.0 = p.0 + load(i) }
        return ((p.0 + p.1) + p.2) + p.3
    }

    /// `multi_row_sum` with 4 rows and 4 levels: level 0 takes 2^p values, then is folded upward
    /// until a level whose step count is not yet a multiple of its span.
    static func multiRowSum<V: SumLane>(size: Int, load: (Int, Int) -> V) -> (V, V, V, V) {
        let levels = 4
        let ceilLog2 = size <= 1 ? 0 : Int.bitWidth - (size - 1).leadingZeroBitCount
        let power = max(4, ceilLog2 / levels), step = 1 << power, mask = step - 1
        var acc = [[V]](repeating: [V](repeating: .zero, count: 4), count: levels)
        var i = 0
        while i + step <= size {
            for _ in 0..<step {
                for k in 0..<4 { acc[0][k] = acc[0][k] + load(i, k) }
                i += 1
            }
            for j in 1..<levels {
                for k in 0..<4 {
                    acc[j][k] = acc[j][k] + acc[j - 1][k]
                    acc[j - 1][k] = .zero
                }
                if i & (mask << (j * power)) != 0 { break }
            }
        }
        while i < size {
            for k in 0..<4 { acc[0][k] = acc[0][k] + load(i, k) }
            i += 1
        }
        for j in 1..<levels { for k in 0..<4 { acc[0][k] = acc[0][k] + acc[j][k] } }
        return (acc[0][0], acc[0][1], acc[0][2], acc[0][3])
    }
}

/// A float or a vector of floats added lane by lane in float32 (what the cascade sums hold).
protocol SumLane {
    static var zero: Self { get }
    static func + (a: Self, b: Self) -> Self
}

extension Float: SumLane {}
extension SIMD8: SumLane where Scalar == Float {}
