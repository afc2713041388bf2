import Foundation
import WeftText

/// Reads the predicted and true labels of a JSONL file straight into integer codes,
/// without building a row object per line: a million labelled rows is the common
/// size of a classification evaluation, and per-row objects would cost more than all
/// the metrics together.
///
/// Strings are interned by their decoded UTF-8 bytes (so `"\u00e9"` and `"é"` are one
/// label), integers by value; any other value, a float, or a mix of strings and
/// integers is an error naming the file and line.
struct LabelColumns {
    var table: [ClassLabel] = []
    var truths: [Int32] = []
    var predictions: [Int32] = []
    var lines: [Int] = []

    private var ints: [Int: Int32] = [:]
    private var strings = ByteStringTable(capacity: 64)
    /// String entry of `strings` → its code in `table`.
    private var stringCodes: [Int32] = []
    private var firstKind: (isInt: Bool, line: Int)? = nil

    static func read(path: String, predictionKey: String, labelKey: String) throws -> LabelColumns {
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw TextError.io(path: path, message: "cannot open the predictions file", hint: "check the path")
        }
        defer { try? fh.close() }
        var out = LabelColumns()
        let pk = Array(predictionKey.utf8), lk = Array(labelKey.utf8)
        var pending: [UInt8] = []
        var line = 0
        var scratch: [UInt8] = []
        while true {
            let chunk = fh.readData(ofLength: 8 << 20)
            let atEnd = chunk.isEmpty
            pending.append(contentsOf: chunk)
            // Complete lines only, unless the file has ended.
            let cut = atEnd ? pending.count : (pending.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)
            if cut > 0 {
                try pending.withUnsafeBufferPointer { buf in
                    var start = 0
                    while start < cut {
                        let base = buf.baseAddress!
                        let end = memchr(base + start, 0x0A, cut - start).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? cut
                        line += 1
                        var stop = end
                        if stop > start, buf[stop - 1] == 0x0D { stop -= 1 }
                        var first = start
                        while first < stop, JSONBytes.isSpace(buf[first]) { first += 1 }
                        if first < stop { try out.add(buf, start..<stop, line: line, path: path, keys: (pk, lk), scratch: &scratch) }
                        start = end + 1
                    }
                }
                pending.removeFirst(min(cut, pending.count))
            }
            if atEnd { break }
        }
        return out
    }

    private mutating func add(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int, path: String,
                              keys: ([UInt8], [UInt8]), scratch: inout [UInt8]) throws {
        let members: [JSONBytes.Member]
        do { members = try JSONBytes.parseObject(buf, range) } catch {
            throw TextError.data(path: path, line: line, message: "not a JSON object: \(error.message) at column \(error.column)", hint: "write one JSON object per line")
        }
        func find(_ key: [UInt8]) -> Range<Int>? {
            for m in members {
                if !m.keyHasEscapes {
                    if m.key.count == key.count, key.isEmpty || key.withUnsafeBufferPointer({ k in memcmp(buf.baseAddress! + m.key.lowerBound, k.baseAddress!, key.count) == 0 }) { return m.value }
                } else {
                    var k: [UInt8] = []
                    JSONBytes.unescape(buf, m.key, into: &k)
                    if k == key { return m.value }
                }
            }
            return nil
        }
        func code(_ key: [UInt8], _ value: Range<Int>?) throws -> Int32 {
            var name: String { String(decoding: key, as: UTF8.self) }
            guard let v = value else {
                throw TextError.data(path: path, line: line, message: "row has no field '\(name)'",
                                     hint: "classification rows need the predicted label and the true label (strings or integers)")
            }
            let first = buf[v.lowerBound]
            let isInt: Bool
            let c: Int32
            if first == UInt8(ascii: "\"") {
                isInt = false
                let inner = (v.lowerBound + 1)..<(v.upperBound - 1)
                var escaped = false
                for i in inner where buf[i] == UInt8(ascii: "\\") { escaped = true; break }
                if escaped {
                    scratch.removeAll(keepingCapacity: true)
                    JSONBytes.unescape(buf, inner, into: &scratch)
                    c = scratch.isEmpty ? intern(buf.baseAddress! + inner.lowerBound, 0) : scratch.withUnsafeBufferPointer { s in intern(s.baseAddress!, s.count) }
                } else {
                    c = intern(buf.baseAddress! + inner.lowerBound, inner.count)
                }
            } else if first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) {
                let text = String(decoding: UnsafeBufferPointer(rebasing: buf[v]), as: UTF8.self)
                guard let i = Int(text) else {
                    throw TextError.data(path: path, line: line, message: "'\(name)' is \(text), not an integer", hint: "class labels must be strings or integers")
                }
                isInt = true
                if let known = ints[i] { c = known } else {
                    c = Int32(table.count)
                    ints[i] = c
                    table.append(.int(i))
                }
            } else {
                let text = String(decoding: UnsafeBufferPointer(rebasing: buf[v]), as: UTF8.self)
                throw TextError.data(path: path, line: line, message: "'\(name)' is \(text.prefix(40)), not a label", hint: "class labels must be strings or integers")
            }
            if let k = firstKind, k.isInt != isInt {
                let label = table[Int(c)]
                throw TextError.data(path: path, line: line,
                                     message: "'\(name)' is the \(isInt ? "integer \(label)" : "string \"\(label)\""), but the labels at line \(k.line) are \(k.isInt ? "integers" : "strings")",
                                     hint: "use one kind of label throughout: all integers (numbers expected here) or all strings")
            }
            if firstKind == nil { firstKind = (isInt, line) }
            return c
        }
        predictions.append(try code(keys.0, find(keys.0)))
        truths.append(try code(keys.1, find(keys.1)))
        lines.append(line)
    }

    private mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let bytes = UnsafeBufferPointer(start: p, count: n)
        let (e, isNew) = strings.insert(bytes)
        if isNew {
            stringCodes.append(Int32(table.count))
            table.append(.string(String(decoding: bytes, as: UTF8.self)))
        }
        return stringCodes[e]
    }
}
