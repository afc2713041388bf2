import Foundation

/// Streams rows from a JSONL, CSV (with a header) or plain-text file in batches, so
/// memory stays flat however large the file is: only one batch of rows (a few MB of
/// text) is alive at a time.
public struct RowReader {
    /// The file's layout.
    public enum Format: String, Sendable, CaseIterable {
        /// One JSON object per line.
        case jsonl
        /// RFC 4180 CSV whose first record is the header; every value is a string.
        case csv
        /// One document per line, exposed as the text field.
        case text

        /// The format a path's extension implies (`.csv`, `.txt`/`.text`, else JSONL).
        public static func infer(from path: String) -> Format {
            let lower = path.lowercased()
            if lower.hasSuffix(".csv") { return .csv }
            if lower.hasSuffix(".txt") || lower.hasSuffix(".text") { return .text }
            return .jsonl
        }
    }

    /// What to do with a line that is not valid UTF-8.
    public enum InvalidUTF8: String, Sendable, CaseIterable {
        /// Replace each bad sequence with U+FFFD and go on (counted).
        case replace
        /// Stop with an error naming the file and line.
        case reject
    }

    /// Reading options.
    public struct Options: Sendable {
        public var format: Format?
        /// The field plain-text lines are exposed as.
        public var textField: String = "text"
        public var invalidUTF8: InvalidUTF8 = .replace
        /// Cores that parse a batch's JSONL/text lines (CSV is parsed in order).
        public var threads: Int = 1
        public init(format: Format? = nil, textField: String = "text", invalidUTF8: InvalidUTF8 = .replace, threads: Int = 1) {
            self.format = format
            self.textField = textField
            self.invalidUTF8 = invalidUTF8
            self.threads = threads
        }
    }

    public let path: String
    public let format: Format
    let options: Options
    let fd: Int32
    var buffer: [UInt8] = []
    var start = 0
    var eof = false
    var lineNumber = 0
    var header: [String]?
    /// Lines whose invalid UTF-8 was replaced.
    public private(set) var invalidUTF8Lines = 0
    /// Blank lines skipped (JSONL, CSV).
    public private(set) var blankLines = 0
    /// Rows returned so far.
    public private(set) var rowCount = 0
    /// Bytes read so far.
    public private(set) var bytesRead = 0

