import Foundation

/// Per-class counts of a labelled set, the sufficient statistics of every metric here.
///
/// Shape legend: N rows, K classes (codes 0..<K). A row with truth t and prediction p adds
/// one to `truth[t]`, `predicted[p]`, and to `hits[t]` when t == p. With K ≤ `denseLimit`
/// (and K² small next to N) the full K×K confusion matrix is counted in the same pass
/// (row = truth); otherwise the matrix of the selected classes is counted later by
/// `confusion(selected:)`.
///
/// Rows are split into contiguous chunks counted on separate threads and added in chunk
/// order; every count is an integer, so the result is the same for any thread count.
struct ClassCounts {
    /// Largest K for which the K×K matrix is counted densely during the first pass.
    static let denseLimit = 512
    /// Largest number of cells of a returned confusion matrix (4,096 selected classes).
    static let confusionCellLimit = 1 << 24

    let classCount: Int
    let rows: Int
    var hits: [Int]
    var truth: [Int]
    var predicted: [Int]
    /// K×K, row-major, row = truth; empty when K > denseLimit.
    var matrix: [Int]

    /// Rows where truth equals prediction.
    var correct: Int { hits.reduce(0, +) }

    /// Cores, read once (`activeProcessorCount` reads cgroup files on every call).
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// How many chunks to count `n` rows in: one per core, at least 128 Ki rows each.
    static func chunkCount(_ n: Int) -> Int {
        max(1, min(cores, n / (128 << 10), 64))
    }

    /// Runs `body(c)` for every chunk `c`, on separate threads when there are several.
    /// The bodies must touch disjoint data (their pointers are not Sendable).
    static func forEachChunk(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { f in
            let task = ChunkTask(run: f)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in task.run(c) }
        }
    }

    /// Carries a chunk body across threads; each call works on its own chunk.
    private struct ChunkTask: @unchecked Sendable {
        let run: (Int) -> Void
    }

    /// The half-open row range of chunk `c` of `chunks`.
    static func chunkRange(_ c: Int, of chunks: Int, rows n: Int) -> Range<Int> {
        (n * c / chunks)..<(n * (c + 1) / chunks)
    }

    /// Counts codes in 0..<classCount. Returns the first row whose truth or prediction is
    /// out of range instead, so the caller can say where the bad code is.
    static func count(
        truth t: UnsafeBufferPointer<Int32>, prediction p: UnsafeBufferPointer<Int32>, classCount k: Int
    ) -> Result<ClassCounts, BadRow> {
        let n = t.count
        let chunks = chunkCount(n)
        // Dense only while the per-chunk matrices stay small (≤ 32 MiB in all) and are not
        // much larger than the rows they count.
        let dense = k <= denseLimit && k * k * chunks <= 1 << 22 && k * k <= 16 * n + 4096
        // Per chunk: [hits K | truth K | predicted K] or the dense K×K matrix.
        let width = dense ? k * k : 3 * k
        var partial = [Int](repeating: 0, count: chunks * width)
        var bad = [Int](repeating: Int.max, count: chunks)
        partial.withUnsafeMutableBufferPointer { part in
            bad.withUnsafeMutableBufferPointer { badRows in
                let work = { (c: Int) in
                    let range = chunkRange(c, of: chunks, rows: n)
                    let out = part.baseAddress! + c * width
                    let limit = UInt32(truncatingIfNeeded: k)
                    if dense {
                        for i in range {
                            let a = UInt32(bitPattern: t[i]), b = UInt32(bitPattern: p[i])
                            if a >= limit || b >= limit { badRows[c] = i; return }
                            out[Int(a) &* k &+ Int(b)] &+= 1
                        }
                    } else {
                        for i in range {
                            let a = UInt32(bitPattern: t[i]), b = UInt32(bitPattern: p[i])
                            if a >= limit || b >= limit { badRows[c] = i; return }
                            out[k + Int(a)] &+= 1
                            out[2 * k + Int(b)] &+= 1
                            if a == b { out[Int(a)] &+= 1 }
                        }
                    }
                }
                forEachChunk(chunks, work)
            }
        }
        if let first = bad.min(), first != Int.max { return .failure(BadRow(row: first)) }
        var counts = ClassCounts(
            classCount: k, rows: n, hits: [Int](repeating: 0, count: k),
            truth: [Int](repeating: 0, count: k), predicted: [Int](repeating: 0, count: k), matrix: [])
        if dense {
            var m = [Int](repeating: 0, count: k * k)
            for c in 0..<chunks {
                for j in 0..<(k * k) { m[j] += partial[c * width + j] }
            }
            for a in 0..<k {
                counts.hits[a] = m[a * k + a]
                for b in 0..<k {
                    let v = m[a * k + b]
                    counts.truth[a] += v
                    counts.predicted[b] += v
                }
            }
            counts.matrix = m
        } else {
            for c in 0..<chunks {
                let base = c * width
                for a in 0..<k {
                    counts.hits[a] += partial[base + a]
                    counts.truth[a] += partial[base + k + a]
                    counts.predicted[a] += partial[base + 2 * k + a]
                }
            }
        }
        return .success(counts)
    }

    /// The confusion matrix over `selected` (class codes, or -1 for a label absent from
    /// the data), rows = truth, in `selected` order; rows whose truth or prediction is not
    /// selected are left out, as scikit-learn's `confusion_matrix(labels=...)` does.
    /// `nil` when the matrix would exceed `confusionCellLimit` cells.
    func confusion(
        selected: [Int], truth t: UnsafeBufferPointer<Int32>, prediction p: UnsafeBufferPointer<Int32>
    ) -> [[Int]]? {
        let s = selected.count
        guard s * s <= Self.confusionCellLimit else { return nil }
        var out = [[Int]](repeating: [Int](repeating: 0, count: s), count: s)
        if !matrix.isEmpty {
            for (i, a) in selected.enumerated() where a >= 0 {
                for (j, b) in selected.enumerated() where b >= 0 {
                    out[i][j] = matrix[a * classCount + b]
                }
            }
            return out
        }
        // Sparse case: map codes to their position among the selected classes.
        var position = [Int](repeating: -1, count: classCount)
        for (i, a) in selected.enumerated() where a >= 0 { position[a] = i }
        var flat = [Int](repeating: 0, count: s * s)
        for r in 0..<t.count {
            let i = position[Int(t[r])], j = position[Int(p[r])]
            if i >= 0 && j >= 0 { flat[i * s + j] += 1 }
        }
        for i in 0..<s { out[i] = Array(flat[(i * s)..<((i + 1) * s)]) }
        return out
    }

    /// The first row holding a code outside 0..<K.
    struct BadRow: Error { let row: Int }
}
