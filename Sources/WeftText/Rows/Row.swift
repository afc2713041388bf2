/// One record of a data file: ordered fields whose values stay raw JSON bytes until a
/// stage asks for them, so rewriting the text field leaves every other field exactly
/// as it was (key order, number spelling, nested objects).
public struct Row: Sendable {
    /// A field value: the raw JSON text of the value in `source`, or a string set or decoded.
    public enum Value: Sendable, Equatable {
        case raw(Range<Int>)
        case string(String)
    }

    /// 1-based line of the input where the row starts (0 for rows made in memory).
    public var line: Int
    /// The bytes `raw` ranges point into (the JSONL line; empty for CSV and text rows).
    public var source: [UInt8]
    public private(set) var keys: [String]
    public private(set) var values: [Value]

    /// A row from key/value strings (CSV, text lines, tests).
    public init(line: Int = 0, fields: [(String, String)]) {
        self.line = line
        self.source = []
        self.keys = fields.map(\.0)
        self.values = fields.map { .string($0.1) }
    }

    init(line: Int, source: [UInt8], keys: [String], values: [Value]) {
        self.line = line
        self.source = source
        self.keys = keys
        self.values = values
    }

    @inline(__always) func index(_ key: String) -> Int? { keys.firstIndex(of: key) }

    /// Whether the row has `key` at all (null counts as present).
    public func has(_ key: String) -> Bool { index(key) != nil }

    /// The JSON kind of a field's value, for validation.
    public enum Kind: String, Sendable { case string, number, bool, null, array, object }

    /// The kind of `key`'s value, nil when absent.
    public func kind(_ key: String) -> Kind? {
        guard let i = index(key) else { return nil }
        switch values[i] {
        case .string: return .string
        case .raw(let r):
            switch source[r.lowerBound] {
            case UInt8(ascii: "\""): return .string
            case UInt8(ascii: "{"): return .object
            case UInt8(ascii: "["): return .array
            case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
            case UInt8(ascii: "n"): return .null
            default: return .number
            }
        }
    }

    /// The string value of `key`, nil when absent or not a string.
    public func string(_ key: String) -> String? {
        guard let i = index(key) else { return nil }
        return stringValue(at: i)
    }

    func stringValue(at i: Int) -> String? {
        switch values[i] {
        case .string(let s): return s
        case .raw(let r):
            guard source[r.lowerBound] == UInt8(ascii: "\"") else { return nil }
            let inner = (r.lowerBound + 1)..<(r.upperBound - 1)
            return source.withUnsafeBufferPointer { buf in
                if !buf[inner].contains(UInt8(ascii: "\\")) {
                    return String(decoding: UnsafeBufferPointer(rebasing: buf[inner]), as: UTF8.self)
                }
                var out: [UInt8] = []
                out.reserveCapacity(inner.count)
                JSONBytes.unescape(buf, inner, into: &out)
                return String(decoding: out, as: UTF8.self)
            }
        }
    }

    /// A label-like value as text: a string as is, a number/bool as written; nil for
    /// null, arrays, objects or a missing key.
    public func scalarText(_ key: String) -> String? {
        guard let i = index(key) else { return nil }
        if case .raw(let r) = values[i] {
            switch source[r.lowerBound] {
            case UInt8(ascii: "\""): break
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "n"): return nil
            default: return String(decoding: source[r], as: UTF8.self)
            }
        }
        return stringValue(at: i)
    }

    /// The raw JSON text of `key`'s value (strings quoted), for hashing and reports.
    public func jsonText(_ key: String) -> String? {
        guard let i = index(key) else { return nil }
        switch values[i] {
        case .raw(let r): return String(decoding: source[r], as: UTF8.self)
        case .string(let s):
            var out: [UInt8] = []
            JSONBytes.appendString(s, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A list-of-objects field (e.g. chat `messages`) as rows, nil when absent or not a
    /// list of objects. Parsed byte-exactly (Foundation's JSON parser drops U+FEFF).
    public func objects(_ key: String) -> [Row]? {
        guard let text = jsonText(key) else { return nil }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buf -> [Row]? in
            guard let items = try? JSONBytes.parseArray(buf, 0..<buf.count) else { return nil }
            var out: [Row] = []
            for item in items {
                guard let members = try? JSONBytes.parseObject(buf, item) else { return nil }
                var keys: [String] = []
                for m in members {
                    var k: [UInt8] = []
                    JSONBytes.unescape(buf, m.key, into: &k)
                    keys.append(String(decoding: k, as: UTF8.self))
                }
                out.append(Row(line: line, source: bytes, keys: keys, values: members.map { .raw($0.value) }))
            }
            return out
        }
    }

    /// Sets `key` to a string, appending the key when new.
    public mutating func set(_ key: String, _ value: String) {
        if let i = index(key) { values[i] = .string(value) } else { keys.append(key); values.append(.string(value)) }
    }

    /// Sets `key` to raw JSON text (a number, `true`, an array, …), appending when new.
    public mutating func setJSON(_ key: String, _ json: String) {
        let start = source.count
        source.append(contentsOf: json.utf8)
        let v = Value.raw(start..<source.count)
        if let i = index(key) { values[i] = v } else { keys.append(key); values.append(v) }
    }

    /// Appends the row as one compact JSON object (no newline).
    public func appendJSON(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for i in keys.indices {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(keys[i], to: &out)
            out.append(UInt8(ascii: ":"))
            switch values[i] {
            case .raw(let r): out.append(contentsOf: source[r])
            case .string(let s): JSONBytes.appendString(s, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The row as a JSON line (for reports and tests).
    public var json: String {
        var out: [UInt8] = []
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
