/// A class label: an integer or a string, compared, hashed and ordered the way
/// scikit-learn sees labels (integers numerically, strings by Unicode code point).
///
/// Strings are compared by their UTF-8 bytes, not by Swift's `String` equality:
/// Swift treats canonically equivalent strings ("é" and "e" + U+0301) as equal, while
/// Python and NumPy compare code points, so those are two different classes there.
/// Byte order of UTF-8 is code-point order, which is the order `sorted()` gives in Python.
public enum ClassLabel: Hashable, Comparable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    /// Whether the label is an integer (the other kind is a string).
    public var isInt: Bool {
        if case .int = self { return true }
        return false
    }

    /// The label as a person reads it: the integer's digits or the string itself.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .string(let s): return s
        }
    }

    /// The label for an error message: integers as digits, strings quoted.
    var quoted: String {
        switch self {
        case .int(let v): return "integer \(v)"
        case .string(let s): return "string \"\(s)\""
        }
    }

    /// Same kind and value; strings equal only when their UTF-8 bytes are.
    public static func == (a: ClassLabel, b: ClassLabel) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        default: return false
        }
    }

    /// Hashes the kind and the integer or the string's UTF-8 bytes (consistent with `==`).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .int(let v):
            hasher.combine(0 as UInt8)
            hasher.combine(v)
        case .string(let s):
            hasher.combine(1 as UInt8)
            hasher.combine(s.utf8.count)
            let done: Void? = s.utf8.withContiguousStorageIfAvailable {
                hasher.combine(bytes: UnsafeRawBufferPointer($0))
            }
            if done == nil {
                Array(s.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
            }
        }
    }

    /// Label order as scikit-learn sorts labels.
    ///
    /// Integers before strings (a mix is rejected by the metrics, so this only makes
    /// the order total); integers numerically; strings by code point.
    public static func < (a: ClassLabel, b: ClassLabel) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        case (.int, .string): return true
        case (.string, .int): return false
        }
    }
}

extension ClassLabel: Codable {
    /// Reads a JSON integer or string.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) {
            self = .int(v)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            throw DecodingError.dataCorruptedError(
                in: c,
                debugDescription: "a class label must be a JSON integer or string (found another value); "
                    + "write labels as integers like 3 or strings like \"cat\"")
        }
    }

    /// Writes the label as a JSON integer or string.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .string(let s): try c.encode(s)
        }
    }
}

extension ClassLabel: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// An integer label from a literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A string label from a literal.
    public init(stringLiteral value: String) { self = .string(value) }
}
