import Foundation

/// The `dedup` stage's whole run over one input file.
extension Deduplicator {
    /// Counts of one run.
    public struct Summary: Sendable, Equatable {
        public var rowsIn = 0
        public var kept = 0
        public var exactDuplicates = 0
        public var nearDuplicates = 0
        /// Kept rows with at least one duplicate (lines of the clusters file).
        public var clusters = 0
        /// The banding used (0 when near-duplicate detection is off).
        public var bands = 0
        public var rows = 0
        public var bytesIn = 0
        public var invalidUTF8Lines = 0
        public var blankLines = 0
        /// Windows the clusters file was written in (each one scan of the duplicates'
        /// spill file; the input itself is re-read once).
        public var clusterWindows = 0
        /// Bytes held by the kept-row sets at the end (grows with kept rows only).
        public var setBytes = 0
    }

    /// Deduplicates `reader`'s rows by their `textField`, writing kept rows (unchanged,
    /// in input order) to `keptWriter` and the duplicate clusters to `clustersWriter`
    /// (see `ClusterWriter` for the format), either writer optional.
    ///
    /// Batches of about `batchBytes` of input are hashed on `threads` cores while the
    /// next batch is read. Writing clusters spills each duplicate (16 bytes and its text)
    /// to a hidden temporary file next to the clusters file, re-reads the input once
    /// through `reopen` — which must open the same file with the same reader options — for
    /// the kept texts, and writes windows of clusters whose duplicates' texts fit in
    /// `clusterMemoryBytes` (see `ClusterWriter`); the temporary files are deleted before
    /// returning. The writers are NOT committed here: the caller commits both after a
    /// successful return, so an error leaves no output behind.
    ///
    /// A row without the text field (or whose value is not a string) stops the run with
    /// `TextError.data` naming the file, line and field.
    public static func run(
        input reader: inout RowReader, reopen: () throws -> RowReader, textField: String, options: Options,
        threads: Int, keptWriter: AtomicWriter?, clustersWriter: AtomicWriter?, clusterMemoryBytes: Int = 128 << 20,
        batchBytes: Int = 1 << 22
    ) throws -> Summary {
        var dedup = try Deduplicator(options: options)
        var spill: ClusterSpill? = nil
        if let clustersWriter {
            spill = try ClusterSpill(directory: (clustersWriter.path as NSString).deletingLastPathComponent)
        }
        defer { spill?.remove() }
        // Per kept row: bytes its cluster will need in a writing window (0: no cluster),
        // saturating at 4 GiB (such a cluster gets a window of its own either way).
        var clusterBytes: [UInt32] = []
        var clusters = 0
        let path = reader.path
        var batches = BatchPrefetcher(&reader, batchBytes: batchBytes)
        defer { batches.finish(into: &reader) }
        while let batch = try batches.next() {
            let verdicts = try dedup.decide(batch, textField: textField, path: path, threads: threads)
            if clusterBytes.count < dedup.kept { clusterBytes.append(contentsOf: repeatElement(0, count: dedup.kept - clusterBytes.count)) }
            for (i, v) in verdicts.enumerated() {
                if v.isKeep {
                    try keptWriter?.write(row: batch[i])
                    continue
                }
                let k = Int(v.kept)
                if clusterBytes[k] == 0 { clusters += 1 }
                // The duplicate's JSON text (or its decoded size when not spilled), plus
                // its bookkeeping in a writing window; at least 1 marks "has a cluster".
                let size = try spill?.add(batch[i], field: textField, kept: v.kept, kind: v.kind) ?? Int(v.size)
                let (sum, overflow) = clusterBytes[k].addingReportingOverflow(UInt32(clamping: size + ClusterWriter.memberOverhead))
                clusterBytes[k] = overflow ? .max : sum
            }
        }
        batches.finish(into: &reader)
        var summary = Summary(
            rowsIn: dedup.rowsIn, kept: dedup.kept, exactDuplicates: dedup.exactDuplicates,
            nearDuplicates: dedup.nearDuplicates, clusters: clusters, bands: dedup.bands, rows: dedup.rows,
            bytesIn: reader.bytesRead, invalidUTF8Lines: reader.invalidUTF8Lines, blankLines: reader.blankLines,
            setBytes: dedup.memoryBytes)
        if let clustersWriter, spill != nil {
            summary.clusterWindows = try ClusterWriter.write(
                spill: &spill!, keptLines: dedup.keptLines, clusterBytes: clusterBytes, reopen: reopen,
                textField: textField, memoryBudget: clusterMemoryBytes, to: clustersWriter)
        }
        return summary
    }
}

/// Reads the next batch on another thread while the current one is processed: parsing
/// rows is sequential, so overlapping it with the parallel hashing keeps both cores busy.
/// Batches still arrive in file order, so results do not change.
struct BatchPrefetcher {
    final class Slot: @unchecked Sendable {
        // Only touched by the reading thread between `async` and `wait`, and by the
        // caller outside that window (the group's wait orders the accesses).
        var reader: RowReader
        var result: Result<[Row]?, any Error> = .success(nil)
        init(_ reader: RowReader) { self.reader = reader }
    }

    let slot: Slot
    var group: DispatchGroup? = nil
    var finished = false

    let batchBytes: Int

    /// Takes over `reader` until `finish(into:)` hands it back.
    init(_ reader: inout RowReader, batchBytes: Int) {
        slot = Slot(reader)
        self.batchBytes = batchBytes
    }

    /// The next batch (nil at the end), starting to read the one after it.
    mutating func next() throws -> [Row]? {
        let batch: [Row]?
        if let group {
            group.wait()
            self.group = nil
            batch = try slot.result.get()
        } else {
            batch = try slot.reader.nextBatch(maxBytes: batchBytes)
        }
        guard batch != nil else { return nil }
        let g = DispatchGroup()
        let slot = slot, size = batchBytes
        DispatchQueue.global().async(group: g) { slot.result = Result { try slot.reader.nextBatch(maxBytes: size) } }
        group = g
        return batch
    }

    /// Waits for a read in flight and returns the reader (with its counters) to `reader`.
    mutating func finish(into reader: inout RowReader) {
        group?.wait()
        group = nil
        if !finished {
            reader = slot.reader
            finished = true
        }
    }
}
