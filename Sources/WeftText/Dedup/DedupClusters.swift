import Foundation

/// The duplicate clusters file, written with memory bounded by a budget however many
/// duplicates there are.
///
/// 1. While deduplicating, every duplicate row goes to a spill file: its line, the kept
///    row's ordinal, the kind and its text as JSON (`ClusterSpill.add`); each kept row
///    tallies the bytes of its duplicates.
/// 2. The input is re-read once (`reopen`) to spill the texts of the kept rows that
///    have duplicates, in kept order — which is the clusters file's order.
/// 3. Clusters are written a window of consecutive kept rows at a time: a window's
///    duplicates (at most about `memoryBudget` bytes of them; at least one cluster) are
///    gathered from one sequential scan of the duplicate spill, sorted by line, and
///    written with the kept texts streamed from step 2.
///
/// Output, one line per cluster, ordered by kept line, duplicates by line:
/// `{"kept":{"line":N,"text":"…"},"duplicates":[{"line":M,"kind":"exact"|"near","text":"…"}]}`
/// Texts are the rows' JSON values as read (escapes kept as written).
struct ClusterSpill {
    var duplicates: SpillFile
    var scratch: [UInt8] = []

    init(directory: String) throws {
        duplicates = try SpillFile(directory: directory, name: "dedup-duplicates")
    }

    /// Removes the spill file.
    func remove() { duplicates.remove() }

    /// Records a duplicate; returns the bytes its text takes.
    mutating func add(_ row: Row, field: String, kept: UInt32, kind: Deduplicator.Kind) throws -> Int {
        scratch.removeAll(keepingCapacity: true)
        ClusterWriter.appendJSONText(row, field, to: &scratch)
        guard scratch.count < 1 << 31 else {
            throw TextError.data(path: duplicates.path, line: row.line, message: "text over 2 GiB", hint: "split the row")
        }
        try duplicates.append(integer: Int64(row.line))
        try duplicates.append(integer: kept)
        try duplicates.append(integer: UInt32(scratch.count) | (kind == .near ? 1 << 31 : 0))
        try duplicates.append(scratch)
        return scratch.count
    }
}

enum ClusterWriter {
    /// Bytes a duplicate costs in a window besides its text (its entry and sort index).
    static let memberOverhead = 40

    /// Appends `row[field]` as JSON text: raw values as written, decoded ones re-encoded.
    static func appendJSONText(_ row: Row, _ field: String, to out: inout [UInt8]) {
        guard let i = row.keys.firstIndex(of: field) else { return }
        switch row.values[i] {
        case .raw(let r): out.append(contentsOf: row.source[r])
        case .string(let s): JSONBytes.appendString(s, to: &out)
        }
    }

    /// Writes every cluster; returns the number of windows it took.
    static func write(
        spill: inout ClusterSpill, keptLines: [Int], clusterBytes: [UInt32], reopen: () throws -> RowReader,
        textField: String, memoryBudget: Int, to writer: AtomicWriter
    ) throws -> Int {
        try spill.duplicates.flush()
        let directory = (writer.path as NSString).deletingLastPathComponent
        var keptTexts = try SpillFile(directory: directory, name: "dedup-kept")
        defer { keptTexts.remove() }
        try spillKeptTexts(keptLines: keptLines, clusterBytes: clusterBytes, reopen: reopen, textField: textField, into: &keptTexts)
        try keptTexts.flush()

        var keptReader = keptTexts.reader()
        var windows = 0
        var lo = 0
        let keptCount = clusterBytes.count
        let budget = UInt64(max(0, memoryBudget))
        var line: [UInt8] = []
        var keptText: [UInt8] = []
        while true {
            while lo < keptCount && clusterBytes[lo] == 0 { lo += 1 }
            guard lo < keptCount else { break }
            var hi = lo + 1
            var bytes = UInt64(clusterBytes[lo])
            while hi < keptCount && bytes + UInt64(clusterBytes[hi]) <= budget {
                bytes += UInt64(clusterBytes[hi])
                hi += 1
            }
            windows += 1
            // The window's duplicates: (kept, line, kind, text span in arena).
            var members: [(kept: UInt32, line: Int64, near: Bool, text: Range<Int>)] = []
            var arena: [UInt8] = []
            arena.reserveCapacity(Int(bytes))  // an over-estimate: no doubling past the budget
            var reader = spill.duplicates.reader()
            while !reader.atEnd {
                let dupLine = try reader.integer(Int64.self)
                let kept = try reader.integer(UInt32.self)
                let kindAndLength = try reader.integer(UInt32.self)
                let length = Int(kindAndLength & 0x7FFF_FFFF)
                guard kept >= lo && kept < hi else {
                    try reader.skip(length)
                    continue
                }
                let start = arena.count
                try reader.bytes(length, into: &arena)
                members.append((kept, dupLine, kindAndLength >> 31 != 0, start..<arena.count))
            }
            members.sort { ($0.kept, $0.line) < ($1.kept, $1.line) }
            var m = 0
            for k in lo..<hi where clusterBytes[k] != 0 {
                keptText.removeAll(keepingCapacity: true)
                try keptReader.bytes(Int(try keptReader.integer(UInt32.self)), into: &keptText)
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: #"{"kept":{"line":"#.utf8)
                line.append(contentsOf: String(keptLines[k]).utf8)
                line.append(contentsOf: #","text":"#.utf8)
                line.append(contentsOf: keptText)
                line.append(contentsOf: #"},"duplicates":["#.utf8)
                var first = true
                while m < members.count && members[m].kept == k {
                    if !first { line.append(UInt8(ascii: ",")) }
                    first = false
                    line.append(contentsOf: #"{"line":"#.utf8)
                    line.append(contentsOf: String(members[m].line).utf8)
                    line.append(contentsOf: members[m].near ? #","kind":"near","text":"#.utf8 : #","kind":"exact","text":"#.utf8)
                    line.append(contentsOf: arena[members[m].text])
                    line.append(UInt8(ascii: "}"))
                    m += 1
                }
                line.append(contentsOf: "]}\n".utf8)
                try writer.write(line)
            }
            lo = hi
        }
        return windows
    }

    /// Re-reads the input once and spills the text of every kept row that has
    /// duplicates (length-prefixed, in kept order).
    static func spillKeptTexts(
        keptLines: [Int], clusterBytes: [UInt32], reopen: () throws -> RowReader, textField: String,
        into out: inout SpillFile
    ) throws {
        var next = 0
        func advance() { while next < clusterBytes.count && clusterBytes[next] == 0 { next += 1 } }
        advance()
        guard next < clusterBytes.count else { return }
        var reader = try reopen()
        defer { reader.close() }
        var text: [UInt8] = []
        read: while let batch = try reader.nextBatch() {
            for row in batch {
                guard row.line >= keptLines[next] else { continue }
                guard row.line == keptLines[next], row.has(textField) else { break read }
                text.removeAll(keepingCapacity: true)
                appendJSONText(row, textField, to: &text)
                guard text.count < 1 << 31 else {
                    throw TextError.data(path: reader.path, line: row.line, message: "text over 2 GiB", hint: "split the row")
                }
                try out.append(integer: UInt32(text.count))
                try out.append(text)
                next += 1
                advance()
                if next == clusterBytes.count { break read }
            }
        }
        if next < clusterBytes.count {
            throw TextError.data(path: reader.path, line: keptLines[next], message: "row missing on the second read",
                                 hint: "the input changed while it was being deduplicated; run the stage again")
        }
    }
}
