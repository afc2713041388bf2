import Foundation
import WeftCore
import WeftText

/// `uses: augment` — EDA augmentation (synonym replacement from WordNet, random
/// insertion, swap and deletion), class balancing by oversampling minority classes
/// with augmented copies, and a `command:` hook for external paraphrasers. Every
/// original row is written unchanged, followed by its augmented copies, which carry
/// `"augmented": true` and `"augmentation": OPERATION`; the hook's rows follow at the
/// end. Run it on the training split only (after `split`), so augmented rows never
/// reach validation or test.
public enum AugmentStage: BuiltinStage {
    public static let name = "augment"

    public static func run(_ ctx: StageContext) throws {
        let start = Date()
        let field = try ctx.string("text_field")
        let labelField = try ctx.string("label_field")
        let nAug = try ctx.int("n_aug")
        let seed = UInt64(truncatingIfNeeded: try ctx.int("seed"))
        var o = EDAugmenter.Options()
        o.synonymRate = try ctx.double("synonym_rate")
        o.insertionRate = try ctx.double("insertion_rate")
        o.swapRate = try ctx.double("swap_rate")
        o.deletionRate = try ctx.double("deletion_rate")
        for (k, v) in [("synonym_rate", o.synonymRate), ("insertion_rate", o.insertionRate), ("swap_rate", o.swapRate), ("deletion_rate", o.deletionRate)]
        where !(0...1).contains(v) {
            throw TextError.config(key: "with.\(k)", message: "must be between 0 and 1, got \(v)", hint: "EDA's paper uses 0.1")
        }
        guard nAug >= 0 else { throw TextError.config(key: "with.n_aug", message: "must be ≥ 0", hint: "") }
        let balance = try ctx.bool("balance")
        let targetRatio = try ctx.double("target_ratio")
        let needsSynonyms = o.synonymRate > 0 || o.insertionRate > 0
        let wordnet = needsSynonyms ? try WordTransforms.wordnet(at: try ctx.string("wordnet")) : nil
        let augmenter = EDAugmenter(options: o, synonyms: { wordnet?.synonyms(of: $0) ?? [] })

        // Pass 1 (balancing only): rows per label.
        var extraPerLabel: [String: (perRow: Int, remainder: Int)] = [:]
        if balance {
            var counts: [String: Int] = [:]
            var r = try TextStageSupport.reader(ctx)
            while let b = try r.nextBatch() { for row in b { counts[row.scalarText(labelField) ?? "", default: 0] += 1 } }
            let majority = Double((counts.values.max() ?? 0) * (1 + nAug))
            for (label, n) in counts {
                let want = max(0, Int((targetRatio * majority).rounded(.up)) - n * (1 + nAug))
                extraPerLabel[label] = (want / n, want % n)
            }
        }

        var reader = try TextStageSupport.reader(ctx)
        let writer = try AtomicWriter(path: try ctx.string("output"))
        let threads = try ctx.threads()
        var seenPerLabel: [String: Int] = [:]
        var rowIndex = 0
        var made: [String: Int] = [:]
        var perLabelOut: [String: Int] = [:]
        var originals = 0
        while let batch = try reader.nextBatch() {
            // How many copies each row gets is decided in order (it depends on earlier rows).
            var jobs: [(Row, Int, Int)] = []
            for row in batch {
                var want = nAug
                if balance, let e = extraPerLabel[row.scalarText(labelField) ?? ""] {
                    let k = seenPerLabel[row.scalarText(labelField) ?? "", default: 0]
                    seenPerLabel[row.scalarText(labelField) ?? "", default: 0] += 1
                    want += e.perRow + (k < e.remainder ? 1 : 0)
                }
                jobs.append((row, want, rowIndex))
                rowIndex += 1
            }
            let (results, _) = ParallelMap.map(jobs, threads: threads, state: { () }) { job, _ -> Result<[(String, EDAugmenter.Operation)], any Error> in
                Result {
                    let text = try TextStageSupport.text(job.0, field, path: reader.path)
                    return augmenter.augment(text, count: job.1, seed: seed, row: job.2).map { ($0.text, $0.operation) }
                }
            }
            for (job, result) in zip(jobs, results) {
                try writer.write(row: job.0)
                originals += 1
                let label = job.0.scalarText(labelField) ?? ""
                perLabelOut[label, default: 0] += 1
                for (text, op) in try result.get() {
                    var copy = job.0
                    copy.set(field, text)
                    copy.setJSON("augmented", "true")
                    copy.set("augmentation", op.rawValue)
                    try writer.write(row: copy)
                    made[op.rawValue, default: 0] += 1
                    perLabelOut[label, default: 0] += 1
                }
            }
        }
        if let command = try ctx.optionalString("command") {
            let n = try CommandAugmenter.run(command, input: reader.path, options: ctx) { row in
                var r = row
                r.setJSON("augmented", "true")
                r.set("augmentation", "command")
                try writer.write(row: r)
                perLabelOut[r.scalarText(labelField) ?? "", default: 0] += 1
            }
            made["command"] = n
            ctx.log("augment: command '\(command)' returned \(n) rows")
        }
        try writer.commit()
        ctx.log("augment: \(originals) original rows, " + made.sorted { $0.key < $1.key }.map { "\($0.value) by \($0.key)" }.joined(separator: ", "))
        if balance {
            ctx.log("augment: rows per label after balancing: " + perLabelOut.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        TextStageSupport.logThroughput(ctx, "augment", rows: originals, bytes: reader.bytesRead, since: start)
    }
}

/// The `command:` hook: an external program reads the input rows as JSONL on stdin and
/// writes augmented rows as JSONL on stdout (e.g. back-translation or a paraphraser).
enum CommandAugmenter {
    static func run(_ command: String, input: String, options ctx: StageContext, emit: (Row) throws -> Void) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let stdin = Pipe(), stdout = Pipe()
        // stderr goes to a file: a chatty program must not block on a full pipe.
        let errPath = NSTemporaryDirectory() + "weft-augment-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle(forWritingAtPath: errPath)
        do { try p.run() } catch {
            throw TextError.config(key: "with.command", message: "cannot start '\(command)': \(error)", hint: "check the command")
        }
        // Feed stdin from a second reader on another thread, so a program that writes
        // while it reads never deadlocks on a full pipe.
        let feedError = UncheckedSendableBox<Error?>(nil)
        var feedReader = try TextStageSupport.reader(ctx)
        let feeder = UncheckedSendableBox(feedReader)
        let handle = stdin.fileHandleForWriting
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var r = feeder.value
            do {
                var buf: [UInt8] = []
                while let batch = try r.nextBatch() {
                    buf.removeAll(keepingCapacity: true)
                    for row in batch { row.appendJSON(to: &buf); buf.append(0x0A) }
                    try handle.write(contentsOf: buf)
                }
            } catch {
                // A program that stops reading early closes the pipe (EPIPE): not an error of ours.
                if !(error is CocoaError) && !"\(error)".contains("Broken pipe") { feedError.value = error }
            }
            try? handle.close()
            done.signal()
        }
        _ = feedReader
        var count = 0
        var lineNo = 0
        var pending: [UInt8] = []
        let out = stdout.fileHandleForReading
        func parse(_ line: ArraySlice<UInt8>) throws {
            lineNo += 1
            let bytes = Array(line)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            let tmp = "\(command) (stdout)"
            let members: [JSONBytes.Member]
            do {
                members = try bytes.withUnsafeBufferPointer { try JSONBytes.parseObject($0, 0..<$0.count) }
            } catch let e as JSONBytes.ParseError {
                throw TextError.data(path: tmp, line: lineNo, message: "column \(e.column): \(e.message)", hint: "the command must print one JSON object per line")
            }
            var fields: [(String, String)] = []
            var row = Row(line: lineNo, fields: [])
            bytes.withUnsafeBufferPointer { buf in
                for m in members {
                    var k: [UInt8] = []
                    JSONBytes.unescape(buf, m.key, into: &k)
                    fields.append((String(decoding: k, as: UTF8.self), String(decoding: buf[m.value], as: UTF8.self)))
                }
            }
            for (k, v) in fields { row.setJSON(k, v) }
            try emit(row)
            count += 1
        }
        while true {
            let chunk = out.availableData
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var startIdx = 0
            while let nl = pending[startIdx...].firstIndex(of: 0x0A) {
                try parse(pending[startIdx..<nl])
                startIdx = nl + 1
            }
            pending.removeSubrange(0..<startIdx)
        }
        if !pending.isEmpty { try parse(pending[...]) }
        p.waitUntilExit()
        done.wait()
        if let e = feedError.value { throw e }
        guard p.terminationStatus == 0 else {
            let err = String(decoding: (FileManager.default.contents(atPath: errPath) ?? Data()).suffix(2000), as: UTF8.self)
            throw TextError.config(key: "with.command", message: "'\(command)' exited with status \(p.terminationStatus)" + (err.isEmpty ? "" : ":\n" + err),
                                   hint: "the command reads JSONL rows on stdin and writes JSONL rows on stdout")
        }
        return count
    }
}

/// A mutable box shared with one helper thread (accesses are ordered by a semaphore).
final class UncheckedSendableBox<V>: @unchecked Sendable {
    var value: V
    init(_ value: V) { self.value = value }
}
