import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The stage-level answer of `weft status`.
public struct StageStatus: Sendable {
    public var stage: Stage
    public var reasons: [ChangeReason]
    public var frozen: Bool
}

/// Which selected stages would run and why. Stages downstream of a changed one are
/// reported as such, since their inputs will change when it runs.
public func computeStatus(_ ws: Workspace, targets: [String]) throws -> [StageStatus] {
    let selected = try selectStages(ws.project, targets: targets, singleItem: false, downstream: false)
    let checker = ChangeChecker(hasher: ws.hasher, params: ws.params)
    var changed = Set<Int>()
    var out: [StageStatus] = []
    for i in selected {
        let s = ws.project.stages[i]
        if s.frozen { out.append(StageStatus(stage: s, reasons: [], frozen: true)); continue }
        var reasons = try checker.check(s, locked: try ws.lockEntry(s)).reasons
        for u in ws.project.graph.upstream[i] where changed.contains(u) {
            reasons.append(.upstreamChanged(ws.project.stages[u].id))
        }
        if !reasons.isEmpty { changed.insert(i) }
        out.append(StageStatus(stage: s, reasons: reasons, frozen: false))
    }
    ws.state.commit()
    return out
}

public func renderStatus(_ st: [StageStatus], json: Bool) -> String {
    if json {
        let v = Value.dict([
            ("up_to_date", .bool(st.allSatisfy { $0.reasons.isEmpty })),
            ("stages", .list(st.map { s in
                .dict([
                    ("stage", .string(s.stage.id)), ("file", .string(s.stage.pipelineFile)),
                    ("changed", .bool(!s.reasons.isEmpty)), ("frozen", .bool(s.frozen)),
                    ("reasons", .list(s.reasons.map(\.json))),
                ])
            })),
        ])
        return v.orderedJSON
    }
    let changed = st.filter { !$0.reasons.isEmpty }
    if changed.isEmpty { return "Data and pipelines are up to date." }
    var lines: [String] = []
    for s in changed {
        lines.append("\(s.stage.id):")
        for r in s.reasons { lines.append("\t" + r.description) }
    }
    return lines.joined(separator: "\n")
}

/// `weft dag`: ASCII (each stage under the stages it reads from), Graphviz dot, or Mermaid.
public func renderDAG(_ project: Project, format: String) -> String {
    let g = project.graph
    let s = g.stages
    func q(_ x: String) -> String { var o = ""; Value.writeJSONString(x, into: &o); return o }
    switch format {
    case "dot":
        var out = "strict digraph {\n"
        for i in g.order { out += "\t\(q(s[i].id));\n" }
        for i in g.order { for d in g.downstream[i] { out += "\t\(q(s[i].id)) -> \(q(s[d].id));\n" } }
        return out + "}"
    case "mermaid":
        var out = "flowchart TD\n"
        for i in g.order { out += "\tnode\(i)[\(q(s[i].id))]\n" }
        for i in g.order { for d in g.downstream[i] { out += "\tnode\(i)-->node\(d)\n" } }
        return out.trimmingCharacters(in: .newlines)
    default:
        // One line per stage in topological order, with the stages it waits for.
        var out: [String] = []
        var depth = Array(repeating: 0, count: s.count)
        for i in g.order {
            depth[i] = (g.upstream[i].map { depth[$0] + 1 }.max() ?? 0)
            let indent = String(repeating: "  ", count: depth[i])
            let from = g.upstream[i].map { s[$0].id }
            out.append(indent + (depth[i] > 0 ? "└─ " : "● ") + s[i].id + (from.count > 1 ? "   ← " + from.joined(separator: ", ") : ""))
        }
        return out.joined(separator: "\n")
    }
}

/// `weft checkout`: restores outputs that are missing or differ from the lock.
public func checkoutOutputs(_ ws: Workspace, targets: [String], force: Bool, console: Console) throws -> Int {
    let selected = try selectStages(ws.project, targets: targets, singleItem: false, downstream: false)
    var restored = 0
    var problems: [WeftError] = []
    for i in selected {
        let s = ws.project.stages[i]
        guard let entry = try ws.lockEntry(s) else { continue }
        for o in s.outs where o.cache {
            guard let rec = entry.outs.first(where: { $0.path == o.path }) else { continue }
            let abs = ws.hasher.absolute(o.key)
            let now = try ws.hasher.hash(o.key)
            if now?.hash == rec.info.hash { continue }
            do {
                let manifest = try ws.store.checkout(hash: rec.info.hash, to: abs)
                try ws.hasher.remember(o.key, rec.info, manifest: manifest)
                console.line((now == nil ? "A       " : "M       ") + o.key)
                restored += 1
            } catch {
                problems.append(error as? WeftError ?? .io(path: o.key, message: "\(error)", hint: ""))
            }
        }
    }
    ws.state.commit()
    if !problems.isEmpty { throw WeftError.multiple(problems) }
    return restored
}

