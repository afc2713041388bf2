import Foundation

/// Parallel word counting over a text file or a batch of sequences.
///
/// A file is read in fixed-size chunks cut at line ends; each chunk is divided among the
/// threads at line ends and every thread counts into its own `WordCounter`, so memory is
/// one chunk plus the distinct words, whatever the file size.
extension WordCounter {
    /// What reading a training file found.
    public struct FileStats: Sendable, Equatable {
        /// Lines read (a last line without "\n" counts).
        public var lines = 0
        /// Bytes read.
        public var bytes = 0
        /// Lines whose invalid UTF-8 was replaced with U+FFFD.
        public var invalidUTF8Lines = 0
    }

    /// Counts the words of every line of the file at `path`, each line with its ending,
    /// exactly as `Tokenizer.train([path])` of `tokenizers` feeds its trainer.
    ///
    /// - Parameters:
    ///   - threads: counting threads (≥ 1).
    ///   - invalidUTF8: `.reject` stops at the first bad line (file:line error);
    ///     `.replace` substitutes U+FFFD for each bad sequence and counts the line.
    ///   - chunkBytes: read size; lines longer than this are still read whole.
    public static func count(
        file path: String, threads: Int, invalidUTF8: RowReader.InvalidUTF8 = .reject, chunkBytes: Int = 4 << 20
    ) throws -> (WordCounter, FileStats) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TextError.io(path: path, message: "cannot open: " + String(cString: strerror(errno)),
                               hint: "check the input path")
        }
        defer { close(fd) }
        let threads = max(1, threads)
        let counters = (0..<threads).map { _ in BPEWorkerBox(WordCounter()) }
        var stats = FileStats()
        var buffer = [UInt8](repeating: 0, count: max(chunkBytes, 16))
        var filled = 0
        var atEOF = false
        while !atEOF || filled > 0 {
            // Fill the buffer; grow it when one line does not fit.
            if !atEOF {
                if filled == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
                let got = buffer.withUnsafeMutableBytes { raw in
                    read(fd, raw.baseAddress! + filled, raw.count - filled)
                }
                if got < 0 {
                    throw TextError.io(path: path, message: "read failed: " + String(cString: strerror(errno)), hint: "")
                }
                if got == 0 { atEOF = true } else { filled += got; stats.bytes += got }
                if !atEOF && filled < buffer.count { continue }
            }
            // The chunk ends after the last "\n" (or at the end of the file).
            var cut = filled
            if !atEOF {
                guard let nl = buffer[0..<filled].lastIndex(of: 0x0A) else { continue }
                cut = nl + 1
            }
            let result = try buffer.withUnsafeBufferPointer { buf in
                try countChunk(UnsafeBufferPointer(rebasing: buf[0..<cut]), counters, invalidUTF8)
            }
            if let bad = result.badOffset {
                let line = stats.lines + buffer[0..<bad].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + 1
                throw TextError.data(path: path, line: line, message: "invalid UTF-8",
                                     hint: "fix the file's encoding, or set on_invalid_utf8: replace to substitute U+FFFD")
            }
            stats.lines += result.lines
            stats.invalidUTF8Lines += result.replaced
            buffer.withUnsafeMutableBufferPointer { m in
                _ = memmove(m.baseAddress!, m.baseAddress! + cut, filled - cut)
            }
            filled -= cut
        }
        return (combine(counters), stats)
    }

    /// Counts a batch of sequences (documents, JSONL text fields) on `threads` threads.
    public static func count(sequences: [String], threads: Int) -> WordCounter {
        let threads = max(1, min(threads, sequences.count))
        if threads <= 1 {
            var c = WordCounter()
            for s in sequences { c.add(sequence: s) }
            return c
        }
        let counters = (0..<threads).map { _ in BPEWorkerBox(WordCounter()) }
        let input = BPEWorkerBox(sequences)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let n = input.value.count
            let lo = n * t / threads
            let hi = n * (t + 1) / threads
            for i in lo..<hi { counters[t].value.add(sequence: input.value[i]) }
        }
        return combine(counters)
    }

    private struct ChunkResult { var lines = 0; var replaced = 0; var badOffset: Int? }

    /// Splits `chunk` (whole lines) among the counters at line ends and counts in parallel.
    private static func countChunk(
        _ chunk: UnsafeBufferPointer<UInt8>, _ counters: [BPEWorkerBox<WordCounter>], _ policy: RowReader.InvalidUTF8
    ) throws -> ChunkResult {
        let parts = counters.count
        var bounds = [0]
        for t in 1..<max(parts, 1) {
            var b = max(chunk.count * t / parts, bounds[t - 1])
            while b < chunk.count, b > 0, chunk[b - 1] != 0x0A { b += 1 }
            bounds.append(b)
        }
        bounds.append(chunk.count)
        let cuts = bounds
        let results = (0..<parts).map { _ in BPEWorkerBox(ChunkResult()) }
        let shared = BPESharedBytes(chunk)
        let work: @Sendable (Int) -> Void = { t in
            let part = UnsafeBufferPointer(rebasing: shared.buffer[cuts[t]..<cuts[t + 1]])
            results[t].value = countPart(part, base: cuts[t], into: &counters[t].value, policy)
        }
        if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
        var total = ChunkResult()
        for r in results {
            total.lines += r.value.lines
            total.replaced += r.value.replaced
            if total.badOffset == nil, let b = r.value.badOffset { total.badOffset = b }
        }
        return total
    }

    /// Counts the lines of one part; stops at the first invalid line when rejecting.
    private static func countPart(
        _ part: UnsafeBufferPointer<UInt8>, base: Int, into counter: inout WordCounter, _ policy: RowReader.InvalidUTF8
    ) -> ChunkResult {
        var result = ChunkResult()
        guard let p = part.baseAddress, !part.isEmpty else { return result }
        var newlines = 0
        var q = p
        let end = p + part.count
        while let hit = memchr(q, 0x0A, q.distance(to: end)) {
            newlines += 1
            q = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
        result.lines = newlines + (part.last == 0x0A ? 0 : 1)
        if UTF8Check.isValid(part) {
            counter.add(lines: part)
            return result
        }
        // Some line is bad: go line by line.
        var i = 0
        while i < part.count {
            var e = i
            while e < part.count, part[e] != 0x0A { e += 1 }
            if e < part.count { e += 1 }
            let line = UnsafeBufferPointer(rebasing: part[i..<e])
            if UTF8Check.isValid(line) {
                counter.add(sequence: line)
            } else if policy == .reject {
                result.badOffset = base + i
                return result
            } else {
                result.replaced += 1
                counter.add(sequence: String(decoding: line, as: UTF8.self))
            }
            i = e
        }
        return result
    }

    /// Sums per-thread counters in thread order.
    private static func combine(_ counters: [BPEWorkerBox<WordCounter>]) -> WordCounter {
        var total = counters[0].value
        counters[0].value = WordCounter()
        for c in counters.dropFirst() {
            total.merge(c.value)
            c.value = WordCounter()
        }
        return total
    }
}

/// A mutable value shared with worker threads; each thread touches only its own box.
final class BPEWorkerBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A read-only buffer handed to worker threads while its owner waits for them.
struct BPESharedBytes: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
    init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }
}
