import Foundation

/// Order-preserving parallel map over a batch: the batch is cut into `threads`
/// contiguous slices, each slice's results land at their own indices, so the output
/// (and every byte written from it) is the same for any thread count.
public enum ParallelMap {
    /// The number of cores to use when a stage says `threads: 0`.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `items.map(transform)`, computed on up to `threads` cores; each slice also gets
    /// its own `State` (counters), returned in slice order for merging.
    public static func map<T, R, State>(
        _ items: [T], threads: Int, state makeState: () -> State, _ transform: (T, inout State) -> R
    ) -> ([R], [State]) {
        let n = items.count
        let slices = max(1, min(threads, n / 64 + 1))
        if slices == 1 {
            var st = makeState()
            return (items.map { transform($0, &st) }, [st])
        }
        var states = (0..<slices).map { _ in makeState() }
        let out = [R](unsafeUninitializedCapacity: n) { buf, count in
            states.withUnsafeMutableBufferPointer { stBuf in
                let outBase = buf.baseAddress!
                let stBase = stBuf.baseAddress!
                items.withUnsafeBufferPointer { inBuf in
                    // Each slice writes only its own outputs and its own state, so sharing
                    // the pointers and the closure across threads is safe.
                    withoutActuallyEscaping(transform) { f in
                        let work = UncheckedBox((outBase, stBase, inBuf, f))
                        DispatchQueue.concurrentPerform(iterations: slices) { k in
                            let (o, s, input, f) = work.value
                            let lo = n * k / slices, hi = n * (k + 1) / slices
                            for i in lo..<hi { (o + i).initialize(to: f(input[i], &s[k])) }
                        }
                    }
                }
            }
            count = n
        }
        return (out, states)
    }
}

/// Carries non-Sendable values into a concurrent loop whose iterations touch disjoint data.
struct UncheckedBox<V>: @unchecked Sendable {
    let value: V
    init(_ value: V) { self.value = value }
}