    /// Opens `path`; fails with a message naming it when it cannot be read.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        self.format = options.format ?? Format.infer(from: path)
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw TextError.io(path: path, message: "cannot read: \(String(cString: strerror(errno)))", hint: "check the input path")
        }
        guard (st.st_mode & S_IFMT) != S_IFDIR else {
            throw TextError.io(path: path, message: "is a folder, not a file", hint: "point the input at a .jsonl, .csv or .txt file")
        }
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TextError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))", hint: "check permissions")
        }
    }

    /// Closes the file (also safe to skip: the descriptor is closed at process exit).
    public func close() { _ = Glibc.close(fd) }

    /// Refills the buffer keeping unconsumed bytes; returns false at end of file.
    mutating func fill(_ want: Int) throws -> Bool {
        if eof { return false }
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let old = buffer.count
        buffer.reserveCapacity(old + want)
        var got = 0
        buffer.append(contentsOf: repeatElement(0, count: want))
        while got < want {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old + got, want - got) }
            if n < 0 {
                if errno == EINTR { continue }
                buffer.removeSubrange((old + got)...)
                throw TextError.io(path: path, message: "read failed: \(String(cString: strerror(errno)))", hint: "")
            }
            if n == 0 { eof = true; break }
            got += n
        }
        buffer.removeSubrange((old + got)...)
        bytesRead += got
        return got > 0
    }

    /// The next batch of at most about `maxBytes` of input, or nil at the end. The first
    /// call fails on an empty file (or a CSV with only a header).
    public mutating func nextBatch(maxBytes: Int = 1 << 22) throws -> [Row]? {
        var rows: [Row] = []
        var used = 0
        // A batch ends at maxBytes of input, but never empty before the end of the file
        // (blank lines and a CSV header yield no rows).
        if format == .csv {
            while used < maxBytes || rows.isEmpty {
                guard let (range, lineStart, next) = try nextRecordRange() else { break }
                used += range.count + 1
                let row = try makeRow(range, line: lineStart)
                start = next
                if let row { rows.append(row) }
            }
        } else {
            // Lines are cut in order, then validated and parsed on `threads` cores.
            while used < maxBytes || rows.isEmpty {
                var lines: [([UInt8], Int)] = []
                while used < maxBytes {
                    guard let (range, lineStart, next) = try nextRecordRange() else { break }
                    used += range.count + 1
                    lines.append((Array(buffer[range]), lineStart))
                    start = next
                }
                if lines.isEmpty { break }
                let (parsed, _) = ParallelMap.map(lines, threads: options.threads, state: { () }) { item, _ in
                    Result { try RowReader.parseLine(item.0, line: item.1, format: format, options: options, path: path) }
                }
                for p in parsed {
                    let (row, replaced) = try p.get()
                    if replaced { invalidUTF8Lines += 1 }
                    if let row { rows.append(row) } else { blankLines += 1 }
                }
            }
        }
        if rows.isEmpty && rowCount == 0 && (eof && start >= buffer.count) {
            throw TextError.data(
                path: path, line: 0,
                message: header == nil ? "the file is empty" : "the file has a header but no rows",
                hint: "check that the previous stage wrote data, or point the input at a non-empty file")
        }
        rowCount += rows.count
        return rows.isEmpty ? nil : rows
    }

    /// Finds the next record (a line; for CSV a record that may span lines inside quotes).
    /// Returns its byte range without the line break, its first line number and the
    /// index after it.
    mutating func nextRecordRange() throws -> (Range<Int>, Int, Int)? {
        while true {
            if let r = scanRecord() {
                let first = lineNumber + 1
                lineNumber += r.lines
                return (r.range, first, r.next)
            }
            if !(try fill(1 << 20)) {
                // Last record without a trailing newline.
                guard start < buffer.count else { return nil }
                if format == .csv, csvQuoteOpen(start..<buffer.count) {
                    throw TextError.data(path: path, line: lineNumber + 1, message: "unterminated quoted CSV field",
                                         hint: "close the quote, or double quotes inside a quoted field (\"\")")
                }
                let lines = buffer[start..<buffer.count].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
                let first = lineNumber + 1
                lineNumber += lines
                var end = buffer.count
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                return (start..<end, first, buffer.count)
            }
        }
    }

    /// A complete record in the buffer from `start`, or nil if more input is needed.
    func scanRecord() -> (range: Range<Int>, lines: Int, next: Int)? {
        buffer.withUnsafeBufferPointer { buf -> (range: Range<Int>, lines: Int, next: Int)? in
            var i = start
            var lines = 1
            var inQuotes = false
            let n = buf.count
            if format != .csv {
                guard let p = memchr(buf.baseAddress! + i, 0x0A, n - i) else { return nil }
                let nl = buf.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
                var end = nl
                if end > start, buf[end - 1] == 0x0D { end -= 1 }
                return (start..<end, 1, nl + 1)
            }
            while i < n {
                let b = buf[i]
                if b == UInt8(ascii: "\"") {
                    inQuotes.toggle()
                } else if b == 0x0A {
                    if !inQuotes {
                        var end = i
                        if end > start, buf[end - 1] == 0x0D { end -= 1 }
                        return (start..<end, lines, i + 1)
                    }
                    lines += 1
                }
                i += 1
            }
            return nil
        }
    }

    func csvQuoteOpen(_ r: Range<Int>) -> Bool {
        buffer[r].reduce(false) { $1 == UInt8(ascii: "\"") ? !$0 : $0 }
    }

    /// Validates and parses one JSONL or text line: the row (nil for a blank JSONL line)
    /// and whether invalid UTF-8 was replaced.
    static func parseLine(_ raw: [UInt8], line: Int, format: Format, options: Options, path: String) throws -> (Row?, Bool) {
        var bytes = raw
        var replaced = false
        if !UTF8Check.isValid(bytes) {
            if options.invalidUTF8 == .reject {
                throw TextError.data(path: path, line: line, message: "invalid UTF-8",
                                     hint: "fix the file's encoding, or set on_invalid_utf8: replace to substitute U+FFFD")
            }
            replaced = true
            bytes = Array(String(decoding: bytes, as: UTF8.self).utf8)
        }
        if format == .text {
            return (Row(line: line, fields: [(options.textField, String(decoding: bytes, as: UTF8.self))]), replaced)
        }
        if bytes.allSatisfy(JSONBytes.isSpace) { return (nil, replaced) }
        let members: [JSONBytes.Member]
        do {
            members = try bytes.withUnsafeBufferPointer { try JSONBytes.parseObject($0, 0..<$0.count) }
        } catch let error as JSONBytes.ParseError {
            throw TextError.data(path: path, line: line, message: "column \(error.column): \(error.message)",
                                 hint: "each line of a JSONL file must be one JSON object")
        }
        var keys: [String] = []
        keys.reserveCapacity(members.count)
        var values: [Row.Value] = []
        values.reserveCapacity(members.count)
        bytes.withUnsafeBufferPointer { buf in
            for m in members {
                if m.keyHasEscapes {
                    var k: [UInt8] = []
                    JSONBytes.unescape(buf, m.key, into: &k)
                    keys.append(String(decoding: k, as: UTF8.self))
                } else {
                    keys.append(String(decoding: UnsafeBufferPointer(rebasing: buf[m.key]), as: UTF8.self))
                }
                values.append(.raw(m.value))
            }
        }
        return (Row(line: line, source: bytes, keys: keys, values: values), replaced)
    }

    /// Validates UTF-8 (replacing or rejecting per the options) and parses a CSV record.
    mutating func makeRow(_ range: Range<Int>, line: Int) throws -> Row? {
        var bytes = Array(buffer[range])
        if !UTF8Check.isValid(bytes) {
            if options.invalidUTF8 == .reject {
                throw TextError.data(path: path, line: line, message: "invalid UTF-8",
                                     hint: "fix the file's encoding, or set on_invalid_utf8: replace to substitute U+FFFD")
            }
            invalidUTF8Lines += 1
            bytes = Array(String(decoding: bytes, as: UTF8.self).utf8)
        }
        if bytes.isEmpty { blankLines += 1; return nil }
        let fields = try CSV.parseRecord(bytes, path: path, line: line)
        guard let header else {
            var seen = Set<String>()
            for f in fields where !seen.insert(f).inserted {
                throw TextError.data(path: path, line: line, message: "duplicate column '\(f)' in the header", hint: "rename one of them")
            }
            self.header = fields
            return nil
        }
        guard fields.count == header.count else {
            throw TextError.data(
                path: path, line: line, message: "row has \(fields.count) fields but the header has \(header.count)",
                hint: "every CSV row needs one value per header column; quote values that contain commas")
        }
        return Row(line: line, fields: Array(zip(header, fields)))
    }
}

