import Foundation

/// A path and its hash as a lock file records it.
public struct LockedPath: Sendable, Equatable {
    public var path: String
    public var info: HashInfo
}

/// What a lock file records for one stage: the definition it ran, the exact dep
/// hashes and param values it saw, and the outputs it produced.
public struct LockEntry: Sendable, Equatable {
    /// Canonical text of the stage's definition (command or built-in + resolved `with`,
    /// plus env); compared to detect "command changed".
    public var definition: Definition
    public var deps: [LockedPath]
    /// params file (as written) → [(key, value)], both in order.
    public var params: [(String, [(String, Value)])]
    public var outs: [LockedPath]

    public enum Definition: Sendable, Equatable {
        case shell(Value)  // string or list of strings
        case builtin(name: String, version: Int, with: Value)
    }

    public var env: [(String, String)]
    /// Built-in stages: the OpenBLAS kernel family and thread count the run had (e.g.
    /// "Cooperlake, 2 threads"). Metadata, not an input: kernels round differently, so
    /// `repro --rev --verify` shows it when outputs differ.
    public var blas: String?

    public init(definition: Definition, deps: [LockedPath], params: [(String, [(String, Value)])], outs: [LockedPath],
                env: [(String, String)], blas: String? = nil) {
        self.definition = definition
        self.deps = deps
        self.params = params
        self.outs = outs
        self.env = env
        self.blas = blas
    }

    public static func == (a: LockEntry, b: LockEntry) -> Bool {
        a.definition == b.definition && a.deps == b.deps && a.outs == b.outs
            && a.env.elementsEqual(b.env, by: { $0 == $1 })
            && a.params.elementsEqual(b.params, by: { $0.0 == $1.0 && $0.1.elementsEqual($1.1, by: { $0.0 == $1.0 && $0.1 == $1.1 }) })
    }

    /// The definition a stage has now, in the lock's terms.
    public static func definition(of stage: Stage) -> Definition {
        switch stage.command {
        case .shell(let cmds): return .shell(cmds.count == 1 ? .string(cmds[0]) : .list(cmds.map { .string($0) }))
        case .builtin(let name, let version, let with): return .builtin(name: name, version: version, with: with)
        }
    }

    /// Canonical text of a definition + env, the part of a run signature that names the work.
    public static func definitionText(_ d: Definition, env: [(String, String)]) -> String {
        var s: String
        switch d {
        case .shell(let v): s = "cmd " + v.canonicalJSON
        case .builtin(let n, let ver, let w): s = "uses \(n) \(ver) " + w.canonicalJSON
        }
        for (k, v) in env { s += "\nenv \(k)=\(v)" }
        return s
    }
}

/// Reads and writes `<pipeline>.lock`: YAML, DVC's lock schema 2.0 with SHA-256
/// (`hash: sha256`), stages in pipeline-file order, keys in a fixed order.
///
/// Each stage's YAML text is kept once rendered, so rewriting the lock after a stage
/// costs a concatenation, not a re-serialisation of every stage (DVC's is quadratic).
public final class LockFile: @unchecked Sendable {
    public let path: String  // root-relative
    let absPath: String
    public private(set) var entries: [String: LockEntry] = [:]
    private var texts: [String: String] = [:]
    private let mutex = NSLock()

    /// Loads the lock at `absPath` if it exists. A lock this version cannot read is an error
    /// naming the file (never silently treated as empty, which would rerun everything).
    /// With `bytes`, parses those instead of reading the file (a lock at a git revision).
    public init(path: String, root: String, bytes given: [UInt8]? = nil) throws {
        self.path = path
        self.absPath = root + "/" + path
        guard let bytes = given ?? FS.read(absPath) else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        // The form Weft writes is read line by line; anything else (hand-edited, or
        // written by DVC) goes through the full YAML parser.
        if let fast = CanonicalLockReader.read(text) {
            entries = fast
            return
        }
        let node = try DocumentLoader.parse(text, file: path)
        guard let top = node.entries else {
            throw WeftError.spec(loc: node.loc, message: "lock file is not a mapping", hint: "delete \(path) to rerun every stage of its pipeline")
        }
        guard let stagesNode = node["stages"] else { return }
        guard let stages = stagesNode.entries else {
            throw WeftError.spec(loc: stagesNode.loc, message: "lock 'stages' must be a mapping", hint: "delete \(path) to rerun its stages")
        }
        _ = top
        for e in stages {
            // An entry hashed with another scheme (DVC's md5) is not comparable: the stage reruns.
            if let entry = try Self.parseEntry(e.value, stage: e.key) { entries[e.key] = entry }
        }
    }

