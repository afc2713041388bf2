/// Streaming exact and near-duplicate detection that keeps the first occurrence.
///
/// Rows arrive in file order, batch after batch. For each row:
/// 1. **Exact**: the 128-bit `Hash128` of its normalised text (see `DedupText`) is looked
///    up among the kept rows' hashes; a hit makes it an exact duplicate of that row.
/// 2. **Near** (unless `near` is off): its MinHash signature is cut into `bands` bands of
///    `rows` values, each hashed to a 64-bit bucket key. **Candidate rule:** the row is a
///    near duplicate when at least one of its band keys equals a band key of an earlier
///    *kept* row; among several such rows it points at the one sharing the most bands,
///    ties going to the earliest. With Jaccard similarity `s`, this happens with
///    probability `1 − (1 − sʳ)ᵇ` (see `LSHParameters`). No signatures are stored, so
///    no similarity is estimated afterwards.
/// 3. Otherwise the row is kept and its exact hash and band keys join the sets.
///
/// Only kept rows enter the sets, so every duplicate points at a kept row; a row equal to
/// an earlier near duplicate is, by the same rule, a near duplicate of that row's kept row.
/// Per batch, hashing, signatures and the look-ups in the sets as they stood before the
/// batch run on `threads` cores (`ParallelMap`); matches against rows kept earlier in the
/// same batch (small batch-local tables), the choice of target and the insertions run in
/// row order, so decisions are identical for any thread count and any batch split.
/// Signatures are computed only for rows that are not already exact duplicates.
///
/// Memory grows with kept rows only: per kept row 24 bytes (exact hash, ordinal),
/// `bands` × 12 bytes (band key, ordinal) and 8 bytes (its line), in tables kept at most
/// ¾ full (grown by doubling) — 140 bytes at 9 bands, 185–370 bytes with table slack.
public struct Deduplicator {
    /// What a shingle is made of.
    public enum ShingleUnit: String, Sendable, CaseIterable, Codable {
        /// `shingleSize` consecutive characters (Unicode scalars).
        case char
        /// `shingleSize` consecutive white-space-separated words.
        case word
    }

    /// Why a row was dropped.
    public enum Kind: String, Sendable, Codable {
        case exact, near
    }

    /// The verdict on one row.
    public enum Decision: Sendable, Equatable {
        case keep
        /// A duplicate of the kept row that starts at input line `keptLine`.
        case duplicate(keptLine: Int, kind: Kind)
    }

    public let options: Options
    /// The banding in use (given or derived); 0 × 0 when `near` is off.
    public let bands: Int
    public let rows: Int
    let hasher: MinHasher?

    var exact = ExactTable()
    var buckets = BandTable()
    /// First row of the current batch with each exact hash, and the band keys of the rows
    /// kept in the current batch (scratch, emptied per batch).
    var firstInBatch = ExactTable()
    var batchBuckets = BandTable()
    /// Input line of each kept row, by kept ordinal.
    var keptLines: [Int] = []

    /// Rows decided so far.
    public private(set) var rowsIn = 0
    public private(set) var exactDuplicates = 0
    public private(set) var nearDuplicates = 0
    /// Rows kept so far.
    public var kept: Int { keptLines.count }

    /// Validates `options` and derives the banding.
    public init(options: Options = Options()) throws {
        try options.validate()
        self.options = options
        if !options.near {
            bands = 0
            rows = 0
            hasher = nil
        } else {
            if let b = options.bands, let r = options.rows {
                (bands, rows) = (b, r)
            } else {
                (bands, rows) = LSHParameters.optimal(threshold: options.threshold, numPerm: options.numPerm)
            }
            // Only the lanes the bands read are computed; the rest of numPerm would be unused.
            hasher = MinHasher(numPerm: bands * rows, seed: options.seed)
        }
    }

    /// Approximate bytes held by the kept-row sets.
    public var memoryBytes: Int { exact.memoryBytes + buckets.memoryBytes + keptLines.count * 8 }

