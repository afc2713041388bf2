import Foundation

/// The duplicate clusters file, written without holding the kept rows' texts in memory.
///
/// The first pass only learns *which* rows are duplicates of *which* kept row; it spills
/// one 16-byte record per duplicate to a hidden temporary file (`DuplicateLog`) and adds
/// each duplicate's text size to its kept row's tally. Clusters are then written in kept
/// line order, a window of consecutive clusters at a time: each window's records are read
/// back from the log, the input is re-read (`reopen`) to collect the texts of the window's
/// members only, and the window is written. A window holds at most about
/// `memoryBudget` bytes of texts (always at least one cluster), so memory stays flat
/// however many duplicates there are; the cost is one re-read of the input per window.
///
/// Output, one line per cluster, ordered by kept line, duplicates by line:
/// `{"kept":{"line":N,"text":"…"},"duplicates":[{"line":M,"kind":"exact"|"near","text":"…"}]}`
struct DuplicateLog {
    /// One duplicate: its input line, the kept row's ordinal and the kind (0 exact, 1 near).
    struct Record {
        var line: Int64
        var kept: UInt32
        var kind: UInt32
    }

    let path: String
    var fd: Int32
    var pending: [Record] = []
    var count = 0

    /// Creates the log as a hidden file in `directory` (next to the output it serves).
    init(directory: String) throws {
        path = (directory.isEmpty ? "." : directory) + "/.dedup-duplicates-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TextError.io(path: path, message: "cannot create a temporary file: \(String(cString: strerror(errno)))",
                               hint: "check that the output folder is writable")
        }
        pending.reserveCapacity(1 << 16)
    }

    /// Closes and deletes the file.
    func remove() {
        _ = Glibc.close(fd)
        unlink(path)
    }

    mutating func append(line: Int, kept: UInt32, kind: Deduplicator.Kind) throws {
        pending.append(Record(line: Int64(line), kept: kept, kind: kind == .exact ? 0 : 1))
        count += 1
        if pending.count == 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        let bytes = pending.count * MemoryLayout<Record>.stride
        var off = 0
        while off < bytes {
            let n = pending.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TextError.io(path: path, message: "write failed: \(String(cString: strerror(errno)))", hint: "check free disk space")
            }
            off += n
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Calls `body` on every record in the order appended (after `flush()`).
    func forEach(_ body: (Record) throws -> Void) throws {
        var chunk = [Record](repeating: Record(line: 0, kept: 0, kind: 0), count: 1 << 16)
        var offset: off_t = 0
        let stride = MemoryLayout<Record>.stride
        var left = count
        while left > 0 {
            let want = min(left, chunk.count)
            var got = 0
            while got < want * stride {
                let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want * stride - got, offset + off_t(got)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw TextError.io(path: path, message: "cannot read the temporary duplicate list back", hint: "check free disk space")
                }
                got += n
            }
            offset += off_t(got)
            for i in 0..<want { try body(chunk[i]) }
            left -= want
        }
    }
}

enum ClusterWriter {
    /// Bytes a member costs in a window besides its text (record, index and offsets).
    static let memberOverhead = 48

    /// Writes every cluster; returns the number of re-reads of the input it took.
    static func write(
        log: DuplicateLog, keptLines: [Int], clusterBytes: [UInt64], reopen: () throws -> RowReader,
        textField: String, memoryBudget: Int, to writer: AtomicWriter
    ) throws -> Int {
        var passes = 0
        var lo = 0
        let keptCount = clusterBytes.count
        while true {
            while lo < keptCount && clusterBytes[lo] == 0 { lo += 1 }
            guard lo < keptCount else { break }
            var hi = lo + 1
            var bytes = clusterBytes[lo]
            while hi < keptCount && bytes + clusterBytes[hi] <= UInt64(memoryBudget) {
                bytes += clusterBytes[hi]
                hi += 1
            }
            try writeWindow(log: log, window: UInt32(lo)..<UInt32(hi), keptLines: keptLines, reopen: reopen,
                            textField: textField, to: writer)
            passes += 1
            lo = hi
        }
        return passes
    }

    /// Writes the clusters of the kept ordinals in `window`.
    static func writeWindow(
        log: DuplicateLog, window: Range<UInt32>, keptLines: [Int], reopen: () throws -> RowReader,
        textField: String, to writer: AtomicWriter
    ) throws {
        var records: [DuplicateLog.Record] = []
        try log.forEach { if window.contains($0.kept) { records.append($0) } }
        records.sort { ($0.kept, $0.line) < ($1.kept, $1.line) }
        // Slots 0..<records.count are the duplicates' texts, then one per cluster's kept row.
        var members: [(line: Int, slot: Int)] = records.enumerated().map { (Int($0.element.line), $0.offset) }
        var clusterStarts: [Int] = []
        for (i, r) in records.enumerated() where i == 0 || records[i - 1].kept != r.kept {
            clusterStarts.append(i)
            members.append((keptLines[Int(r.kept)], records.count + clusterStarts.count - 1))
        }
        members.sort { $0.line < $1.line }

        var arena: [UInt8] = []
        var spans = [Range<Int>](repeating: 0..<0, count: members.count)
        var reader = try reopen()
        defer { reader.close() }
        var next = 0
        read: while let batch = try reader.nextBatch() {
            for row in batch {
                while next < members.count && members[next].line < row.line { next += 1 }
                guard next < members.count else { break read }
                guard members[next].line == row.line else { continue }
                guard let json = row.jsonText(textField) else {
                    throw TextError.data(path: reader.path, line: row.line, message: "no field '\(textField)' on the second read",
                                         hint: "the input changed while it was being deduplicated; run the stage again")
                }
                let start = arena.count
                arena.append(contentsOf: json.utf8)
                spans[members[next].slot] = start..<arena.count
                next += 1
            }
        }
        if next < members.count {
            throw TextError.data(path: reader.path, line: members[next].line,
                                 message: "row missing on the second read",
                                 hint: "the input changed while it was being deduplicated; run the stage again")
        }

        var line: [UInt8] = []
        for (c, start) in clusterStarts.enumerated() {
            let end = c + 1 < clusterStarts.count ? clusterStarts[c + 1] : records.count
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: #"{"kept":{"line":"#.utf8)
            line.append(contentsOf: String(keptLines[Int(records[start].kept)]).utf8)
            line.append(contentsOf: #","text":"#.utf8)
            line.append(contentsOf: arena[spans[records.count + c]])
            line.append(contentsOf: #"},"duplicates":["#.utf8)
            for i in start..<end {
                if i > start { line.append(UInt8(ascii: ",")) }
                line.append(contentsOf: #"{"line":"#.utf8)
                line.append(contentsOf: String(records[i].line).utf8)
                line.append(contentsOf: records[i].kind == 0 ? #","kind":"exact","text":"#.utf8 : #","kind":"near","text":"#.utf8)
                line.append(contentsOf: arena[spans[i]])
                line.append(UInt8(ascii: "}"))
            }
            line.append(contentsOf: "]}\n".utf8)
            try writer.write(line)
        }
    }
}