    public func entry(_ stage: String) -> LockEntry? {
        mutex.lock()
        defer { mutex.unlock() }
        return entries[stage]
    }

    static func parseEntry(_ n: Node, stage: String) throws -> LockEntry? {
        func bad(_ what: String, _ at: Node) -> WeftError {
            .spec(loc: at.loc, message: "lock entry for stage '\(stage)': \(what)", hint: "delete the entry (or the lock file) to rerun the stage")
        }
        guard n.entries != nil else { throw bad("must be a mapping", n) }
        let definition: LockEntry.Definition
        if let cmd = n["cmd"] {
            definition = .shell(cmd.value)
        } else if let uses = n["uses"]?.string {
            guard case .int(let v)? = n["version"]?.value else { throw bad("'version' missing", n) }
            definition = .builtin(name: uses, version: v, with: n["with"]?.value ?? .dict([]))
        } else {
            throw bad("has neither 'cmd' nor 'uses'", n)
        }
        func paths(_ key: String) throws -> [LockedPath] {
            guard let l = n[key] else { return [] }
            guard let items = l.items else { throw bad("'\(key)' must be a list", l) }
            return try items.map { it in
                guard let p = it["path"]?.string else { throw bad("\(key) entries need 'path'", it) }
                // A digest of only digits reads as a number in YAML: take its written text.
                guard let hn = it["sha256"], let h = hn.string ?? hn.plainText else { throw ForeignHash() }
                var size: Int64 = 0
                if case .int(let s)? = it["size"]?.value { size = Int64(s) }
                var nfiles: Int?
                if case .int(let c)? = it["nfiles"]?.value { nfiles = c }
                if h.hasSuffix(".dir") && nfiles == nil { nfiles = 0 }
                return LockedPath(path: p, info: HashInfo(hash: h, size: size, nfiles: nfiles))
            }
        }
        var params: [(String, [(String, Value)])] = []
        if let p = n["params"] {
            guard let files = p.entries else { throw bad("'params' must be a mapping", p) }
            for f in files {
                guard let kv = f.value.entries else { throw bad("params of \(f.key) must be a mapping", f.value) }
                params.append((f.key, kv.map { ($0.key, $0.value.value) }))
            }
        }
        var env: [(String, String)] = []
        if let e = n["env"]?.entries { env = e.map { ($0.key, $0.value.value.interpolationText ?? "") } }
        do {
            return LockEntry(definition: definition, deps: try paths("deps"), params: params, outs: try paths("outs"), env: env,
                             blas: n["blas"]?.value.interpolationText)
        } catch is ForeignHash {
            return nil
        }
    }

    struct ForeignHash: Error {}

    /// Records a stage's entry and rewrites the lock atomically, stages in `order`.
    /// Entries of stages no longer in the pipeline are dropped.
    public func record(_ stage: String, _ entry: LockEntry, order: [String]) throws {
        mutex.lock()
        defer { mutex.unlock() }
        entries[stage] = entry
        texts[stage] = Self.render(stage, entry)
        try writeLocked(order: order)
    }

    private func writeLocked(order: [String]) throws {
        var out = "schema: '2.0'\nstages:\n"
        for name in order {
            guard let e = entries[name] else { continue }
            if texts[name] == nil { texts[name] = Self.render(name, e) }
            out += texts[name]!
        }
        try FS.writeAtomically(absPath, out)
    }

    static func render(_ name: String, _ e: LockEntry) -> String {
        var s = "  " + YAMLText.key(name) + ":\n"
        switch e.definition {
        case .shell(let v):
            if case .list(let l) = v {
                s += "    cmd:\n"
                for c in l { s += "    - " + YAMLText.scalar(c) + "\n" }
            } else {
                s += "    cmd: " + YAMLText.scalar(v) + "\n"
            }
        case .builtin(let n, let ver, let w):
            s += "    uses: \(YAMLText.scalar(.string(n)))\n    version: \(ver)\n    with: \(w.orderedJSON)\n"
        }
        if let b = e.blas { s += "    blas: \(YAMLText.scalar(.string(b)))\n" }
        if !e.env.isEmpty {
            s += "    env:\n"
            for (k, v) in e.env { s += "      \(YAMLText.key(k)): \(YAMLText.scalar(.string(v)))\n" }
        }
        func paths(_ key: String, _ list: [LockedPath]) {
            guard !list.isEmpty else { return }
            s += "    \(key):\n"
            for p in list {
                s += "    - path: \(YAMLText.scalar(.string(p.path)))\n      hash: sha256\n      sha256: \(p.info.hash)\n      size: \(p.info.size)\n"
                if let n = p.info.nfiles { s += "      nfiles: \(n)\n" }
            }
        }
        paths("deps", e.deps)
        if !e.params.isEmpty {
            s += "    params:\n"
            for (file, kv) in e.params {
                s += "      \(YAMLText.key(file)):\n"
                for (k, v) in kv { s += "        \(YAMLText.key(k)): \(YAMLText.scalar(v))\n" }
            }
        }
        paths("outs", e.outs)
        return s
    }
}

