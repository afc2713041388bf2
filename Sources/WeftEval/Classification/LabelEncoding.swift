import Foundation

/// Turns arrays of `ClassLabel` into integer codes 0..<K, with code order = label order
/// (integers numerically, strings by code point), as scikit-learn's `unique_labels` sorts.
///
/// Rows are split into chunks interned on separate threads, each into its own small
/// open-addressing table keyed by the label's UTF-8 bytes (or integer value); the chunks'
/// distinct labels are then merged, sorted, and the local codes rewritten to the global
/// ones. The codes do not depend on the number of chunks.
enum LabelEncoding {
    /// Codes of both arrays and the sorted distinct labels they index.
    struct Encoded {
        var labels: [ClassLabel]
        var truth: [Int32]
        var prediction: [Int32]
    }

    /// Encodes `truths` and `predictions` (same length, checked by the caller). Throws when
    /// the labels mix integers and strings, naming the first row that breaks the kind of row 0.
    static func encode(truths: [ClassLabel], predictions: [ClassLabel]) throws -> Encoded {
        let n = truths.count
        let chunks = ClassCounts.chunkCount(n)
        var tables = (0..<chunks).map { _ in LabelTable() }
        var truth = [Int32](repeating: 0, count: n)
        var prediction = [Int32](repeating: 0, count: n)
        truths.withUnsafeBufferPointer { tl in
            predictions.withUnsafeBufferPointer { pl in
                truth.withUnsafeMutableBufferPointer { tc in
                    prediction.withUnsafeMutableBufferPointer { pc in
                        tables.withUnsafeMutableBufferPointer { tb in
                            // Each chunk owns its table and its rows of the code arrays.
                            let work = { (c: Int) in
                                let range = ClassCounts.chunkRange(c, of: chunks, rows: n)
                                (tb.baseAddress! + c).pointee.encode(tl, pl, range, tc, pc)
                            }
                            ClassCounts.forEachChunk(chunks, work)
                        }
                    }
                }
            }
        }
        // Merge the chunks' labels into one sorted list.
        var distinct = Set<ClassLabel>()
        for table in tables { distinct.formUnion(table.labels) }
        let labels = distinct.sorted()
        if let first = labels.first, let last = labels.last, first.isInt != last.isInt {
            throw mixError(truths: truths, predictions: predictions)
        }
        var global = [ClassLabel: Int32](minimumCapacity: labels.count)
        for (i, label) in labels.enumerated() { global[label] = Int32(i) }
        let maps = tables.map { table in table.labels.map { global[$0]! } }
        truth.withUnsafeMutableBufferPointer { tc in
            prediction.withUnsafeMutableBufferPointer { pc in
                let work = { (c: Int) in
                    maps[c].withUnsafeBufferPointer { map in
                        for i in ClassCounts.chunkRange(c, of: chunks, rows: n) {
                            tc[i] = map[Int(tc[i])]
                            pc[i] = map[Int(pc[i])]
                        }
                    }
                }
                ClassCounts.forEachChunk(chunks, work)
            }
        }
        return Encoded(labels: labels, truth: truth, prediction: prediction)
    }

    /// The error for labels that mix integers and strings, at the first row whose truth or
    /// prediction differs in kind from row 0's truth.
    // reference: scikit-learn 1.9.1 unique_labels raises "Mix of label input types"; it
    // does not say where, and a single Python list holding both kinds is silently turned
    // into strings by NumPy, which Weft refuses too.
    static func mixError(truths: [ClassLabel], predictions: [ClassLabel]) -> EvalError {
        let kind = truths[0].isInt
        for i in truths.indices {
            for (field, label) in [("truth", truths[i]), ("prediction", predictions[i])] where label.isInt != kind {
                return EvalError.invalid(
                    "row \(i): the \(field) is the \(label.quoted), but row 0's truth is the \(truths[0].quoted); "
                        + "labels must be all integers or all strings (as in scikit-learn), "
                        + "so write every label of this set in one kind")
            }
        }
        return EvalError.invalid("labels mix integers and strings; write every label in one kind")
    }
}

