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
    public init(path: String, root: String) throws {
        self.path = path
        self.absPath = root + "/" + path
        guard FS.exists(absPath) else { return }
        let node = try DocumentLoader.load(path: absPath, displayPath: path)
        guard let top = node.entries else {
            throw WeftError.spec(loc: node.loc, message: "lock file is not a mapping", hint: "delete \(path) to rerun every stage of its pipeline")
        }
        guard let stagesNode = node["stages"] else { return }
        guard let stages = stagesNode.entries else {
            throw WeftError.spec(loc: stagesNode.loc, message: "lock 'stages' must be a mapping", hint: "delete \(path) to rerun its stages")
        }
        _ = top
        for e in stages {
            entries[e.key] = try Self.parseEntry(e.value, stage: e.key)
        }
    }

    public func entry(_ stage: String) -> LockEntry? {
        mutex.lock()
        defer { mutex.unlock() }
        return entries[stage]
    }

    static func parseEntry(_ n: Node, stage: String) throws -> LockEntry {
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
                guard let p = it["path"]?.string, let h = it["sha256"]?.string else { throw bad("\(key) entries need 'path' and 'sha256'", it) }
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
        return LockEntry(definition: definition, deps: try paths("deps"), params: params, outs: try paths("outs"), env: env)
    }

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
        if s.contains(" #") || s.contains(": ") { return false }
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