/// Minimal YAML emitting: plain scalars where YAML 1.2 reads them back unchanged,
/// JSON (a YAML subset) everywhere else.
enum YAMLText {
    static func isPlainSafe(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, let l = s.unicodeScalars.last else { return false }
        if l == " " || f == " " { return false }
        if !(f.properties.isAlphabetic || f == "_" || f == "/" || f == "." ) { return false }
        for c in s.unicodeScalars {
            if !(c.properties.isAlphabetic || c.properties.numericType != nil || "_-./@ +=,()".unicodeScalars.contains(c)) { return false }
        }
        if s.containsBytes(" #") || s.containsBytes(": ") { return false }
        // Would resolve to something other than a string.
        if ["true", "false", "null", "True", "False", "Null", "TRUE", "FALSE", "NULL", "~", ".inf", ".nan"].contains(s) { return false }
        if Double(s) != nil || Int(s) != nil { return false }
        return true
    }

    static func key(_ s: String) -> String {
        isPlainSafe(s) ? s : { var o = ""; Value.writeJSONString(s, into: &o); return o }()
    }

    static func scalar(_ v: Value) -> String {
        switch v {
        case .string(let s): return key(s)
        case .list, .dict: return v.orderedJSON
        default: return v.orderedJSON
        }
    }
}

/// Reads exactly the lock form `LockFile.render` writes, ~50× faster than a general
/// YAML parser (a 500-stage lock in about a millisecond). Returns nil at the first
/// line that is not in that form, and the caller falls back to the full parser.
enum CanonicalLockReader {
    static func read(_ text: String) -> [String: LockEntry]? {
        var lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { Substring($0) }[...]
        guard lines.popFirst() == "schema: '2.0'" else { return nil }
        if lines.last == "" { lines.removeLast() }
        if lines.isEmpty { return [:] }
        guard lines.popFirst() == "stages:" else { return nil }
        var out: [String: LockEntry] = [:]
        while let head = lines.first {
            guard pre(head, "  "), !pre(head, "   "), head.utf8.last == 0x3A else { return nil }
            lines.removeFirst()
            guard let name = scalarText(head.dropFirst(2).dropLast()) else { return nil }
            guard let e = entry(&lines) else { return nil }
            out[name] = e
        }
        return out
    }

    @inline(__always) static func pre(_ line: Substring, _ p: StaticString) -> Bool {
        let n = p.utf8CodeUnitCount
        guard line.utf8.count >= n else { return false }
        return p.withUTF8Buffer { line.utf8.starts(with: $0) }
    }

    /// `key: value` of a line with the given indentation.
    static func field(_ line: Substring, indent: Int) -> (Substring, Substring)? {
        guard line.utf8.count > indent, line.utf8.prefix(indent).allSatisfy({ $0 == 0x20 }) else { return nil }
        let u = line.utf8
        let start = u.index(u.startIndex, offsetBy: indent)
        if u[start] == 0x20 { return nil }
        var i = start
        while i < u.endIndex {
            if u[i] == 0x3A {
                let next = u.index(after: i)
                if next == u.endIndex { return (Substring(u[start..<i]), "") }
                if u[next] == 0x20 { return (Substring(u[start..<i]), Substring(u[u.index(after: next)...])) }
            }
            i = u.index(after: i)
        }
        return nil
    }

    static func scalarText(_ s: Substring) -> String? {
        if s.first == "\"" { return value(s)?.interpolationText }
        return String(s)
    }

    static func value(_ s: Substring) -> Value? {
        guard let f = s.first else { return .null }
        if f == "\"" { return jsonString(s).map { .string($0) } }
        if f == "[" || f == "{" { return try? DocumentLoader.parse(String(s), file: "lock").value }
        return DocumentLoader.resolvePlain(String(s))
    }