/// One thread's interning table: distinct labels in first-seen order, found by hash.
/// A struct used through a pointer by its one thread, so the hot loop pays no dynamic
/// exclusivity checks (a class's stored properties would).
private struct LabelTable {
    private(set) var labels: [ClassLabel] = []
    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes: [UInt64] = []
    /// Integer value, or (offset << 32 | length) of the string's bytes in `arena`.
    private var keys: [Int] = []
    private var isString: [Bool] = []
    private var arena: [UInt8] = []

    /// Writes the local codes of rows `range` of both label arrays.
    mutating func encode(
        _ tl: UnsafeBufferPointer<ClassLabel>, _ pl: UnsafeBufferPointer<ClassLabel>, _ range: Range<Int>,
        _ tc: UnsafeMutableBufferPointer<Int32>, _ pc: UnsafeMutableBufferPointer<Int32>
    ) {
        for i in range {
            tc[i] = code(tl[i])
            pc[i] = code(pl[i])
        }
    }

    /// The local code of `label`, adding it when new.
    @inline(__always) mutating func code(_ label: ClassLabel) -> Int32 {
        switch label {
        case .int(let v):
            return code(int: v, label)
        case .string(let s):
            if let c = s.utf8.withContiguousStorageIfAvailable({ code(bytes: $0, label) }) { return c }
            return Array(s.utf8).withUnsafeBufferPointer { code(bytes: $0, label) }
        }
    }

    @inline(__always) private mutating func code(int v: Int, _ label: ClassLabel) -> Int32 {
        let h = LabelHash.int(v)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return add(label, h, key: v, bytes: nil) }
            if hashes[e] == h && !isString[e] && keys[e] == v { return Int32(e) }
            i = (i + 1) & mask
        }
    }

    @inline(__always) private mutating func code(bytes: UnsafeBufferPointer<UInt8>, _ label: ClassLabel) -> Int32 {
        let h = LabelHash.bytes(bytes)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return add(label, h, key: 0, bytes: bytes) }
            if hashes[e] == h && isString[e] && equal(e, bytes) { return Int32(e) }
            i = (i + 1) & mask
        }
    }

    @inline(__always) private func equal(_ e: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let key = keys[e]
        let length = key & 0xFFFF_FFFF
        guard length == bytes.count else { return false }
        if length == 0 { return true }
        return arena.withUnsafeBufferPointer { a in
            memcmp(a.baseAddress! + (key >> 32), bytes.baseAddress!, length) == 0
        }
    }

    private mutating func add(_ label: ClassLabel, _ hash: UInt64, key: Int, bytes: UnsafeBufferPointer<UInt8>?) -> Int32 {
        let e = Int32(labels.count)
        labels.append(label)
        hashes.append(hash)
        if let bytes {
            keys.append(arena.count << 32 | bytes.count)
            arena.append(contentsOf: bytes)
            isString.append(true)
        } else {
            keys.append(key)
            isString.append(false)
        }
        if labels.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            for (j, h) in hashes.enumerated() { insertSlot(Int32(j), h) }
        } else {
            insertSlot(e, hash)
        }
        return e
    }

    private mutating func insertSlot(_ e: Int32, _ hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = e
    }
}

/// Fast non-cryptographic hashes of labels for the interning tables.
enum LabelHash {
    @inline(__always) static func finish(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) static func int(_ v: Int) -> UInt64 {
        finish(UInt64(bitPattern: Int64(v)) &+ 0x9E37_79B9_7F4A_7C15)
    }

    /// Eight bytes at a time, the last word overlapping the one before it (no byte loop);
    /// under 8 bytes, two overlapping 4-byte reads or three single bytes; length mixed in.
    @inline(__always) static func bytes(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = b.count
        var h = 0x243F_6A88_85A3_08D3 ^ UInt64(n)
        guard n > 0, let base = b.baseAddress else { return finish(h) }
        let raw = UnsafeRawPointer(base)
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                i += 8
            }
            h ^= raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            let lo = UInt64(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let hi = UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            h ^= lo << 32 | hi
        } else {
            h ^= UInt64(base[0]) << 16 | UInt64(base[n >> 1]) << 8 | UInt64(base[n - 1])
        }
        return finish(h &* 0x9E37_79B9_7F4A_7C15)
    }
}
