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
        /// Re-reads of the input made to write the clusters file.
        public var clusterPasses = 0
        /// Bytes held by the kept-row sets at the end (grows with kept rows only).
        public var setBytes = 0
    }

    /// Deduplicates `reader`'s rows by their `textField`, writing kept rows (unchanged,
    /// in input order) to `keptWriter` and the duplicate clusters to `clustersWriter`
    /// (see `ClusterWriter` for the format), either writer optional.
    ///
    /// Writing clusters re-reads the input through `reopen` (once per window of clusters
    /// whose texts fit in `clusterMemoryBytes`) and spills one 16-byte record per
    /// duplicate to a hidden temporary file next to the clusters file (deleted before
    /// returning). The writers are NOT committed here: the caller commits both after a
    /// successful return, so an error leaves no output behind.
    ///
    /// A row without the text field (or whose value is not a string) stops the run with
    /// `TextError.data` naming the file, line and field.
    public static func run(
        input reader: inout RowReader, reopen: () throws -> RowReader, textField: String, options: Options,
        threads: Int, keptWriter: AtomicWriter?, clustersWriter: AtomicWriter?, clusterMemoryBytes: Int = 256 << 20
    ) throws -> Summary {
        var dedup = try Deduplicator(options: options)
        var log: DuplicateLog? = nil
        if let clustersWriter {
            log = try DuplicateLog(directory: (clustersWriter.path as NSString).deletingLastPathComponent)
        }
        defer { log?.remove() }
        // Per kept row: bytes its cluster will need in a writing window (0: no cluster).
        var clusterBytes: [UInt64] = []
        var clusters = 0
        let path = reader.path
        while let batch = try reader.nextBatch() {
            let texts = try Deduplicator.texts(of: batch, field: textField, path: path, threads: threads)
            let verdicts = try dedup.decide(texts, lines: batch.map(\.line), threads: threads)
            if clusterBytes.count < dedup.kept { clusterBytes.append(contentsOf: repeatElement(0, count: dedup.kept - clusterBytes.count)) }
            for (i, v) in verdicts.enumerated() {
                if v.isKeep {
                    try keptWriter?.write(row: batch[i])
                    continue
                }
                let k = Int(v.kept)
                // JSON text plus quotes and a little escaping, and the member's bookkeeping.
                let cost = UInt64(texts[i].utf8.count + 8 + ClusterWriter.memberOverhead)
                if clusterBytes[k] == 0 {
                    clusters += 1
                    clusterBytes[k] = cost  // the kept row's text, estimated by its first duplicate's
                }
                clusterBytes[k] += cost
                try log?.append(line: batch[i].line, kept: v.kept, kind: v.kind)
            }
        }
        var summary = Summary(
            rowsIn: dedup.rowsIn, kept: dedup.kept, exactDuplicates: dedup.exactDuplicates,
            nearDuplicates: dedup.nearDuplicates, clusters: clusters, bands: dedup.bands, rows: dedup.rows,
            bytesIn: reader.bytesRead, invalidUTF8Lines: reader.invalidUTF8Lines, blankLines: reader.blankLines,
            setBytes: dedup.memoryBytes)
        if let clustersWriter, var log {
            try log.flush()
            summary.clusterPasses = try ClusterWriter.write(
                log: log, keptLines: dedup.keptLines, clusterBytes: clusterBytes, reopen: reopen,
                textField: textField, memoryBudget: clusterMemoryBytes, to: clustersWriter)
        }
        return summary
    }
}
