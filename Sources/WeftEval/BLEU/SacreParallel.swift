import Dispatch
import WeftText

/// Splits `0..<count` into contiguous slices run on separate threads, each adding into its
/// own row of integer accumulators; rows are then summed in slice order. Integer sums do
/// not depend on the grouping, so results are the same for any thread count.
enum SacreParallel {
    /// Below this many segments per slice (~0.1 ms of work) a second thread is not worth starting.
    static let minimumPerSlice = 128

    /// The thread count `threads` asks for (0 or less: every core).
    static func resolve(_ threads: Int) -> Int {
        threads > 0 ? threads : ParallelMap.defaultThreads
    }

    /// Calls `body(range, row)` for each slice, where `row` points to `width` zeroed
    /// integers owned by that slice, and returns the element-wise sum of the rows.
    static func sum(
        count: Int, width: Int, threads: Int,
        _ body: (Range<Int>, UnsafeMutablePointer<Int>) -> Void
    ) -> [Int] {
        let slices = max(1, min(resolve(threads), count / minimumPerSlice))
        let rows = UnsafeMutablePointer<Int>.allocate(capacity: slices * width)
        defer { rows.deallocate() }
        rows.initialize(repeating: 0, count: slices * width)
        forEachSlice(count: count, slices: slices) { k, range in body(range, rows + k * width) }
        var total = Array(repeating: 0, count: width)
        for k in 0..<slices {
            for j in 0..<width { total[j] += rows[k * width + j] }
        }
        return total
    }

    /// Calls `body(slice, range)` for `slices` contiguous ranges covering `0..<count`,
    /// concurrently when there is more than one.
    static func forEachSlice(count: Int, slices: Int, _ body: (Int, Range<Int>) -> Void) {
        if slices <= 1 {
            body(0, 0..<count)
            return
        }
        // Each slice touches only its own range and its own accumulators, so sharing the
        // closure across threads is safe.
        withoutActuallyEscaping(body) { f in
            let shared = SacreUnchecked(f)
            DispatchQueue.concurrentPerform(iterations: slices) { k in
                shared.value(k, count * k / slices..<count * (k + 1) / slices)
            }
        }
    }

    /// The slice count `forEachSlice` should use for `count` items on `threads`.
    static func sliceCount(count: Int, threads: Int) -> Int {
        max(1, min(resolve(threads), count / minimumPerSlice))
    }
}

/// Carries a non-Sendable value into a concurrent loop whose iterations touch disjoint data.
struct SacreUnchecked<V>: @unchecked Sendable {
    let value: V
    init(_ value: V) { self.value = value }
}