    /// Decodes a JSON string literal that is the whole of `s`; nil if it is not one.
    static func jsonString(_ s: Substring) -> String? {
        var it = s.unicodeScalars.makeIterator()
        guard it.next() == "\"" else { return nil }
        var out = String.UnicodeScalarView()
        var pendingHigh: UInt32?
        func hex4() -> UInt32? {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let c = it.next(), let d = UInt32(String(c), radix: 16) else { return nil }
                v = v * 16 + d
            }
            return v
        }
        while let c = it.next() {
            switch c {
            case "\"":
                return it.next() == nil && pendingHigh == nil ? String(out) : nil
            case "\\":
                guard let e = it.next() else { return nil }
                switch e {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    guard let v = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(v) { pendingHigh = v; continue }
                    if (0xDC00..<0xE000).contains(v) {
                        guard let h = pendingHigh, let u = Unicode.Scalar(0x10000 + ((h - 0xD800) << 10) + (v - 0xDC00)) else { return nil }
                        pendingHigh = nil
                        out.append(u)
                        continue
                    }
                    guard let u = Unicode.Scalar(v) else { return nil }
                    out.append(u)
                default: return nil
                }
            default:
                out.append(c)
            }
            if pendingHigh != nil { return nil }
        }
        return nil
    }

    static func entry(_ lines: inout ArraySlice<Substring>) -> LockEntry? {
        var definition: LockEntry.Definition?
        var uses: String?, version: Int?, with: Value?, blas: String?
        var deps: [LockedPath] = [], outs: [LockedPath] = []
        var params: [(String, [(String, Value)])] = []
        var env: [(String, String)] = []
        while let line = lines.first, pre(line, "    ") {
            guard let (key, rest) = field(line, indent: 4) else { return nil }
            lines.removeFirst()
            switch key {
            case "cmd":
                if rest.isEmpty {
                    var l: [Value] = []
                    while let c = lines.first, pre(c, "    - ") {
                        lines.removeFirst()
                        guard let v = value(c.dropFirst(6)) else { return nil }
                        l.append(v)
                    }
                    definition = .shell(.list(l))
                } else {
                    guard let v = value(rest) else { return nil }
                    definition = .shell(v)
                }
            case "uses": uses = scalarText(rest)
            case "version": version = Int(rest)
            case "with": with = value(rest)
            case "blas": blas = value(rest)?.interpolationText
            case "env":
                while let c = lines.first, let (k, v) = field(c, indent: 6), !v.isEmpty {
                    lines.removeFirst()
                    guard let ks = scalarText(k), let vs = value(v)?.interpolationText else { return nil }
                    env.append((ks, vs))
                }
            case "params":
                while let c = lines.first, let (file, none) = field(c, indent: 6), none.isEmpty {
                    lines.removeFirst()
                    var kv: [(String, Value)] = []
                    while let p = lines.first, let (k, v) = field(p, indent: 8) {
                        lines.removeFirst()
                        guard let ks = scalarText(k), let vv = value(v) else { return nil }
                        kv.append((ks, vv))
                    }
                    guard let f = scalarText(file) else { return nil }
                    params.append((f, kv))
                }
            case "deps", "outs":
                var list: [LockedPath] = []
                while let c = lines.first, pre(c, "    - path: ") {
                    lines.removeFirst()
                    guard let path = scalarText(c.dropFirst(12)) else { return nil }
                    var hash: String?, size: Int64 = 0, nfiles: Int?
                    while let p = lines.first, pre(p, "      "), let (k, v) = field(p, indent: 6) {
                        lines.removeFirst()
                        switch k {
                        case "hash": guard v.utf8.elementsEqual("sha256".utf8) else { return nil }
                        case "sha256": hash = String(v)
                        case "size": size = Int64(v) ?? 0
                        case "nfiles": nfiles = Int(v)
                        default: return nil
                        }
                    }
                    guard let hash else { return nil }
                    list.append(LockedPath(path: path, info: HashInfo(hash: hash, size: size, nfiles: nfiles)))
                }
                if key == "deps" { deps = list } else { outs = list }
            default: return nil
            }
        }
        if let uses, let version { definition = .builtin(name: uses, version: version, with: with ?? .dict([])) }
        guard let definition else { return nil }
        return LockEntry(definition: definition, deps: deps, params: params, outs: outs, env: env, blas: blas)
    }
}