    /// Decides `texts` (the next rows of the input, at input lines `lines`).
    public mutating func process(texts: [String], lines: [Int], threads: Int) throws -> [Decision] {
        let normalize = options.normalize
        // Strings always have a text: `missing` is never called.
        return try decide(count: texts.count, lines: lines, threads: threads, missing: { i in
            TextError.data(path: "", line: lines[i], message: "no text", hint: "")
        }) { i, t in
            t.load(texts[i], normalize: normalize)
            return 0
        }.map(decision)
    }

    /// Decides a batch of rows read from `path`, taking the text from `textField`; a row
    /// without it (or whose value is not a string) is a data error naming file and line.
    public mutating func process(_ batch: [Row], textField: String, path: String, threads: Int) throws -> [Decision] {
        try decide(batch, textField: textField, path: path, threads: threads).map(decision)
    }

    func decision(_ v: Verdict) -> Decision {
        v.isKeep ? .keep : .duplicate(keptLine: keptLines[Int(v.kept)], kind: v.kind)
    }

    /// Verdicts for a batch of rows; `Verdict.size` is the raw size of each text value.
    mutating func decide(_ batch: [Row], textField: String, path: String, threads: Int) throws -> [Verdict] {
        let normalize = options.normalize
        return try decide(count: batch.count, lines: batch.map(\.line), threads: threads, missing: { i in
            let row = batch[i]
            let message = row.kind(textField).map { "field '\(textField)' is \($0.rawValue), not a string" } ?? "no field '\(textField)'"
            return TextError.data(path: path, line: row.line, message: message,
                                  hint: "set text_field to the field that holds the text, or clean the data so every row has it")
        }) { i, t in
            t.load(batch[i], field: textField, normalize: normalize) ? t.count : nil
        }
    }

    /// One row's verdict: `kept == .max` keeps it, otherwise the kept ordinal it
    /// duplicates; `size` is the byte length of the loaded text (for cluster budgets).
    struct Verdict {
        var kept: UInt32
        var kind: Kind
        var size: UInt32 = 0
        var isKeep: Bool { kept == .max }
        static let keep = Verdict(kept: .max, kind: .exact)
    }

    /// Per-thread buffers of the parallel phases.
    struct Scratch {
        var text = DedupText()
        var signature: [UInt32] = []
        var keys: [UInt64] = []
    }

    /// A fresh row's band keys and the kept rows (of earlier batches) owning any of them,
    /// one entry per matching band.
    struct BandHits {
        var keys: [UInt64]
        var owners: [UInt32]
    }

