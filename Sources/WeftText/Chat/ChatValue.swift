/// A JSON value handed to a chat template: a message (`object` with `role`, `content`, and
/// whatever else the row carries, e.g. `tool_calls`), a list of messages, or a variable.
public indirect enum ChatValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ChatValue])
    /// Members in their written order.
    case object([(String, ChatValue)])

    /// A `{"role", "content"}` message.
    public static func message(role: String, content: String) -> ChatValue {
        .object([("role", .string(role)), ("content", .string(content))])
    }

    /// The member `key` of an object, nil when absent or not an object.
    public subscript(key: String) -> ChatValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    /// The string inside, nil for other kinds.
    public var string: String? { if case .string(let s) = self { return s }; return nil }

    public static func == (a: ChatValue, b: ChatValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return Array(x.unicodeScalars) == Array(y.unicodeScalars)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Parses JSON text byte-exactly (strings keep every code point, U+FEFF included);
    /// nil when it is not valid JSON.
    public static func parse(json text: String) -> ChatValue? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buf in
            var start = 0, end = buf.count
            while start < end, JSONBytes.isSpace(buf[start]) { start += 1 }
            while end > start, JSONBytes.isSpace(buf[end - 1]) { end -= 1 }
            return value(buf, start..<end, depth: 0)
        }
    }

    private static func value(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, depth: Int) -> ChatValue? {
        guard !r.isEmpty, depth < 200 else { return nil }
        switch buf[r.lowerBound] {
        case UInt8(ascii: "{"):
            guard let members = try? JSONBytes.parseObject(buf, r) else { return nil }
            var out: [(String, ChatValue)] = []
            for m in members {
                var k: [UInt8] = []
                JSONBytes.unescape(buf, m.key, into: &k)
                guard let v = value(buf, m.value, depth: depth + 1) else { return nil }
                out.append((String(decoding: k, as: UTF8.self), v))
            }
            return .object(out)
        case UInt8(ascii: "["):
            guard let items = try? JSONBytes.parseArray(buf, r) else { return nil }
            var out: [ChatValue] = []
            for item in items {
                guard let v = value(buf, item, depth: depth + 1) else { return nil }
                out.append(v)
            }
            return .array(out)
        case UInt8(ascii: "\""):
            guard r.count >= 2, buf[r.upperBound - 1] == UInt8(ascii: "\"") else { return nil }
            var out: [UInt8] = []
            JSONBytes.unescape(buf, (r.lowerBound + 1)..<(r.upperBound - 1), into: &out)
            return .string(String(decoding: out, as: UTF8.self))
        default:
            let word = String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
            switch word {
            case "null": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                if let i = Int(word) { return .int(i) }
                if let d = Double(word), word.first != "+", !word.hasPrefix(".") { return .double(d) }
                return nil
            }
        }
    }

    /// The value as the interpreter sees it.
    var jinja: JinjaValue {
        switch self {
        case .null: return .none
        case .bool(let b): return .bool(b)
        case .int(let v): return .int(v)
        case .double(let v): return .double(v)
        case .string(let s): return .string(s)
        case .array(let items): return .list(items.map(\.jinja))
        case .object(let members): return .dict(JinjaDict(members.map { ($0.0, $0.1.jinja) }))
        }
    }
}