/// UTF-8 validation with an ASCII fast path (8 bytes at a time).
public enum UTF8Check {
    /// Whether `bytes` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0) }
    }

    /// Whether `buf` is well-formed UTF-8.
    public static func isValid(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = buf.count
        var i = 0
        guard let base = buf.baseAddress else { return true }
        while i < n {
            if i + 8 <= n {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if w & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            let b = buf[i]
            if b < 0x80 { i += 1; continue }
            @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && buf[i + k] & 0xC0 == 0x80 }
            if b >= 0xC2 && b <= 0xDF {
                guard cont(1) else { return false }
                i += 2
            } else if b >= 0xE0 && b <= 0xEF {
                guard cont(1), cont(2) else { return false }
                let b1 = buf[i + 1]
                if b == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b == 0xED && b1 >= 0xA0 { return false }  // surrogate
                i += 3
            } else if b >= 0xF0 && b <= 0xF4 {
                guard cont(1), cont(2), cont(3) else { return false }
                let b1 = buf[i + 1]
                if b == 0xF0 && b1 < 0x90 { return false }
                if b == 0xF4 && b1 >= 0x90 { return false }
                i += 4
            } else {
                return false
            }
        }
        return true
    }
}

/// RFC 4180 record parsing (quoted fields, doubled quotes, embedded line breaks).
enum CSV {
    static func parseRecord(_ bytes: [UInt8], path: String, line: Int) throws -> [String] {
        var fields: [String] = []
        var i = 0
        let n = bytes.count
        var field: [UInt8] = []
        while true {
            field.removeAll(keepingCapacity: true)
            if i < n, bytes[i] == UInt8(ascii: "\"") {
                i += 1
                while true {
                    guard i < n else {
                        throw TextError.data(path: path, line: line, message: "unterminated quoted CSV field", hint: "close the quote")
                    }
                    if bytes[i] == UInt8(ascii: "\"") {
                        if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") { field.append(UInt8(ascii: "\"")); i += 2; continue }
                        i += 1
                        break
                    }
                    field.append(bytes[i]); i += 1
                }
                guard i == n || bytes[i] == UInt8(ascii: ",") else {
                    throw TextError.data(path: path, line: line, message: "text after a closing quote in a CSV field",
                                         hint: "quote the whole field and double quotes inside it")
                }
            } else {
                while i < n, bytes[i] != UInt8(ascii: ",") { field.append(bytes[i]); i += 1 }
            }
            // Line breaks inside quoted fields arrive as \r\n or \n: keep them as written.
            fields.append(String(decoding: field, as: UTF8.self))
            if i >= n { break }
            i += 1  // the comma
        }
        return fields
    }
}