    /// Decides `count` rows: `load(i, &text)` loads row i's text and returns its size,
    /// or nil when the row has none (then `missing(i)` is thrown, for the first such row).
    /// `load` runs on several threads at once.
    mutating func decide(
        count: Int, lines: [Int], threads: Int, missing: (Int) -> TextError, load: (Int, inout DedupText) -> Int?
    ) throws -> [Verdict] {
        // Kept rows are numbered in 32 bits (4 bytes per set entry); .max means "keep".
        guard keptLines.count + count < Int(UInt32.max) else {
            throw TextError.config(key: "input", message: "more than 4,294,967,294 distinct rows",
                                   hint: "deduplicate the file in parts, then the parts' outputs together")
        }
        // Read-only views of the sets for the parallel phases (copy-on-write: no copying).
        let keptExact = exact, keptBuckets = buckets

        // Phase 1 (parallel): exact hashes, looked up among earlier batches' kept rows.
        let (loaded, _) = ParallelMap.map(Array(0..<count), threads: threads, state: { DedupText() }) {
            i, t -> (hash: Hash128, size: UInt32, kept: UInt32?)? in
            guard let size = load(i, &t) else { return nil }
            let h = t.exactHash()
            return (h, UInt32(clamping: size), keptExact.find(h))
        }
        if let bad = loaded.firstIndex(where: { $0 == nil }) { throw missing(bad) }

        // Phase 2 (in order): repeats inside this batch.
        enum Pending { case decided(Verdict), sameAs(Int), fresh }
        var pending = [Pending](repeating: .fresh, count: count)
        firstInBatch.removeAll()
        var fresh: [Int] = []
        for i in 0..<count {
            let row = loaded[i]!
            if let k = row.kept {
                pending[i] = .decided(Verdict(kept: k, kind: .exact))
            } else if let j = firstInBatch.find(row.hash) {
                pending[i] = .sameAs(Int(j))
            } else {
                firstInBatch.insert(row.hash, UInt32(i))
                fresh.append(i)
            }
        }

        // Phase 3 (parallel): band keys of the rows not yet decided, looked up among
        // earlier batches' kept rows.
        var hits: [BandHits] = []
        if let hasher {
            let size = options.shingleSize, unit = options.shingleUnit, bands = bands, rows = rows
            (hits, _) = ParallelMap.map(fresh, threads: threads, state: { Scratch() }) { i, s -> BandHits in
                _ = load(i, &s.text)
                s.text.shingle(size: size, unit: unit, key: hasher.shingleKey)
                if s.signature.count < hasher.paddedCount { s.signature = [UInt32](repeating: 0, count: hasher.paddedCount) }
                s.text.hashes.withUnsafeBufferPointer { h in
                    s.signature.withUnsafeMutableBufferPointer { hasher.signature(h, into: $0.baseAddress!) }
                }
                s.signature.withUnsafeBufferPointer { hasher.bandKeys($0.baseAddress!, bands: bands, rows: rows, into: &s.keys) }
                return BandHits(keys: s.keys, owners: s.keys.compactMap { keptBuckets.find($0) })
            }
        }

        // Phase 4 (in order): matches among this batch's kept rows, choice, insertions.
        var verdicts = [Verdict](repeating: .keep, count: count)
        var ordinals = [UInt32](repeating: .max, count: count)  // of the rows kept here
        var keptHere: [Int] = []  // indices into `fresh` of the rows kept in this batch
        batchBuckets.removeAll()
        var votes: [(UInt32, Int)] = []
        var freshIndex = 0
        for i in 0..<count {
            switch pending[i] {
            case .decided(let v):
                verdicts[i] = v
            case .sameAs(let j):
                // j is earlier in this batch and was kept or a near duplicate (an exact
                // duplicate of a kept row would have been found in phase 1 for i too).
                let vj = verdicts[j]
                verdicts[i] = vj.isKeep ? Verdict(kept: ordinals[j], kind: .exact) : vj
            case .fresh:
                var target: UInt32? = nil
                if hasher != nil {
                    votes.removeAll(keepingCapacity: true)
                    func vote(_ k: UInt32) {
                        if let v = votes.firstIndex(where: { $0.0 == k }) { votes[v].1 += 1 } else { votes.append((k, 1)) }
                    }
                    for k in hits[freshIndex].owners { vote(k) }
                    for key in hits[freshIndex].keys { if let k = batchBuckets.find(key) { vote(k) } }
                    // Most shared bands first, then the earliest kept row.
                    target = votes.min { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }?.0
                }
                if let target {
                    verdicts[i] = Verdict(kept: target, kind: .near)
                } else {
                    let ordinal = UInt32(keptLines.count)
                    keptLines.append(lines[i])
                    ordinals[i] = ordinal
                    keptHere.append(freshIndex)
                    if hasher != nil { for key in hits[freshIndex].keys { batchBuckets.insert(key, ordinal) } }
                }
                freshIndex += 1
            }
        }
        // The batch's kept rows join the sets the next batches look up.
        for f in keptHere {
            let i = fresh[f]
            exact.insert(loaded[i]!.hash, ordinals[i])
            if hasher != nil { for key in hits[f].keys { buckets.insert(key, ordinals[i]) } }
        }
        rowsIn += count
        for i in 0..<count {
            verdicts[i].size = loaded[i]?.size ?? 0
            if verdicts[i].isKeep { continue }
            if verdicts[i].kind == .exact { exactDuplicates += 1 } else { nearDuplicates += 1 }
        }
        return verdicts
    }
}
