import Foundation

/// One `-S [file:]key=value` of `weft exp run`: a params value to set for an experiment.
public struct ParamOverride: Sendable {
    /// Root-relative params file (`params.yaml` when not given).
    public var file: String
    /// Dotted key (`train.lr`).
    public var key: String
    public var value: Value
    /// `-S +key=value`: the key may be new.
    public var add: Bool
    public var text: String

    /// Parses `[+][file:]key=value`; the value is read as YAML (`0.1`, `true`, `[1, 2]`, `adam`).
    public init(_ s: String) throws {
        text = s
        guard let eq = s.firstIndex(of: "=") else {
            throw WeftError.usage(message: "-S '\(s)': expected [file:]key=value, e.g. -S train.lr=0.01")
        }
        var lhs = String(s[..<eq])
        add = lhs.hasPrefix("+")
        if add { lhs.removeFirst() }
        if let colon = lhs.lastIndex(of: ":") {
            file = String(lhs[..<colon])
            key = String(lhs[lhs.index(after: colon)...])
        } else {
            file = "params.yaml"
            key = lhs
        }
        guard !key.isEmpty, !file.isEmpty, !key.hasPrefix("."), !key.hasSuffix("."), !key.contains("..") else {
            throw WeftError.usage(message: "-S '\(s)': '\(lhs)' is not a key; expected [file:]key=value")
        }
        let raw = String(s[s.index(after: eq)...])
        value = raw.isEmpty ? .string("") : try DocumentLoader.parse(raw, file: "-S \(s)").value
    }
}

/// Applies overrides to the params files under `root` and returns each changed file's new
/// bytes (root-relative path → bytes), without writing anything. A value on its own line in
/// block YAML is replaced in place, so comments and layout survive; anything else (new keys,
/// flow or JSON files) rewrites the file from its parsed form.
public func overriddenParams(_ overrides: [ParamOverride], root: String) throws -> [(String, [UInt8])] {
    var order: [String] = []
    var byFile: [String: [ParamOverride]] = [:]
    for o in overrides {
        if byFile[o.file] == nil { order.append(o.file) }
        byFile[o.file, default: []].append(o)
    }
    var out: [(String, [UInt8])] = []
    for file in order {
        let abs = root + "/" + file
        let exists = FS.exists(abs)
        var text = exists ? String(decoding: FS.read(abs) ?? [], as: UTF8.self) : ""
        if !exists && !(byFile[file] ?? []).allSatisfy(\.add) {
            throw WeftError.usage(message: "-S: params file '\(file)' does not exist\n  hint: create it, or use -S +\(file):key=value to create it with the key")
        }
        for o in byFile[file] ?? [] {
            let doc = text.isEmpty ? Node(.dict([]), at: SourceLoc(file: file)) : try DocumentLoader.parse(text, file: file)
            let current = doc.value
            if let node = find(doc, o.key) {
                if let edited = replaceInLine(text, node: node, with: o.value, json: file.hasSuffix(".json")) {
                    text = edited
                    continue
                }
            } else if !o.add {
                let keys = flatten(current).map(\.0)
                throw WeftError.usage(message: "-S \(o.text): '\(o.key)' is not a key of \(file)"
                                      + [didYouMean(o.key, keys)].filter { !$0.isEmpty }.map { " (\($0))" }.joined()
                                      + "\n  hint: -S +\(o.text) adds it as a new key")
            }
            let updated = try setting(current, path: o.key.split(separator: ".").map(String.init), to: o.value, file: file)
            text = file.hasSuffix(".json") ? updated.orderedJSON + "\n" : YAMLText.document(updated)
        }
        out.append((file, Array(text.utf8)))
    }
    return out
}

/// The node at a dotted key, if every part names a mapping entry.
private func find(_ n: Node, _ key: String) -> Node? {
    var cur = n
    for part in key.split(separator: ".") {
        guard let e = cur.entries?.first(where: { $0.key == part }) else { return nil }
        cur = e.value
    }
    return cur
}

/// Replaces a one-line plain or quoted scalar where the parser found it; nil when the value
/// spans lines or is not a scalar.
private func replaceInLine(_ text: String, node: Node, with value: Value, json: Bool) -> String? {
    guard case .scalar = node.kind, node.loc.line >= 1, node.loc.column >= 1 else { return nil }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard node.loc.line <= lines.count else { return nil }
    let line = Array(lines[node.loc.line - 1].unicodeScalars)
    let start = node.loc.column - 1
    guard start < line.count else { return nil }
    // The scalar runs to a comment (" #") or the end of the line; a trailing ',' stays (JSON).
    var end = line.count
    var quote: Unicode.Scalar? = nil
    if line[start] == "\"" || line[start] == "'" { quote = line[start] }
    var i = start + 1
    while i < line.count {
        let c = line[i]
        if let q = quote {
            if c == "\\" && q == "\"" { i += 2; continue }
            if c == q { end = i + 1; break }
        } else if c == "#" && line[i - 1] == " " {
            end = i - 1
            break
        } else if json && (c == "," || c == "}") {
            end = i
            break
        }
        i += 1
    }
    if quote != nil && end == line.count && line.last != quote { return nil }  // continues on the next line
    while end > start && line[end - 1] == " " { end -= 1 }
    let newText = json ? value.orderedJSON : YAMLText.scalar(value)
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: line[..<start])
    scalars.append(contentsOf: newText.unicodeScalars)
    scalars.append(contentsOf: line[end...])
    lines[node.loc.line - 1] = String(scalars)
    return lines.joined(separator: "\n")
}

/// `v` with the value at `path` set (mappings created as needed).
private func setting(_ v: Value, path: [String], to new: Value, file: String) throws -> Value {
    guard let head = path.first else { return new }
    var d: [(String, Value)]
    switch v {
    case .dict(let x): d = x
    case .null: d = []
    default:
        throw WeftError.usage(message: "-S: cannot set '\(path.joined(separator: "."))' in \(file): its parent is a \(v.typeName), not a mapping")
    }
    if let i = d.firstIndex(where: { $0.0 == head }) {
        d[i].1 = try setting(d[i].1, path: Array(path.dropFirst()), to: new, file: file)
    } else {
        d.append((head, try setting(.null, path: Array(path.dropFirst()), to: new, file: file)))
    }
    return .dict(d)
}

extension YAMLText {
    /// A whole document in block style (mappings and lists nested by indentation).
    static func document(_ v: Value) -> String {
        var out = ""
        func emit(_ v: Value, indent: Int) {
            let pad = String(repeating: " ", count: indent)
            switch v {
            case .dict(let d):
                for (k, x) in d {
                    switch x {
                    case .dict(let inner) where !inner.isEmpty:
                        out += pad + key(k) + ":\n"
                        emit(x, indent: indent + 2)
                    case .list(let l) where !l.isEmpty && l.allSatisfy({ if case .dict = $0 { return false }; if case .list = $0 { return false }; return true }):
                        out += pad + key(k) + ":\n"
                        for item in l { out += pad + "- " + scalar(item) + "\n" }
                    default:
                        out += pad + key(k) + ": " + scalar(x) + "\n"
                    }
                }
            default:
                out += pad + scalar(v) + "\n"
            }
        }
        emit(v, indent: 0)
        return out
    }
}
