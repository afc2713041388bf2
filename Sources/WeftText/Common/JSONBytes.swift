/// Byte-level JSON helpers for row files: parsing one top-level object per line into
/// field spans (values kept as raw bytes until asked for), decoding and encoding
/// strings. Rows pass through the data stages with untouched fields copied byte for
/// byte, so numbers, nested objects and key order survive exactly.
///
/// reference: RFC 8259 (JSON grammar, string escapes, surrogate pairs).
public enum JSONBytes {
    /// A parse failure at a 1-based column of the line.
    public struct ParseError: Error, Sendable {
        public var column: Int
        public var message: String
    }

    /// One top-level member: key bytes (without quotes, escapes undecoded) and the value span.
    public struct Member: Sendable {
        public var key: Range<Int>
        public var keyHasEscapes: Bool
        public var value: Range<Int>
    }

    @inline(__always) public static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Parses `buf[range]` as a JSON object and returns its members in order.
    public static func parseObject(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ParseError) -> [Member] {
        var i = range.lowerBound
        let end = range.upperBound
        func fail(_ msg: String) -> ParseError { ParseError(column: i - range.lowerBound + 1, message: msg) }
        while i < end, isSpace(buf[i]) { i += 1 }
        guard i < end, buf[i] == UInt8(ascii: "{") else {
            throw fail(i < end ? "a row must be a JSON object (starts with '{')" : "empty line")
        }
        i += 1
        var members: [Member] = []
        members.reserveCapacity(4)
        while i < end, isSpace(buf[i]) { i += 1 }
        if i < end, buf[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                while i < end, isSpace(buf[i]) { i += 1 }
                guard i < end, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let (keyEnd, esc) = try scanString(buf, i, end, range.lowerBound)
                let key = (i + 1)..<(keyEnd - 1)
                i = keyEnd
                while i < end, isSpace(buf[i]) { i += 1 }
                guard i < end, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                i += 1
                while i < end, isSpace(buf[i]) { i += 1 }
                let vStart = i
                i = try skipValue(buf, i, end, range.lowerBound, depth: 0)
                members.append(Member(key: key, keyHasEscapes: esc, value: vStart..<i))
                while i < end, isSpace(buf[i]) { i += 1 }
                guard i < end else { throw fail("unterminated object (missing '}')") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "}") { i += 1; break }
                throw fail("expected ',' or '}'")
            }
        }
        while i < end, isSpace(buf[i]) { i += 1 }
        if i < end { throw fail("unexpected text after the object") }
        return members
    }

    /// The element spans of the JSON array in `buf[range]`.
    public static func parseArray(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ParseError) -> [Range<Int>] {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end, isSpace(buf[i]) { i += 1 }
        guard i < end, buf[i] == UInt8(ascii: "[") else { throw ParseError(column: i - range.lowerBound + 1, message: "expected a list") }
        i += 1
        var items: [Range<Int>] = []
        while i < end, isSpace(buf[i]) { i += 1 }
        if i < end, buf[i] == UInt8(ascii: "]") { return items }
        while true {
            while i < end, isSpace(buf[i]) { i += 1 }
            let start = i
            i = try skipValue(buf, i, end, range.lowerBound, depth: 1)
            items.append(start..<i)
            while i < end, isSpace(buf[i]) { i += 1 }
            guard i < end else { throw ParseError(column: i - range.lowerBound + 1, message: "unterminated list") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "]") { return items }
            throw ParseError(column: i - range.lowerBound + 1, message: "expected ',' or ']'")
        }
    }

    /// Scans a string starting at the opening quote; returns the index after the closing
    /// quote and whether it contains escapes.
    static func scanString(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ base: Int) throws(ParseError) -> (Int, Bool) {
        var i = start + 1
        var esc = false
        while i < end {
            let b = buf[i]
            if b == UInt8(ascii: "\"") { return (i + 1, esc) }
            if b == UInt8(ascii: "\\") { esc = true; i += 2; continue }
            if b < 0x20 { throw ParseError(column: i - base + 1, message: "control character inside a string (escape it)") }
            i += 1
        }
        throw ParseError(column: start - base + 1, message: "unterminated string")
    }

    /// Skips one JSON value; returns the index after it.
    static func skipValue(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ base: Int, depth: Int) throws(ParseError) -> Int {
        var i = start
        func fail(_ msg: String) -> ParseError { ParseError(column: i - base + 1, message: msg) }
        guard i < end else { throw fail("missing value") }
        guard depth < 512 else { throw fail("nesting deeper than 512") }
        switch buf[i] {
        case UInt8(ascii: "\""):
            return try scanString(buf, i, end, base).0
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = buf[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            while i < end, isSpace(buf[i]) { i += 1 }
            if i < end, buf[i] == close { return i + 1 }
            while true {
                while i < end, isSpace(buf[i]) { i += 1 }
                if isObject {
                    guard i < end, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                    i = try scanString(buf, i, end, base).0
                    while i < end, isSpace(buf[i]) { i += 1 }
                    guard i < end, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    while i < end, isSpace(buf[i]) { i += 1 }
                }
                i = try skipValue(buf, i, end, base, depth: depth + 1)
                while i < end, isSpace(buf[i]) { i += 1 }
                guard i < end else { throw fail("unterminated \(isObject ? "object" : "array")") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == close { return i + 1 }
                throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        case UInt8(ascii: "t"): return try literal(buf, i, end, "true", base)
        case UInt8(ascii: "f"): return try literal(buf, i, end, "false", base)
        case UInt8(ascii: "n"): return try literal(buf, i, end, "null", base)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            i += 1
            while i < end {
                switch buf[i] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                    UInt8(ascii: "+"), UInt8(ascii: "-"):
                    i += 1
                default: return i
                }
            }
            return i
        default:
            throw fail("unexpected character '\(Character(Unicode.Scalar(buf[i])))'")
        }
    }

    static func literal(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ word: StaticString, _ base: Int) throws(ParseError) -> Int {
        let n = word.utf8CodeUnitCount
        guard i + n <= end else { throw ParseError(column: i - base + 1, message: "invalid literal") }
        for k in 0..<n where buf[i + k] != word.utf8Start[k] {
            throw ParseError(column: i - base + 1, message: "invalid literal")
        }
        return i + n
    }

    @inline(__always) static func hex(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Decodes the contents of a JSON string (between the quotes) to UTF-8 bytes.
    /// Lone surrogates become U+FFFD, as Python's json module would refuse them.
    public static func unescape(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [UInt8]) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b = buf[i]
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            guard i + 1 < end else { break }
            let e = buf[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var cp = readHex4(buf, i, end)
                if cp != nil { i += 4 }
                if let hi = cp, (0xD800..<0xDC00).contains(hi) {
                    if i + 1 < end, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u"),
                        let lo = readHex4(buf, i + 2, end), (0xDC00..<0xE000).contains(lo)
                    {
                        cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else {
                        cp = 0xFFFD
                    }
                } else if let c = cp, (0xDC00..<0xE000).contains(c) {
                    cp = 0xFFFD
                }
                appendUTF8(Unicode.Scalar(cp ?? 0xFFFD) ?? "\u{FFFD}", to: &out)
            default: out.append(e)  // \" \\ \/
            }
        }
    }

    static func readHex4(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> UInt32? {
        guard i + 4 <= end, let a = hex(buf[i]), let b = hex(buf[i + 1]), let c = hex(buf[i + 2]), let d = hex(buf[i + 3]) else {
            return nil
        }
        return a << 12 | b << 8 | c << 4 | d
    }

    /// Appends a scalar's UTF-8 encoding.
    @inline(__always) public static func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        let v = s.value
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always) static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") }

    static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
        case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
        default:
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hexDigits[Int(b >> 4)]); out.append(hexDigits[Int(b & 15)])
        }
    }

    /// Appends UTF-8 bytes as a quoted JSON string. Non-ASCII text is written as UTF-8
    /// (not `\u` escapes); control characters as `\uXXXX` or their short escapes. Runs
    /// of bytes that need no escape are copied in one go.
    public static func appendString(_ s: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<s.count where needsEscape(s[i]) {
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: s[runStart..<i])) }
            appendEscaped(s[i], to: &out)
            runStart = i + 1
        }
        if s.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: s[runStart..<s.count])) }
        out.append(UInt8(ascii: "\""))
    }

    /// `appendString` for any byte sequence.
    public static func appendString<S: Sequence<UInt8>>(_ s: S, to out: inout [UInt8]) {
        if let done: Void = s.withContiguousStorageIfAvailable({ appendString($0, to: &out) }) { return done }
        Array(s).withUnsafeBufferPointer { appendString($0, to: &out) }
    }

    /// `appendString` for a Swift string.
    @inline(__always) public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString($0, to: &out) }
    }
}
