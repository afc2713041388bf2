/// Streams an input file through a per-row transform into a JSONL output: batches are
/// read, transformed on several cores (order kept), and appended to an atomic writer,
/// so memory is one batch regardless of file size and a failure leaves no output.
public enum RowPipeline {
    /// Totals of one run.
    public struct Totals: Sendable {
        public var rowsIn = 0
        public var rowsOut = 0
        public var bytesIn = 0
        public var invalidUTF8Lines = 0
        public var blankLines = 0
    }

    /// Runs `transform` over every row of `reader`, writing the rows it returns to
    /// `writer` (nil drops the row). Each of the `threads` slices of a batch has its own
    /// `State`; `merge` folds them in slice order. The first error (in row order) stops
    /// the run; the writer is not committed, so nothing is left behind.
    public static func run<State>(
        _ reader: inout RowReader, into writer: AtomicWriter?, threads: Int,
        state makeState: () -> State, merge: (State) -> Void,
        _ transform: (Row, inout State) throws -> Row?
    ) throws -> Totals {
        var totals = Totals()
        while let batch = try reader.nextBatch() {
            totals.rowsIn += batch.count
            // Rows are also serialised on the workers; this thread only writes bytes.
            let (results, states) = ParallelMap.map(batch, threads: threads, state: makeState) { row, st -> Result<[UInt8]?, any Error> in
                Result {
                    guard let out = try transform(row, &st) else { return nil }
                    var line: [UInt8] = []
                    line.reserveCapacity(out.source.count + 16)
                    out.appendJSON(to: &line)
                    line.append(0x0A)
                    return line
                }
            }
            for st in states { merge(st) }
            for r in results {
                guard let line = try r.get() else { continue }
                totals.rowsOut += 1
                try writer?.write(line)
            }
        }
        totals.bytesIn = reader.bytesRead
        totals.invalidUTF8Lines = reader.invalidUTF8Lines
        totals.blankLines = reader.blankLines
        return totals
    }
}
