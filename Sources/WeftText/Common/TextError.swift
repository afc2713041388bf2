/// Errors of the text and data library. Every case says what was wrong, where (file,
/// line, key) and what to do, because these messages reach users verbatim.
public enum TextError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read or written.
    case io(path: String, message: String, hint: String)
    /// A row or line of an input file is malformed (`line` is 1-based; 0 when unknown).
    case data(path: String, line: Int, message: String, hint: String)
    /// A parameter or setting is invalid (`key` names it as the user wrote it).
    case config(key: String, message: String, hint: String)
    /// An input uses a feature this library does not implement; `supported` lists what it does.
    case unsupported(path: String, what: String, supported: [String])

    public var description: String {
        func withHint(_ s: String, _ hint: String) -> String { hint.isEmpty ? s : s + " (" + hint + ")" }
        switch self {
        case let .io(path, message, hint): return withHint("\(path): \(message)", hint)
        case let .data(path, line, message, hint):
            return withHint(line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)", hint)
        case let .config(key, message, hint): return withHint("\(key): \(message)", hint)
        case let .unsupported(path, what, supported):
            return "\(path): unsupported \(what); supported: " + supported.joined(separator: ", ")
        }
    }
}