/// Every object the workspace's lock files reference (folder manifests and their files).
public func referencedObjects(_ ws: Workspace) throws -> Set<String> {
    var keep = Set<String>()
    for file in ws.project.files {
        let lock = try ws.lock(for: file)
        // Only stages still in the pipeline: a removed stage's entry stays in the lock until the
        // lock is next rewritten, but its outputs are no longer wanted.
        for e in file.stages.compactMap({ lock.entry($0.name) }) {
            for p in e.outs + e.deps {
                keep.insert(p.info.hash)
                if p.info.isDir, ws.store.contains(p.info.hash), let m = try? DirManifest.decode(ws.store.get(p.info.hash), origin: p.info.hash) {
                    for x in m { keep.insert(x.hash) }
                }
            }
        }
    }
    return keep
}

public struct GCReport: Sendable {
    public var removedObjects: [String]
    public var removedRuns: Int
    public var bytes: Int64
    public var strayTemp: Int
}

/// `weft gc`: removes objects no lock file references, run-cache entries that point at
/// removed objects, and leftover temp files of killed runs.
/// `alsoKeep`: objects referenced elsewhere (every commit's locks with `--all-commits`).
public func collectGarbage(_ ws: Workspace, dry: Bool, alsoKeep: Set<String> = []) throws -> GCReport {
    let keep = try referencedObjects(ws).union(alsoKeep)
    var removed: [String] = []
    var bytes: Int64 = 0
    for h in try ws.store.allObjects() where !keep.contains(h) {
        bytes += FS.info(ws.store.path(h))?.size ?? 0
        removed.append(h)
        if !dry { try ws.store.remove(h) }
    }
    let gone = Set(removed)
    var runs = 0
    for (path, objs) in try ws.runCache.entries() where objs.contains(where: { gone.contains($0) || !ws.store.contains($0) }) {
        runs += 1
        if !dry { try FS.remove(path) }
    }
    let stray = try ws.store.strayTempFiles()
    if !dry { for t in stray { try? FS.remove(t) } }
    return GCReport(removedObjects: removed, removedRuns: runs, bytes: bytes, strayTemp: stray.count)
}

/// `weft cache verify`: rehashes every object; returns the corrupt ones with what was found.
public func verifyCache(_ store: ObjectStore) throws -> (checked: Int, corrupt: [(String, String)]) {
    var corrupt: [(String, String)] = []
    let all = try store.allObjects()
    for h in all {
        let p = store.path(h)
        if h.hasSuffix(".dir") {
            guard let b = FS.read(p) else { corrupt.append((h, "unreadable")); continue }
            let actual = DirManifest.id(b)
            if actual != h { corrupt.append((h, "content hashes to \(actual)")); continue }
            if (try? DirManifest.decode(b, origin: h)) == nil { corrupt.append((h, "not a valid folder manifest")) }
        } else {
            do {
                let actual = try ContentHash.ofFile(p)
                if actual != h { corrupt.append((h, "content hashes to \(actual)")) }
            } catch {
                corrupt.append((h, "unreadable: \(error)"))
            }
        }
    }
    return (all.count, corrupt)
}

/// `weft init`: `.weft/`, `cache/`, `params.yaml` and `.gitignore` entries. Idempotent.
public func initProject(at root: String) throws -> [String] {
    var did: [String] = []
    for d in [".weft", "cache"] where !FS.exists(root + "/" + d) {
        try FS.makeDirs(root + "/" + d)
        did.append("created \(d)/")
    }
    if !FS.exists(root + "/params.yaml") {
        try FS.writeAtomically(root + "/params.yaml", "# Parameters stages read with 'params:' and ${...}\n")
        did.append("created params.yaml")
    }
    let gi = root + "/.gitignore"
    let existing = FS.read(gi).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let have = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
    let want = ["/.weft/", "/cache/"]
    let missing = want.filter { !have.contains($0) }
    if !missing.isEmpty {
        var text = existing
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += "# weft: local state and the content-addressed cache\n" + missing.joined(separator: "\n") + "\n"
        try FS.writeAtomically(gi, text)
        did.append("added \(missing.joined(separator: ", ")) to .gitignore")
    }
    return did
}

/// Keeps `.gitignore` listing every cached output, so git tracks the lock, not the bytes.
/// Adds an entry per cached out in the folder of its pipeline root; never removes lines.
public func ignoreCachedOutputs(_ ws: Workspace) throws {
    let gi = ws.root + "/.gitignore"
    let existing = FS.read(gi).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let have = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
    var add: [String] = []
    for s in ws.project.stages {
        for o in s.outs where o.cache && !o.key.hasPrefix("/") {
            let line = "/" + o.key
            if !have.contains(line) && !add.contains(line) { add.append(line) }
        }
    }
    guard !add.isEmpty else { return }
    var text = existing
    if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
    text += add.joined(separator: "\n") + "\n"
    try FS.writeAtomically(gi, text)
}
